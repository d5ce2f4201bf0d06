"""Concern reports' use cases: draft, read (audited), release (co-signed or by the specialist
alone: rendered, journaled, announced for delivery, its receipt awaited), receipt,
Ankestyrelsen, and the receipt deadline check."""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ASCENDING

from services.contracts.deadlines import DeadlineMet, DeadlineMissed, DeadlineSet
from services.contracts.documents import ConcernReportReleased, ConcernReportStepRecorded
from services.documents import case_facts
from services.documents.case_record import (
    AUDIT,
    audit,
    author_line,
    case_for,
    document_entry_for,
    documents,
    store_file_then,
)
from services.documents.concern import model
from services.documents.concern.commands import DraftConcernReport, RecordAnkestyrelsen
from services.documents.concern.model import ConcernReport
from services.documents.domain import JournalEntry
from services.documents.handlers import append_entry
from services.documents.record import ArchiveState, CaseDocument, CaseFacts
from services.documents.rendering import Filling, render
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.paging import Paging, page_size
from services.kernel.store import MongoStore, Repository, Transaction
from services.workdays import WorkingDayCalendar

CONCERNS = "concern_reports"
reports = Repository(ConcernReport, CONCERNS)
ORDER = (("drafted_at", ASCENDING), ("_id", ASCENDING))
RECIPIENT_NAMES = {
    "municipality": "kommunens underretningspostkasse",
    "management": "tilbuddets ledelse",
    "authority": "borgerens myndighedsrådgiver",
    "socialtilsynet": "Socialtilsynet",
}
STEP_TEXTS = {
    "drafted": "Underretning/bekymringsskrivelse udarbejdet som udkast",
    "released": "Underretning/bekymringsskrivelse sendt",
    "received": "Modtagelse af underretning/bekymringsskrivelse kvitteret",
    "ankestyrelsen": "Vurdering af underretning til Ankestyrelsen registreret",
}


async def _visible(
    tx: Transaction, report_id: str, principal: Principal
) -> tuple[ConcernReport, CaseFacts]:
    """A report of a case the caller may see; a supplier's staff only their own supplier's."""
    report = await reports.get(tx, report_id)
    if report is None or (principal.is_supplier and report.supplier_id != principal.supplier_id):
        raise NotFound("concern report", report_id)
    try:
        facts = await case_for(tx, report.case_id, principal)
    except NotFound:
        raise NotFound("concern report", report_id) from None
    return report, facts


def _step(
    tx: Transaction, report: ConcernReport, facts: CaseFacts, step: str, principal: Principal
) -> None:
    now = utcnow()
    tx.emit(
        ConcernReportStepRecorded(
            report_id=report.id,
            case_id=report.case_id,
            step=step,
            by=principal.user_id,
            by_role=principal.role,
            at=now,
            notify_user_ids=facts.notify_for(principal),
        )
    )
    append_entry(
        tx,
        JournalEntry(
            id=f"concern:{report.id}:{step}",
            inquiry_id=report.inquiry_id,
            kind=f"concern_report_{step}",
            text=f"{STEP_TEXTS[step]} ({report.id}).",
            recorded_at=now,
            source_event_id="",
            case_id=report.case_id,
            journaled_by=principal.user_id,
        ),
    )


async def draft(
    command: DraftConcernReport, *, store: MongoStore, principal: Principal
) -> ConcernReport:
    """Draft a report on a case the caller works on."""
    model.check_recipients(command.subject, list(command.recipients), command.municipality_code)

    async def work(tx: Transaction) -> ConcernReport:
        facts = await case_for(tx, command.case_id, principal)
        report = ConcernReport(
            id=new_id(),
            case_id=command.case_id,
            inquiry_id=facts.inquiry_id,
            subject=command.subject,
            recipients=list(command.recipients),
            municipality_code=command.municipality_code,
            facts=command.facts,
            viso_task=command.viso_task,
            observations=command.observations,
            drafted_by=principal.user_id,
            drafted_role=principal.role,
            supplier_id=principal.supplier_id,
            drafted_at=utcnow(),
        )
        stored = await reports.add(tx, report)
        _step(tx, stored, facts, "drafted", principal)
        return stored

    return await store.transact(work)


async def read(report_id: str, *, store: MongoStore, principal: Principal) -> ConcernReport:
    """One report, its read in the audit trail (its text is protected like CPR data)."""

    async def work(tx: Transaction) -> ConcernReport:
        report, _ = await _visible(tx, report_id, principal)
        tx.insert(
            AUDIT,
            audit(
                principal,
                "GetConcernReport",
                item="concern_report",
                item_id=report.id,
                case_id=report.case_id,
            ),
        )
        return report

    return await store.transact(work)


async def list_for_case(
    case_id: str, *, size: int, token: str, store: MongoStore, principal: Principal
) -> tuple[list[ConcernReport], str]:
    """A page of the reports of a case the caller may see (a supplier's staff: their own
    supplier's), oldest draft first, and the next page's token."""

    async def check(tx: Transaction) -> None:
        await case_for(tx, case_id, principal)

    await store.transact(check)
    query: dict[str, Any] = {"case_id": case_id}
    if principal.is_supplier:
        query["supplier_id"] = principal.supplier_id
    return await Paging(ORDER, query).aggregates(
        reports, store.db, query, size=page_size(size), token=token
    )


def _fields(report: ConcernReport, decided: ConcernReport) -> dict[str, str]:
    names = ", ".join(RECIPIENT_NAMES[r] for r in report.recipients)
    if report.municipality_code:
        names += f" (kommune {report.municipality_code})"
    if decided.cosigned_by:
        signature = f"Medunderskrevet af fagkonsulent {decided.cosigned_by}."
    else:
        signature = (
            "Sendt af specialisten uden fagkonsulentens medunderskrift: "
            f"{decided.without_cosignature_reason}"
        )
    return {
        "recipient": names,
        "facts": report.facts,
        "viso_task": report.viso_task,
        "observations": report.observations,
        "drafted_by": f"{report.drafted_role} {report.drafted_by}",
        "signature": signature,
    }


async def release(
    report_id: str,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
    reason: str = "",
    cosign: bool,
) -> ConcernReport:
    """Co-signed by the case's consultant, or sent by the specialist alone with the reason:
    rendered, journaled as a final, announced for delivery, its receipt awaited."""

    async def check(tx: Transaction) -> tuple[ConcernReport, ConcernReport, CaseFacts]:
        report, facts = await _visible(tx, report_id, principal)
        decided = (
            model.cosign(report, principal, facts.consultant_id)
            if cosign
            else model.send_without_cosignature(report, principal, reason)
        )
        return report, decided, facts

    report, decided, facts = await store.transact(check)
    template = "concern_report_child" if report.subject == "child" else "concern_letter_adult"
    made = render(
        template,
        facts,
        Filling(_fields(report, decided), author_line=author_line(principal)),
        draft=False,
    )
    title = "Underretning til kommunen" if report.subject == "child" else "Bekymringsskrivelse"

    async def work(tx: Transaction, file_id: str) -> CaseDocument:
        current, decided, facts = await check(tx)
        if current.version != report.version:
            raise ConcurrencyConflict("concern report", report.id, report.version)
        now = utcnow()
        document = CaseDocument(
            id=new_id(),
            case_id=current.case_id,
            inquiry_id=current.inquiry_id,
            kind="concern_report",
            title=title,
            status="final",
            versions=[
                made.first_version(
                    file_id=file_id, by=principal.user_id, template=template, now=now
                )
            ],
            sent_to=[RECIPIENT_NAMES[r] for r in current.recipients],
            finalised_at=now,
            archive=ArchiveState(status="pending"),
            created_by=current.drafted_by,
            created_by_role=current.drafted_role,
            supplier_id=current.supplier_id,
            created_at=now,
        )
        stored_document = await documents.add(tx, document)
        out = model.released(decided, document_id=stored_document.id, now=now)
        await reports.save(tx, out, expected_version=current.version)
        append_entry(tx, document_entry_for(stored_document, journaled_by=principal.user_id))
        tx.emit(
            ConcernReportReleased(
                report_id=out.id,
                case_id=out.case_id,
                subject_kind=out.subject,
                recipients=list(out.recipients),
                municipality_code=out.municipality_code,
                document_id=stored_document.id,
                cosigned=bool(out.cosigned_by),
                released_by=principal.user_id,
                released_at=now,
            )
        )
        tx.emit(DeadlineSet.model_validate(_receipt_deadline(out, facts, calendar)))
        _step(tx, out, facts, "released", principal)
        return stored_document

    await store_file_then(
        store, made.data, filename=made.filename, metadata={"concern_report": report.id}, work=work
    )
    return await read(report_id, store=store, principal=principal)


def _receipt_deadline(
    report: ConcernReport, facts: CaseFacts, calendar: WorkingDayCalendar
) -> dict[str, Any]:
    assert report.released_at is not None
    start = report.released_at.date()
    explained = calendar.explain_working_days(start, model.RECEIPT_WORKING_DAYS)
    return {
        "deadline_id": f"{report.id}:receipt",
        "case_id": report.case_id,
        "rule": model.RECEIPT_RULE,
        "rule_text": model.RECEIPT_RULE_TEXT,
        "start": start,
        "due": explained.due,
        "explanation": explained.explanation,
        "responsible_user_id": facts.consultant_id or None,
        "responsible_role": "consultant",
        "consultant_id": facts.consultant_id or None,
    }


async def record_receipt(
    report_id: str,
    reference: str,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> ConcernReport:
    """The recipient acknowledged the report."""

    async def work(tx: Transaction) -> ConcernReport:
        report, facts = await _visible(tx, report_id, principal)
        now = utcnow()
        got = model.receipt(report, reference=reference, now=now)
        stored = await reports.save(tx, got, expected_version=report.version)
        fields = _receipt_deadline(report, facts, calendar)
        tx.emit(DeadlineMet.model_validate({**fields, "met_on": now.date()}))
        _step(tx, stored, facts, "received", principal)
        return stored

    return await store.transact(work)


async def record_ankestyrelsen(
    command: RecordAnkestyrelsen, *, store: MongoStore, principal: Principal
) -> ConcernReport:
    """The consultant's Ankestyrelsen step."""

    async def work(tx: Transaction) -> ConcernReport:
        report, facts = await _visible(tx, command.report_id, principal)
        stepped = model.ankestyrelsen(
            report,
            notified=command.notified,
            manager_consulted=command.manager_consulted,
            what_sent=command.what_sent,
            consultant=principal,
            case_consultant=facts.consultant_id,
            now=utcnow(),
        )
        stored = await reports.save(tx, stepped, expected_version=report.version)
        _step(tx, stored, facts, "ankestyrelsen", principal)
        return stored

    return await store.transact(work)


async def check_receipts(*, store: MongoStore, today: date, calendar: WorkingDayCalendar) -> int:
    """Report missed once every released report without a receipt past its deadline."""
    reported = 0
    pending = {"status": "released", "receipt_missed": None}
    async for doc in store.db[CONCERNS].find(pending):
        report = reports.from_doc(doc)

        async def work(tx: Transaction, report: ConcernReport = report) -> int:
            facts = await case_facts.facts(tx, report.case_id)
            fields = _receipt_deadline(report, facts, calendar)
            if fields["due"] >= today:
                return 0
            missed = report.model_copy(update={"receipt_missed": today})
            await reports.save(tx, missed, expected_version=report.version)
            tx.emit(DeadlineMissed.model_validate(fields))
            return 1

        try:
            reported += await store.transact(work)
        except ConcurrencyConflict:
            continue
    return reported
