from datetime import date

import pytest

from services.intake import domain as intake
from services.intake.messages import AssignInquiry, RegisterInquiry
from services.kernel.envelope import utcnow
from services.kernel.errors import IllegalTransition
from services.notifications.domain import case_assigned_notice
from services.visitation import domain as visitation

REGISTER = RegisterInquiry(
    inquirer_name="Odense Kommune", main_area="adults", citizen_name="Ann", description="help"
)


def test_registering_yields_a_registered_inquiry_and_its_event() -> None:
    now = utcnow()
    inquiry, event = intake.register(REGISTER, inquiry_id="i1", now=now, by="support-1")
    assert inquiry.status == "registered" and inquiry.registered_by == "support-1"
    assert (event.inquiry_id, event.main_area, event.registered_at) == ("i1", "adults", now)
    assert event.subject() == "i1"


def test_changing_the_description_announces_the_next_version() -> None:
    inquiry, _ = intake.register(REGISTER, inquiry_id="i1", now=utcnow(), by="s")
    inquiry = inquiry.model_copy(update={"version": 4})
    changed, event = intake.change_description(inquiry, "more")
    assert changed.description == "more" and event.version == 5


def test_assigning_a_registered_inquiry_names_the_consultant_and_the_list_date() -> None:
    inquiry, _ = intake.register(REGISTER, inquiry_id="i1", now=utcnow(), by="s")
    command = AssignInquiry(inquiry_id="i1", consultant_id="c7", distributed_on=date(2026, 4, 1))
    assigned, event = intake.assign(inquiry, command, now=utcnow(), by="support-2")
    assert (assigned.status, assigned.consultant_id) == ("assigned", "c7")
    assert (event.consultant_id, event.distributed_on) == ("c7", date(2026, 4, 1))
    assert (event.main_area, event.assigned_by, event.subject()) == ("adults", "support-2", "i1")


def test_an_inquiry_is_assigned_only_once() -> None:
    inquiry, _ = intake.register(REGISTER, inquiry_id="i1", now=utcnow(), by="s")
    command = AssignInquiry(inquiry_id="i1", consultant_id="c7", distributed_on=date(2026, 4, 1))
    assigned, _ = intake.assign(inquiry, command, now=utcnow(), by="s")
    with pytest.raises(IllegalTransition):
        intake.assign(assigned, command, now=utcnow(), by="s")


def test_an_opened_case_notifies_its_consultant() -> None:
    case, opened = visitation.open_case(
        case_id="k1", inquiry_id="i1", main_area="other", consultant_id="c2", now=utcnow()
    )
    assert case.status == "opened" and opened.subject() == "k1"
    notice = case_assigned_notice(opened, notice_id="n1", source_event_id="e1", now=utcnow())
    assert notice.recipient_id == "c2" and notice.subject_id == "k1"
    assert notice.kind == "case_assigned"
