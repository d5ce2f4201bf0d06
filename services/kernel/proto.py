"""Translating between protobuf messages and pydantic commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from annotated_types import MaxLen
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ValidationError

from services.kernel.errors import FieldViolation, InvalidInput

M = TypeVar("M", bound=BaseModel)


def _list_limits(model: type[BaseModel], request: Message) -> dict[str, tuple[int, int]]:
    """The request's lists longer than the command allows: (limit, length) by field name."""
    fields = request.DESCRIPTOR.fields_by_name
    found = {}
    for name, info in model.model_fields.items():
        limit = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        field = fields.get(name)
        if limit is None or field is None or not field.is_repeated:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue  # a map: pydantic counts its keys quickly enough
        if (length := len(getattr(request, name))) > limit:
            found[name] = (limit, length)
    return found


def _trimmed(request: Message, limits: dict[str, tuple[int, int]]) -> Message:
    """A copy of the request with each over-long list cut to one item over its limit: enough
    to be refused, without converting and validating tens of thousands of items."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name, (limit, _) in limits.items():
        del getattr(copy, name)[limit + 1 :]
    return copy


def parse_request(model: type[M], request: Message, **extra: Any) -> M:
    """Validate a request as a command; every bad field becomes one violation."""
    limits = _list_limits(model, request)
    fields = MessageToDict(
        _trimmed(request, limits) if limits else request,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    fields.update(extra)
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        invalid = InvalidInput.from_pydantic(error)
        if not limits:
            raise invalid from error
        raise InvalidInput(
            FieldViolation(v.field, f"at most {limits[v.field][0]} items, not {limits[v.field][1]}")
            if v.field in limits
            else v
            for v in invalid.violations
        ) from error


def timestamp(moment: datetime) -> Timestamp:
    """A protobuf Timestamp for an aware datetime."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
