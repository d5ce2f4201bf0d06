"""Translating between protobuf messages and pydantic commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ValidationError

from services.kernel.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse_request(model: type[M], request: Message, **extra: Any) -> M:
    """Validate a request as a command; every bad field becomes one violation."""
    fields = MessageToDict(
        request,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    fields.update(extra)
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise InvalidInput.from_pydantic(error) from error


def timestamp(moment: datetime) -> Timestamp:
    """A protobuf Timestamp for an aware datetime."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
