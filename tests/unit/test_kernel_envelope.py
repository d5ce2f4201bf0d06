from datetime import datetime

import pytest
from pydantic import ValidationError

from services.contracts.intake import (
    InquiryAssigned,
    InquiryLetterRequested,
    InquiryRegistered,
    LetterRecipient,
)
from services.kernel.envelope import Envelope, UnknownSchemaVersion, utcnow


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


def _assigned_payload(**extra: object) -> dict[str, object]:
    return {
        "inquiry_id": "inq-1",
        "consultant_id": "c-1",
        "distributed_on": "2026-04-01",
        "assigned_at": "2026-04-01T08:00:00+00:00",
        "assigned_by": "support-1",
        "main_area": "adults",
        **extra,
    }


def test_a_reader_ignores_fields_it_does_not_know_at_every_level() -> None:
    letter = InquiryLetterRequested(
        inquiry_id="inq-1",
        letter_kind="receipt",
        consultant_id="c-1",
        recipients=[LetterRecipient(name="Odense Kommune", role="inquirer")],
        requested_at=utcnow(),
    )
    envelope = Envelope.wrap(letter, source="intake", correlation_id="c", causation_id=None)
    payload = envelope.payload | {"added_in_a_later_release": {"any": "thing"}}
    payload["recipients"] = [payload["recipients"][0] | {"preferred_channel": "digital_post"}]
    newer = envelope.model_copy(update={"payload": payload})

    assert newer.payload_as(InquiryLetterRequested) == letter


def test_a_writer_still_refuses_a_field_its_contract_does_not_have() -> None:
    with pytest.raises(ValidationError):
        InquiryAssigned.model_validate(_assigned_payload(consultant="a typo"))
    with pytest.raises(ValidationError):
        LetterRecipient(name="Anna", role="citizen", cpr="0101901234")  # type: ignore[call-arg]


def test_an_unknown_major_schema_version_is_refused_not_misread() -> None:
    assigned = InquiryAssigned.model_validate(_assigned_payload())
    envelope = Envelope.wrap(assigned, source="intake", correlation_id="c", causation_id=None)
    newer = envelope.model_copy(update={"schema_version": 2})
    with pytest.raises(UnknownSchemaVersion) as refused:
        newer.payload_as(InquiryAssigned)
    assert (refused.value.received, refused.value.known) == (2, 1)
    assert "schema_version 2" in str(refused.value)


def test_an_event_carries_its_cloudevents_attributes_as_kafka_headers() -> None:
    envelope = Envelope.wrap(
        _registered(), source="intake", correlation_id="c-9", causation_id="e-1"
    )
    headers = dict(envelope.cloudevent_headers())
    assert headers == {
        "ce_specversion": "1.0",
        "ce_id": envelope.event_id,
        "ce_type": "InquiryRegistered",
        "ce_source": "vias/intake",
        "ce_subject": "inq-1",
        "ce_time": envelope.occurred_at.isoformat(),
        "ce_correlationid": "c-9",
        "ce_causationid": "e-1",
        "content-type": "application/json",
        "event_type": "InquiryRegistered",
    }
