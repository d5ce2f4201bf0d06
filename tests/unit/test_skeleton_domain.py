from services.intake import domain as intake
from services.intake.messages import RegisterInquiry
from services.kernel.envelope import utcnow
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


def test_the_consultant_for_an_inquiry_is_stable_and_from_the_pool() -> None:
    pool = ["c1", "c2", "c3"]
    picks = {visitation.pick_consultant(f"inq-{i}", pool) for i in range(60)}
    assert picks == set(pool)
    assert visitation.pick_consultant("inq-9", pool) == visitation.pick_consultant("inq-9", pool)


def test_an_opened_case_notifies_its_consultant() -> None:
    case, opened = visitation.open_case(
        case_id="k1", inquiry_id="i1", main_area="other", consultant_id="c2", now=utcnow()
    )
    assert case.status == "opened" and opened.subject() == "k1"
    notice = case_assigned_notice(opened, notice_id="n1", source_event_id="e1", now=utcnow())
    assert notice.recipient_id == "c2" and notice.subject_id == "k1"
    assert notice.kind == "case_assigned"
