from services.kernel.envelope import utcnow
from services.notifications.domain import case_assigned_notice
from services.visitation import domain as visitation


def test_an_opened_case_notifies_its_consultant() -> None:
    case, opened = visitation.open_case(
        case_id="k1", inquiry_id="i1", main_area="other", consultant_id="c2", now=utcnow()
    )
    assert case.status == "opened" and opened.subject() == "k1"
    notice = case_assigned_notice(opened, event_id="e1", now=utcnow())
    assert notice.recipient_id == "c2" and notice.subject_id == notice.case_id == "k1"
    assert notice.kind == "case_assigned"
