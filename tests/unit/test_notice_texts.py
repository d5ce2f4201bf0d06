"""Every kind of notice is written in Danish, with the handbook's terms and Danish dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from types import ModuleType

import pytest
from pydantic import BaseModel

from services.contracts.deadlines import DeadlineChanged, DeadlineMissed, DeadlineSet
from services.contracts.documents import (
    ConcernReportStepRecorded,
    DocumentJournaled,
    DocumentVersionAdded,
    NoteWritten,
)
from services.contracts.intake import InquiryHeldForOngoingCourse, SupplementaryMaterialReceived
from services.contracts.leverance import (
    DeliveryAgreementApproved,
    DeliveryAgreementProposed,
    DeliveryAgreementReturned,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
from services.contracts.visitation import (
    NextSupplierNeeded,
    SupplierOffered,
    VisitationCaseOpened,
)
from services.documents.access import model as access_model
from services.documents.concern import model as concern_model
from services.intake.domain import deadlines as intake_deadlines
from services.leverance.domain import deadlines as leverance_deadlines
from services.notifications import (
    case_record_notices,
    deadlines,
    intake_notices,
    leverance_notices,
    texts,
)
from services.notifications.delivery import domain as delivery
from services.notifications.delivery.notices import failed_notice, fallback_notice
from services.notifications.domain import NOTICE_KINDS, Notice, case_assigned_notice
from services.visitation.domain import deadlines as visitation_deadlines
from tests.unit.test_visitation_notices import BASE

NOW = datetime(2026, 5, 20, 8, tzinfo=UTC)
ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """the has have been was were is are you your of and with from on in it no not yes case
        deadline supplier agreement delivery approval approved rejected returned assigned inquiry
        offer offered answer due missed moved awaits manager consultant next candidate contact
        directly material course meeting summary please days before after should""",
    )
)
"""Common English words none of which is a Danish word a notice would use."""

PART = {"case_id": "k1", "delivery_id": "d-1", "supplier_id": "alpha", "version": 2}
HIGH_PRICE = {**PART, "total_dkk": Decimal("155800.00"), "consultant_id": "c1"}
OFFER = SupplierOffered(
    case_id="k1",
    offer_id="o1",
    supplier_id="alpha",
    service_id="single_case",
    rank=1,
    justification="Passer bedst.",
    answer_due=date(2026, 5, 29),
    consultant_id="c1",
)
Build = Callable[..., Notice | list[Notice]]
RECEIPT = delivery.queue(
    "e:0",
    message_kind="receipt_letter",
    inquiry_id="h-1",
    case_id="k1",
    recipient=delivery.Recipient(
        name="Odense Kommune", role="inquirer", email="r@odense.dk", municipality_code="461"
    ),
    subject="Kvittering",
    body="Kære Odense Kommune.",
    now=NOW,
    send_within=timedelta(hours=48),
    source_event_id="e",
)
FALLEN_BACK = RECEIPT.model_copy(update={"channel_index": 1, "failure": "SMTPConnectError"})
FAILED = FALLEN_BACK.model_copy(update={"status": "failed"})

EXAMPLES: dict[str, tuple[Build, BaseModel, tuple[str, ...]]] = {
    "case_assigned": (
        case_assigned_notice,
        VisitationCaseOpened(
            case_id="k1",
            inquiry_id="h-1",
            main_area="children_youth",
            consultant_id="c1",
            opened_at=NOW,
        ),
        ("visitationssag", "fagkonsulent", "børn og unge"),
    ),
    "supplementary_material": (
        partial(intake_notices.supplementary_material_notice, case_id="k1"),
        SupplementaryMaterialReceived(
            inquiry_id="h-1",
            consultant_id="c1",
            document_ids=["dok-1"],
            titles=["Statusudtalelse"],
            received_via="mail",
            received_at=NOW,
        ),
        ("Supplerende materiale", "henvendelse"),
    ),
    "course_decision": (
        partial(intake_notices.course_decision_notice, case_id="k1"),
        InquiryHeldForOngoingCourse(
            inquiry_id="h-2", ongoing_inquiry_id="h-1", consultant_id="c1", citizen_ref="b"
        ),
        ("igangværende forløb", "journalisér"),
    ),
    "offer_received": (
        deadlines.offer_notices,
        OFFER.model_copy(update={"notify_user_ids": ["spec-a"]}),
        ("visitationsydelse", "'ja tak'", "Rådgivningsforløb i en enkeltsag", "29. maj 2026"),
    ),
    "offer_unaddressed": (
        deadlines.offer_notices,
        OFFER,
        ("specialister", "kontakt leverandøren direkte", "29. maj 2026"),
    ),
    "next_supplier": (
        deadlines.next_supplier_notice,
        NextSupplierNeeded(
            case_id="k1",
            offer_id="o1",
            consultant_id="c1",
            previous_supplier_id="bravo",
            why="declined",
            reason="Ingen ledig kapacitet",
            next_supplier_id="alpha",
            next_supplier_name="Alfa",
        ),
        ("nej tak", "kapacitet. Næste egnede leverandør: Alfa (alpha)."),
    ),
    "deadline_reminder": (
        deadlines.reminder_notices,
        DeadlineSet(**BASE),
        ("Frist på sag k1: opsamlingsnotatet fra det afklarende møde senest 29. maj 2026",),
    ),
    "deadline_changed": (
        deadlines.changed_notices,
        DeadlineChanged(**BASE, previous_due=date(2026, 5, 28), reason="Aftalt med henvender"),
        ("Frist flyttet", "nu senest 29. maj 2026", "tidligere 28. maj 2026"),
    ),
    "deadline_escalation": (
        deadlines.escalation_notices,
        DeadlineMissed(**BASE),
        ("Frist overskredet", "Ansvarlig: specialisten hos leverandør alpha."),
    ),
    "agreement_proposed": (
        leverance_notices.proposed_notice,
        DeliveryAgreementProposed(
            **PART, change=True, total_dkk=Decimal("48250.50"), consultant_id="c1", proposed_by="s"
        ),
        ("Forslag til ændring af leveranceaftale", "48.250,50 kr."),
    ),
    "agreement_returned": (
        leverance_notices.returned_notice,
        DeliveryAgreementReturned(
            **PART,
            objections="Målene er for brede",
            returned_by="c1",
            by_role="consultant",
            specialist_id="spec-a",
        ),
        ("genforhandling", "fagkonsulenten", "Indvendinger: Målene er for brede."),
    ),
    "high_price_approval_requested": (
        leverance_notices.approval_requested_notice,
        HighPriceApprovalRequested(
            **HIGH_PRICE, threshold_dkk=Decimal("150000.00"), manager_id="leder-1"
        ),
        ("Højprisleverance", "afventer din godkendelse", "155.800,00 kr.", "150.000,00 kr."),
    ),
    "high_price_decided": (
        leverance_notices.decision_notice,
        HighPriceDecided(
            **HIGH_PRICE, approved=False, objections="For dyr", manager_id="m", decided_at=NOW
        ),
        ("Hot-advis", "afvist højprisleverancen", "Begrundelse: For dyr."),
    ),
    "agreement_approved": (
        case_record_notices.agreement_notices,
        DeliveryAgreementApproved(
            **PART,
            change=True,
            total_dkk=Decimal("48250.50"),
            approved_at=NOW,
            specialist_id="spec-a",
        ),
        ("Ændringen af leveranceaftale", "er godkendt og gælder nu", "48.250,50 kr."),
    ),
    "case_note": (
        case_record_notices.note_notices,
        NoteWritten(
            note_id="n1",
            case_id="k1",
            category="phone_call",
            occurred_at=NOW,
            written_at=NOW,
            author_id="spec-a",
            author_role="specialist",
            version=2,
            corrects_note_id="n0",
            notify_user_ids=["c1"],
        ),
        ("Rettelse af notat", "telefonsamtale", "sagens journal"),
    ),
    "document_added": (
        case_record_notices.version_notices,
        DocumentVersionAdded(
            document_id="d1",
            case_id="k1",
            kind="advisory_report",
            title="Rådgivningsrapport (udkast)",
            version=1,
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            added_by="spec-a",
            added_by_role="specialist",
            added_at=NOW,
            notify_user_ids=["c1"],
        ),
        ('Dokumentet "Rådgivningsrapport (udkast)" (version 1) er lagt på sag k1',),
    ),
    "concern_report": (
        case_record_notices.concern_notices,
        ConcernReportStepRecorded(
            report_id="u1",
            case_id="k1",
            step="released",
            by="c1",
            by_role="consultant",
            at=NOW,
            notify_user_ids=["spec-a"],
        ),
        ("En underretning er sendt", "fagkonsulent"),
    ),
    "document_finalised": (
        case_record_notices.final_notices,
        DocumentJournaled(
            document_id="d1",
            case_id="k1",
            kind="advisory_report",
            title="Rådgivningsrapport",
            sent_to=["Odense Kommune"],
            journaled_by="spec-a",
            journaled_by_role="specialist",
            journaled_at=NOW,
            notify_user_ids=["c1"],
        ),
        ("er endeligt og journaliseret og sendt til Odense Kommune",),
    ),
    "delivery_fallen_back": (
        fallback_notice,
        FALLEN_BACK,
        ("Kvitteringsbrevet til Odense Kommune", "e-mail", "sikker e-mail", "henvendelse h-1"),
    ),
    "delivery_failed": (
        failed_notice,
        FAILED,
        ("kunne ikke leveres", "almindelig post", "prøv igen"),
    ),
}


def example(kind: str) -> Notice:
    """The (first) notice of the kind's example event."""
    build, event, _ = EXAMPLES[kind]
    made = build(event, event_id="e", now=NOW)
    return made[0] if isinstance(made, list) else made


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[a-zæøå]+", text.lower())) & ENGLISH


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(NOTICE_KINDS)


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_each_kind_of_notice_is_danish(kind: str) -> None:
    notice, terms = example(kind), EXAMPLES[kind][2]
    assert notice.kind == kind
    assert english_words(notice.text) == set(), notice.text
    for term in terms:
        assert term in notice.text, notice.text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", notice.text), "dates are written the Danish way"
    assert notice.case_id == "k1"


def _deadline_rules(*modules: ModuleType) -> set[str]:
    """The rule ids the services' deadline modules name (constants and DeadlineRule ids)."""
    found: set[str] = set()
    for module in modules:
        for value in vars(module).values():
            rule = getattr(value, "id", value)
            if isinstance(rule, str) and re.fullmatch(r"(intake|visitation|leverance)\.\w+", rule):
                found.add(rule)
    return found


RULES = sorted(
    _deadline_rules(intake_deadlines, visitation_deadlines, leverance_deadlines)
    | set(access_model.RULES.values())
    | {concern_model.RECEIPT_RULE}
)


def test_the_services_deadline_rules_are_found() -> None:
    assert {"intake.phone_extended_form", "visitation.first_contact"} <= set(RULES)
    assert {"leverance.log_consumption", "visitation.clarifying_meeting_preferred"} <= set(RULES)


@pytest.mark.parametrize("rule", RULES)
def test_every_deadline_rule_the_services_set_has_a_danish_name(rule: str) -> None:
    assert rule in texts.DEADLINE_RULES
    event = DeadlineSet(**{**BASE, "rule": rule, "rule_text": "do it"})
    [reminder] = deadlines.reminder_notices(event, event_id="e", now=NOW)
    assert english_words(reminder.text) == set(), reminder.text


def test_an_unknown_rule_or_service_is_shown_by_its_id() -> None:
    assert texts.deadline_rule("visitation.new_rule", start=date(2026, 1, 2)) == (
        "sagsskridtet visitation.new_rule"
    )
    assert texts.service("new_service") == "new_service"


def test_the_log_consumption_rule_names_the_activitys_planned_day() -> None:
    text = texts.deadline_rule("leverance.log_consumption", start=date(2026, 12, 6))
    assert text.endswith("aktiviteten planlagt 6. december 2026")


def test_dates_and_amounts_are_written_the_danish_way() -> None:
    assert texts.danish_date(date(2026, 12, 6)) == "6. december 2026"
    assert texts.danish_date(date(2027, 1, 31)) == "31. januar 2027"
    assert texts.kroner(Decimal("1234567.5")) == "1.234.567,50 kr."
    assert texts.kroner(Decimal("0.00")) == "0,00 kr."
