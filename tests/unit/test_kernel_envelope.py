from datetime import datetime

import pytest
from pydantic import ValidationError

from services.contracts.intake import InquiryRegistered
from services.kernel.envelope import Envelope, utcnow


def _registered() -> InquiryRegistered:
    return InquiryRegistered(inquiry_id="inq-1", main_area="adults", registered_at=utcnow())


def test_wrap_takes_type_version_and_subject_from_the_payload() -> None:
    envelope = Envelope.wrap(_registered(), source="intake", correlation_id="c", causation_id="x")
    assert envelope.type == "InquiryRegistered"
    assert envelope.schema_version == 1
    assert envelope.subject == "inq-1"
    assert envelope.source == "intake"
    assert (envelope.correlation_id, envelope.causation_id) == ("c", "x")


def test_every_wrapped_event_gets_its_own_id() -> None:
    first = Envelope.wrap(_registered(), source="intake", correlation_id="c", causation_id=None)
    second = Envelope.wrap(_registered(), source="intake", correlation_id="c", causation_id=None)
    assert first.event_id != second.event_id


def test_wire_encoding_round_trips_including_the_typed_payload() -> None:
    payload = _registered()
    envelope = Envelope.wrap(payload, source="intake", correlation_id="c", causation_id=None)
    decoded = Envelope.from_bytes(envelope.to_bytes())
    assert decoded == envelope
    assert decoded.payload_as(InquiryRegistered) == payload


def test_malformed_bytes_are_refused() -> None:
    with pytest.raises(ValidationError):
        Envelope.from_bytes(b'{"type": "InquiryRegistered"}')
    with pytest.raises(ValidationError):
        Envelope.from_bytes(b"\x00not json")


def test_utcnow_is_aware_and_millisecond_precise() -> None:
    now = utcnow()
    assert isinstance(now, datetime) and now.tzinfo is not None
    assert now.microsecond % 1000 == 0
