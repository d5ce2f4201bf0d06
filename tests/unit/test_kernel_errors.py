from typing import Annotated

import pytest
from google.rpc import code_pb2, error_details_pb2
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.kernel.errors import (
    MAX_VIOLATIONS,
    ConcurrencyConflict,
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OutsideWindow,
    Unauthenticated,
    echo,
    mask,
)
from services.kernel.grpc_server import HISTORY_WINDOW, correlation_id, status_for


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


def test_a_date_outside_the_case_s_history_is_a_failed_precondition_naming_the_field() -> None:
    error = OutsideWindow.single("on", "2026-12-11 is after the six months (2026-12-10)")
    assert isinstance(error, IllegalTransition)
    status = status_for(error)
    assert status.code == code_pb2.FAILED_PRECONDITION
    assert (
        status.message
        == "outside the case's history: on: 2026-12-11 is after the six months (2026-12-10)"
    )
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    assert [(v.type, v.subject, v.description) for v in failure.violations] == [
        (HISTORY_WINDOW, "on", "2026-12-11 is after the six months (2026-12-10)")
    ]


def test_an_unexpected_error_is_internal_and_reveals_nothing() -> None:
    status = status_for(RuntimeError("secret detail"))
    assert status.code == code_pb2.INTERNAL
    assert "secret" not in status.message


def test_a_refusal_lists_at_most_the_capped_violations_and_says_how_many_more() -> None:
    error = InvalidInput(FieldViolation(f"items.{i}", "unknown") for i in range(20_000))
    status = status_for(error)
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert len(bad.field_violations) == MAX_VIOLATIONS
    assert bad.field_violations[0].field == "items.0"
    assert status.message.endswith(f"and {20_000 - MAX_VIOLATIONS} more")
    assert len(status.message) < 500
    assert len(error.violations) == 20_000  # all are kept for the caller of the domain


def test_long_fields_and_descriptions_are_clipped_so_the_trailers_stay_small() -> None:
    error = InvalidInput(FieldViolation("f" * 5_000, "d" * 50_000) for _ in range(MAX_VIOLATIONS))
    status = status_for(error)
    assert len(status.SerializeToString()) < 4_000
    assert "(5000 characters)" in status.message


def test_echo_masks_cpr_numbers_escapes_line_ends_and_bounds_the_value() -> None:
    assert echo("case-1") == "'case-1'"
    assert echo("0101901234") == "'<cpr>'" == echo("010190-1234")
    assert echo("a\r\nb") == "'a\\r\\nb'"
    long = echo("x" * 10_000)
    assert len(long) < 80 and "10000 characters" in long
    assert mask("my cpr 010190-1234 ok") == "my cpr <cpr> ok"


def test_not_found_and_conflicts_quote_the_id_bounded_and_without_cpr_numbers() -> None:
    assert str(NotFound("case", "010190-1234")) == "case '<cpr>' not found"
    assert len(str(NotFound("case", "x" * 1_000_000))) < 100
    assert "0101901234" not in str(ConcurrencyConflict("case", "0101901234", 2))


def test_a_correlation_id_is_kept_only_when_it_is_a_plain_token() -> None:
    assert correlation_id({"x-correlation-id": "req-42.a:b"}) == "req-42.a:b"
    for given in ("010190-1234", "x" * 65, "a\r\nb", "", "ø"):
        kept = correlation_id({"x-correlation-id": given})
        assert kept != given and len(kept) == 36


def test_a_map_key_the_caller_chose_is_named_masked() -> None:
    class _Facts(BaseModel):
        facts: dict[str, bool] = Field(max_length=5)
        named: dict[Annotated[str, Field(max_length=3)], bool] = Field(default_factory=dict)

    try:
        _Facts.model_validate({"facts": {}, "named": {"0101901234": True}})
    except ValidationError as error:
        invalid = InvalidInput.from_pydantic(error)
    assert [v.field for v in invalid.violations] == ["named.<cpr>"]


def test_an_id_that_is_a_uuid_is_echoed_and_kept_as_it_is_even_with_a_cpr_shaped_run() -> None:
    uuid = "ac654321-1234-4c38-8321-a1c527424201"
    assert echo(uuid) == repr(uuid)
    assert str(NotFound("delivery", uuid)) == f"delivery '{uuid}' not found"
    assert correlation_id({"x-correlation-id": uuid}) == uuid
    assert mask(f"{uuid} 0101901234", 100) == f"{uuid} <cpr>"


def test_the_status_message_names_each_field_with_its_reason() -> None:
    error = InvalidInput(
        [
            FieldViolation("citizens.1.cpr", "not a valid birth date"),
            FieldViolation("main_area", "must be one of adults, children_youth"),
        ]
    )
    assert str(error) == (
        "invalid fields: citizens.1.cpr: not a valid birth date; "
        "main_area: must be one of adults, children_youth"
    )


def test_pydantic_prefixes_never_reach_the_caller() -> None:
    class Form(BaseModel):
        age: int

        @field_validator("age")
        @classmethod
        def _adult(cls, value: int) -> int:
            if value < 18:
                raise ValueError("must be at least 18")
            return value

    with pytest.raises(ValidationError) as caught:
        Form(age=3)
    error = InvalidInput.from_pydantic(caught.value)
    assert [(v.field, v.description) for v in error.listed] == [("age", "must be at least 18")]
    assert "Value error" not in str(error)
