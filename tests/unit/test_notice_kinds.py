"""Every kind of notice notifications writes is documented on `Notice.kind` in the proto."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.kernel.envelope import utcnow
from services.notifications.domain import NOTICE_KINDS, Notice

PROTO = Path(__file__).parents[2] / "proto/vias/notifications/v1/notifications.proto"


def documented_kinds() -> set[str]:
    """The quoted kinds in the comment right above `string kind` in `message Notice`."""
    message = PROTO.read_text(encoding="utf-8").split("message Notice {", 1)[1]
    before_kind = message.split("string kind =", 1)[0].rstrip().splitlines()
    comment: list[str] = []
    for line in reversed(before_kind):
        if not line.strip().startswith("//"):
            break
        comment.append(line)
    return set(re.findall(r'"([a-z_]+)"', "\n".join(comment)))


def test_every_kind_the_code_writes_is_documented_in_the_proto() -> None:
    assert set(NOTICE_KINDS) - documented_kinds() == set()


def test_the_proto_documents_no_kind_the_code_does_not_write() -> None:
    assert documented_kinds() - set(NOTICE_KINDS) == set()


def test_a_notice_of_an_undeclared_kind_cannot_be_made() -> None:
    with pytest.raises(ValidationError):
        Notice.model_validate(
            {
                "id": "n",
                "recipient_id": "u",
                "kind": "something_new",
                "subject_id": "k",
                "text": "t",
                "created_at": utcnow(),
                "source_event_id": "e",
            }
        )
