from google.rpc import code_pb2, error_details_pb2
from pydantic import BaseModel, Field

from services.kernel.errors import (
    ConcurrencyConflict,
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from services.kernel.grpc_server import status_for


class _Command(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


def test_invalid_input_becomes_invalid_argument_with_every_field_in_a_bad_request() -> None:
    error = InvalidInput([FieldViolation("a", "missing"), FieldViolation("b.c", "too long")])
    status = status_for(error)
    assert status.code == code_pb2.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("a", "missing"),
        ("b.c", "too long"),
    ]


def test_pydantic_errors_name_each_offending_field() -> None:
    try:
        _Command.model_validate({"name": "", "count": -1})
    except Exception as error:
        status = status_for(error)
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert {v.field for v in bad.field_violations} == {"name", "count"}


def test_each_domain_error_has_its_own_status_code() -> None:
    assert status_for(NotFound("case", "1")).code == code_pb2.NOT_FOUND
    assert status_for(IllegalTransition("closed")).code == code_pb2.FAILED_PRECONDITION
    assert status_for(ConcurrencyConflict("case", "1", 3)).code == code_pb2.ABORTED
    assert status_for(Forbidden("no")).code == code_pb2.PERMISSION_DENIED
    assert status_for(Unauthenticated("no")).code == code_pb2.UNAUTHENTICATED


def test_an_unexpected_error_is_internal_and_reveals_nothing() -> None:
    status = status_for(RuntimeError("secret detail"))
    assert status.code == code_pb2.INTERNAL
    assert "secret" not in status.message
