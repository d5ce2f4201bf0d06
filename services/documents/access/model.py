"""Access to records (aktindsigt, H ch. 7): a request split into its legal parts, each with its
own deadline; the record compiled item by item with a decision and its legal basis; the
disclosure; a delay letter before a deadline is missed. No I/O."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.contracts.deadlines import DeadlineChanged, DeadlineMet, DeadlineMissed, DeadlineSet
from services.kernel.errors import IllegalTransition, InvalidInput
from services.kernel.store import Aggregate
from services.workdays import WorkingDayCalendar
from services.workdays.calendar import add_months

Relation = Literal["party", "named", "other"]
"""The requester's relation to the cases: a party to them, named in their documents, or
neither (e.g. a journalist)."""
PartKind = Literal["decision", "gdpr", "files_act"]
Decision = Literal["undecided", "disclose", "partly", "withhold"]

PUBLIC_ADMINISTRATION_DAYS = 7
"""The decision part (forvaltningsloven): answered within 7 working days (H 7)."""
FILES_ACT_DAYS = 7
"""The Access to Public Administration Files Act (offentlighedsloven § 36): 7 working days."""
GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2

RULES = {
    "decision": "documents.access_decision_part",
    "gdpr": "documents.access_gdpr_part",
    "files_act": "documents.access_files_act_part",
}
RULE_TEXTS = {
    "decision": "answer the decision part of the access request (Public Administration Act)",
    "gdpr": "answer the access request's personal-data part (GDPR art. 15)",
    "files_act": "answer the access request (Access to Public Administration Files Act)",
}
LEGAL_BASES: dict[str, str] = {
    "fvl_15": "Forvaltningsloven § 15 (hensyn til private eller offentlige interesser)",
    "fvl_15a": "Forvaltningsloven § 15 a (oplysninger om andres private forhold)",
    "fvl_15b": "Forvaltningsloven § 15 b (væsentlige hensyn til private interesser)",
    "fvl_12": "Forvaltningsloven § 12 (interne arbejdsdokumenter)",
    "offl_21": "Offentlighedsloven § 21 (oplysninger om private forhold)",
    "offl_23": "Offentlighedsloven § 23 (interne dokumenter)",
    "offl_30": "Offentlighedsloven § 30 (private og økonomiske forhold)",
    "gdpr_15_4": "Databeskyttelsesforordningen art. 15, stk. 4 (andres rettigheder)",
    "dbl_22": "Databeskyttelsesloven § 22 (hensyn til den registrerede selv eller andre)",
}
"""The code list of legal bases for withholding or redacting (a decision other than disclose)."""
REDACTED = "[UDELADT]"
PARTS_BY_RELATION: dict[str, tuple[PartKind, ...]] = {
    "party": ("decision", "gdpr"),
    "named": ("gdpr",),
    "other": ("files_act",),
}


class Part(BaseModel):
    """One legal part of a request, with its deadline."""

    kind: PartKind
    deadline_id: str
    start: date
    due: date
    explanation: str
    status: Literal["open", "met", "missed"] = "open"
    extended_reason: str = ""
    delay_letter_on: date | None = None
    delay_reason: str = ""
    expected_on: date | None = None


class Item(BaseModel):
    """One note or final document of the cases in scope, and the decision on it."""

    item_id: str
    item: Literal["note", "document"]
    case_id: str
    title: str
    recorded_at: datetime
    decision: Decision = "undecided"
    legal_basis: str = ""
    redacted_passages: list[str] = Field(default_factory=list)


class AccessRequest(Aggregate):
    """An access request the central unit handles."""

    received_on: date
    channel: str
    requester_name: str
    requester_contact: str = ""
    relation: Relation
    on_behalf_of: str = ""
    power_of_attorney: str = ""
    case_ids: list[str]
    period_from: date | None = None
    period_to: date | None = None
    registered_by: str
    manager_id: str
    parts: list[Part]
    items: list[Item] = Field(default_factory=list)
    compiled_at: datetime | None = None
    status: Literal["registered", "compiled", "delivered"] = "registered"
    delivered_at: datetime | None = None
    package_document_id: str = ""
    letter_document_id: str = ""


def parts_for(
    relation: Relation, received_on: date, request_id: str, calendar: WorkingDayCalendar
) -> list[Part]:
    """The legal parts of a request and their deadlines: a party gets the decision part (7
    working days) and the personal-data part (one month); someone named in the documents the
    personal-data part; anyone else the Files Act part (7 working days)."""
    kinds = PARTS_BY_RELATION[relation]
    found = []
    for kind in kinds:
        if kind == "gdpr":
            due, explanation = gdpr_due(received_on, GDPR_MONTHS, calendar)
        else:
            explained = calendar.explain_working_days(received_on, PUBLIC_ADMINISTRATION_DAYS)
            due, explanation = explained.due, explained.explanation
        found.append(
            Part(
                kind=kind,
                deadline_id=f"{request_id}:{kind}",
                start=received_on,
                due=due,
                explanation=explanation,
            )
        )
    return found


def gdpr_due(received_on: date, months: int, calendar: WorkingDayCalendar) -> tuple[date, str]:
    """`months` after receipt; a period ending on a day off ends on the next working day."""
    raw = add_months(received_on, months)
    due = calendar.roll_to_working_day(raw)
    moved = "" if due == raw else f", moved from {raw.isoformat()} (not a working day)"
    return due, f"{months} month(s) after {received_on.isoformat()} is {due.isoformat()}{moved}"


def extend_gdpr(request: AccessRequest, reason: str, calendar: WorkingDayCalendar) -> Part:
    """The personal-data part extended by two months, with the reason (GDPR art. 12(3))."""
    part = _part(request, "gdpr")
    if part.extended_reason:
        raise IllegalTransition("the personal-data part was already extended")
    if part.status != "open":
        raise IllegalTransition(f"the personal-data part is {part.status}")
    due, explanation = gdpr_due(part.start, GDPR_MONTHS + GDPR_EXTENSION_MONTHS, calendar)
    return part.model_copy(
        update={"due": due, "explanation": explanation, "extended_reason": reason}
    )


def _part(request: AccessRequest, kind: str) -> Part:
    for part in request.parts:
        if part.kind == kind:
            return part
    raise IllegalTransition(f"the request has no {kind} part")


def with_part(request: AccessRequest, part: Part) -> AccessRequest:
    """The request with one part replaced."""
    parts = [part if p.kind == part.kind else p for p in request.parts]
    return request.model_copy(update={"parts": parts})


def delay_letter(
    request: AccessRequest, kind: str, *, on: date, reason: str, expected_on: date
) -> Part:
    """The part with the delay letter recorded: before its deadline, with a later expected day."""
    part = _part(request, kind)
    if part.status != "open":
        raise IllegalTransition(f"the {kind} part is {part.status}")
    if on > part.due:
        raise IllegalTransition(
            f"the delay letter must go before the deadline {part.due.isoformat()}"
        )
    if expected_on <= part.due:
        raise InvalidInput.single("expected_on", "after the deadline the letter explains")
    return part.model_copy(
        update={"delay_letter_on": on, "delay_reason": reason, "expected_on": expected_on}
    )


def decide(
    request: AccessRequest,
    item_id: str,
    decision: Decision,
    legal_basis: str,
    redacted_passages: list[str],
) -> AccessRequest:
    """Record the decision on one compiled item; withholding or redacting names a legal basis
    from the code list, redacting names the passages."""
    if request.status == "delivered":
        raise IllegalTransition("the request is delivered; its decisions are final")
    if decision == "undecided":
        raise InvalidInput.single("decision", "disclose, partly or withhold")
    if decision != "disclose" and legal_basis not in LEGAL_BASES:
        raise InvalidInput.single("legal_basis", f"one of {', '.join(LEGAL_BASES)} for {decision}")
    if decision == "partly" and not [p for p in redacted_passages if p.strip()]:
        raise InvalidInput.single("redacted_passages", "name the passages left out")
    items = []
    found = False
    for item in request.items:
        if item.item_id == item_id:
            found = True
            item = item.model_copy(
                update={
                    "decision": decision,
                    "legal_basis": "" if decision == "disclose" else legal_basis,
                    "redacted_passages": redacted_passages if decision == "partly" else [],
                }
            )
        items.append(item)
    if not found:
        raise InvalidInput.single("item_id", "not an item compiled for this request")
    return request.model_copy(update={"items": items})


def check_deliverable(request: AccessRequest) -> None:
    """Every compiled item decided; not delivered before."""
    if request.status == "delivered":
        raise IllegalTransition("the request is already delivered")
    if request.compiled_at is None:
        raise IllegalTransition("compile the record first")
    undecided = [i.item_id for i in request.items if i.decision == "undecided"]
    if undecided:
        raise IllegalTransition(f"{len(undecided)} item(s) still undecided: {undecided[0]} ...")


def redact(text: str, passages: list[str]) -> str:
    """The text with each passage replaced by the redaction mark."""
    for passage in sorted((p for p in passages if p.strip()), key=len, reverse=True):
        text = re.sub(re.escape(passage.strip()), REDACTED, text)
    return text


def in_period(request: AccessRequest, moment: datetime) -> bool:
    """Whether an item recorded at `moment` falls in the period asked about."""
    day = moment.date()
    if request.period_from and day < request.period_from:
        return False
    return not (request.period_to and day > request.period_to)


def _deadline_fields(request: AccessRequest, part: Part) -> dict[str, object]:
    return {
        "deadline_id": part.deadline_id,
        "case_id": request.id,
        "rule": RULES[part.kind],
        "rule_text": RULE_TEXTS[part.kind],
        "start": part.start,
        "due": part.due,
        "explanation": part.explanation,
        "responsible_user_id": request.registered_by,
        "responsible_role": "support",
    }


def deadline_set(request: AccessRequest, part: Part) -> DeadlineSet:
    """The event setting a part's deadline."""
    return DeadlineSet.model_validate(_deadline_fields(request, part))


def deadline_changed(
    request: AccessRequest, part: Part, previous_due: date, reason: str
) -> DeadlineChanged:
    """The event moving a part's deadline."""
    fields = {**_deadline_fields(request, part), "previous_due": previous_due, "reason": reason}
    return DeadlineChanged.model_validate(fields)


def deadline_met(request: AccessRequest, part: Part, on: date) -> DeadlineMet:
    """The event saying a part was answered."""
    return DeadlineMet.model_validate({**_deadline_fields(request, part), "met_on": on})


def deadline_missed(request: AccessRequest, part: Part) -> DeadlineMissed:
    """The event saying a part's deadline passed: without a delay letter the manager must act
    (the escalation reaches them), with one the handler who sent it."""
    fields = _deadline_fields(request, part)
    if part.delay_letter_on is None:
        fields |= {"responsible_user_id": request.manager_id, "responsible_role": "manager"}
    return DeadlineMissed.model_validate(fields)


def missed(request: AccessRequest, today: date) -> tuple[AccessRequest, list[DeadlineMissed]]:
    """Every open part due before `today`, marked missed once."""
    events = []
    parts = []
    for part in request.parts:
        if part.status == "open" and part.due < today:
            part = part.model_copy(update={"status": "missed"})
            events.append(deadline_missed(request, part))
        parts.append(part)
    return request.model_copy(update={"parts": parts}), events
