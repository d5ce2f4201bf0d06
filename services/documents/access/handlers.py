"""Access requests' use cases: register, compile from the case record, decide, extend, delay,
deliver, and the deadline check."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader

from services.contracts.documents import NOTE_CATEGORY_NAMES, DocumentReadyToSend
from services.documents import case_facts, files
from services.documents.access import model
from services.documents.access.commands import (
    DecideAccessItem,
    ExtendAccessDeadline,
    RegisterAccessRequest,
    SendAccessDelayLetter,
)
from services.documents.access.model import AccessRequest, Item
from services.documents.case_record import (
    AUDIT,
    DOCUMENTS,
    NOTES,
    audit,
    author_line,
    documents,
    notes,
    store_file_then,
)
from services.documents.domain import JournalEntry
from services.documents.handlers import append_entry
from services.documents.record import ArchiveState, CaseDocument, CaseFacts
from services.documents.rendering import Filling, Rendered, danish_date, render, to_pdf
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import (
    ConcurrencyConflict,
    FieldViolation,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from services.kernel.store import MongoStore, Repository, Transaction
from services.workdays import WorkingDayCalendar

ACCESS = "access_requests"
requests = Repository(AccessRequest, ACCESS)
PART_NAMES = {
    "decision": "afgørelsesdelen (forvaltningsloven)",
    "gdpr": "personoplysningerne (databeskyttelsesforordningens art. 15)",
    "files_act": "aktindsigt efter offentlighedsloven",
}


def _category(category: str) -> str:
    return NOTE_CATEGORY_NAMES.get(category, category)


async def _request(tx: Transaction, request_id: str) -> AccessRequest:
    found = await requests.get(tx, request_id)
    if found is None:
        raise NotFound("access request", request_id)
    return found


async def _save(
    tx: Transaction, request: AccessRequest, read: AccessRequest, events: list[Any]
) -> AccessRequest:
    stored = await requests.save(tx, request, expected_version=read.version)
    for event in events:
        tx.emit(event)
    return stored


def _journal(
    tx: Transaction,
    request: AccessRequest,
    facts: dict[str, CaseFacts],
    kind: str,
    text: str,
    *,
    document_id: str = "",
) -> None:
    now = utcnow()
    for case_id in request.case_ids:
        append_entry(
            tx,
            JournalEntry(
                id=f"{kind}:{request.id}:{case_id}",
                inquiry_id=facts[case_id].inquiry_id if case_id in facts else "",
                kind=kind,
                text=text,
                recorded_at=now,
                source_event_id="",
                case_id=case_id,
                journaled_by=request.registered_by,
                document_id=document_id,
            ),
        )


async def _facts(tx: Transaction, case_ids: list[str]) -> dict[str, CaseFacts]:
    found = {}
    for index, case_id in enumerate(case_ids):
        try:
            found[case_id] = await case_facts.facts(tx, case_id)
        except NotFound:
            raise InvalidInput.single(f"case_ids.{index}", "no case documents knows") from None
    return found


def _checked(command: RegisterAccessRequest, today: date) -> date:
    problems = []
    received = command.received_on or today
    if received > today:
        problems.append(FieldViolation("received_on", "not in the future"))
    if bool(command.on_behalf_of) != bool(command.power_of_attorney):
        field = "power_of_attorney" if command.on_behalf_of else "on_behalf_of"
        problems.append(
            FieldViolation(
                field, "acting on someone's behalf needs both the person and the power of attorney"
            )
        )
    if command.period_from and command.period_to and command.period_to < command.period_from:
        problems.append(FieldViolation("period_to", "not before period_from"))
    if len(set(command.case_ids)) != len(command.case_ids):
        problems.append(FieldViolation("case_ids", "each case once"))
    if problems:
        raise InvalidInput(problems)
    return received


async def register(
    command: RegisterAccessRequest,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
    default_manager: str,
) -> AccessRequest:
    """Register a request: its parts and their deadlines, journaled on every case asked about."""
    received = _checked(command, utcnow().date())

    async def work(tx: Transaction) -> AccessRequest:
        facts = await _facts(tx, list(command.case_ids))
        request_id = new_id()
        request = AccessRequest(
            id=request_id,
            received_on=received,
            channel=command.channel,
            requester_name=command.requester_name,
            requester_contact=command.requester_contact,
            relation=command.relation,
            on_behalf_of=command.on_behalf_of,
            power_of_attorney=command.power_of_attorney,
            case_ids=list(command.case_ids),
            period_from=command.period_from,
            period_to=command.period_to,
            registered_by=principal.user_id,
            manager_id=command.manager_id or default_manager,
            parts=model.parts_for(command.relation, received, request_id, calendar),
        )
        stored = await requests.add(tx, request)
        for part in stored.parts:
            tx.emit(model.deadline_set(stored, part))
        behalf = f" på vegne af {command.on_behalf_of} (fuldmagt)" if command.on_behalf_of else ""
        _journal(
            tx,
            stored,
            facts,
            "access_request",
            f"Anmodning om aktindsigt modtaget {danish_date(received)} "
            f"({command.channel}){behalf}.",
        )
        return stored

    return await store.transact(work)


async def get(request_id: str, *, store: MongoStore) -> AccessRequest:
    """One request."""
    found = await requests.read(store.db, request_id)
    if found is None:
        raise NotFound("access request", request_id)
    return found


async def compile_record(
    request_id: str, *, store: MongoStore, principal: Principal
) -> AccessRequest:
    """Every note and final document of the cases in scope as an item; decisions made stay."""

    async def work(tx: Transaction) -> AccessRequest:
        request = await _request(tx, request_id)
        if request.status == "delivered":
            raise IllegalTransition("the request is already delivered")
        known = {i.item_id: i for i in request.items}
        scope = {"case_id": {"$in": request.case_ids}, "content_deleted_at": None}
        items = list(request.items)
        for doc in await tx.find(NOTES, scope):
            if doc["_id"] not in known and model.in_period(request, doc["written_at"]):
                items.append(
                    Item(
                        item_id=doc["_id"],
                        item="note",
                        case_id=doc["case_id"],
                        title=f"Notat ({_category(doc['category'])})",
                        recorded_at=doc["written_at"],
                    )
                )
        for doc in await tx.find(DOCUMENTS, {**scope, "status": "final"}):
            when = doc.get("finalised_at") or doc["created_at"]
            if doc["_id"] not in known and model.in_period(request, when):
                items.append(
                    Item(
                        item_id=doc["_id"],
                        item="document",
                        case_id=doc["case_id"],
                        title=doc["title"],
                        recorded_at=when,
                    )
                )
        items.sort(key=lambda i: (i.recorded_at, i.item_id))
        for item in items:
            if item.item_id not in known:
                tx.insert(
                    AUDIT,
                    audit(
                        principal,
                        "CompileAccessRequest",
                        item=item.item,
                        item_id=item.item_id,
                        case_id=item.case_id,
                        access_request_id=request.id,
                        action_detail="compiled",
                    ),
                )
        updated = request.model_copy(
            update={"items": items, "compiled_at": utcnow(), "status": "compiled"}
        )
        return await _save(tx, updated, request, [])

    return await store.transact(work)


async def decide(command: DecideAccessItem, *, store: MongoStore) -> AccessRequest:
    """Record a decision on one item."""

    async def work(tx: Transaction) -> AccessRequest:
        request = await _request(tx, command.request_id)
        updated = model.decide(
            request,
            command.item_id,
            command.decision,
            command.legal_basis,
            list(command.redacted_passages),
        )
        return await _save(tx, updated, request, [])

    return await store.transact(work)


async def extend(
    command: ExtendAccessDeadline, *, store: MongoStore, calendar: WorkingDayCalendar
) -> AccessRequest:
    """Extend the personal-data part by two months."""

    async def work(tx: Transaction) -> AccessRequest:
        request = await _request(tx, command.request_id)
        before = next(p for p in request.parts if p.kind == "gdpr") if request.parts else None
        part = model.extend_gdpr(request, command.reason, calendar)
        updated = model.with_part(request, part)
        assert before is not None
        event = model.deadline_changed(updated, part, before.due, command.reason)
        return await _save(tx, updated, request, [event])

    return await store.transact(work)


def _final_document(
    request: AccessRequest,
    facts: dict[str, CaseFacts],
    *,
    document_id: str,
    kind: str,
    title: str,
    file_id: str,
    rendered: Rendered,
    template: str | None,
    principal: Principal,
) -> CaseDocument:
    """A final of the case record made by the central unit (on the first case asked about)."""
    now = utcnow()
    first = request.case_ids[0]
    return CaseDocument(
        id=document_id,
        case_id=first,
        inquiry_id=facts[first].inquiry_id if first in facts else "",
        kind=kind,
        title=title,
        status="final",
        versions=[
            rendered.first_version(
                file_id=file_id, by=principal.user_id, template=template, now=now
            )
        ],
        sent_to=[request.requester_name],
        finalised_at=now,
        archive=ArchiveState(status="pending"),
        created_by=principal.user_id,
        created_by_role=principal.role,
        created_at=now,
    )


def _to_requester(
    request: AccessRequest, document: CaseDocument, *, kind: str, title: str, body: str
) -> DocumentReadyToSend:
    """A document for the requester, to be delivered: by e-mail when their contact is an
    address, else as Team Support's task."""
    contact = request.requester_contact.strip()
    return DocumentReadyToSend(
        document_id=document.id,
        case_id=document.case_id,
        inquiry_id=document.inquiry_id,
        message_kind=kind,
        recipient_name=request.requester_name,
        recipient_email=contact if "@" in contact and " " not in contact else "",
        title=title,
        body=f"Kære {request.requester_name}\n\n{body}\n\nMed venlig hilsen\nVISO",
    )


async def send_delay_letter(
    command: SendAccessDelayLetter, *, store: MongoStore, principal: Principal
) -> AccessRequest:
    """Render and record the delay letter to the requester for one part, before its deadline."""
    request = await get(command.request_id, store=store)
    today = utcnow().date()
    part = model.delay_letter(
        request, command.part, on=today, reason=command.reason, expected_on=command.expected_on
    )
    fields = {
        "recipient_name": request.requester_name,
        "received_on": danish_date(request.received_on),
        "due": danish_date(part.due),
        "reason": command.reason,
        "expected_on": danish_date(command.expected_on),
    }
    facts = CaseFacts(case_id=request.case_ids[0])
    letter = render(
        "access_delay_letter",
        facts,
        Filling(fields, author_line=author_line(principal)),
        draft=False,
    )

    async def work(tx: Transaction, file_id: str) -> CaseDocument:
        current = await _request(tx, command.request_id)
        if current.version != request.version:
            raise ConcurrencyConflict("access request", request.id, request.version)
        known = await _facts(tx, current.case_ids)
        document = _final_document(
            current,
            known,
            document_id=new_id(),
            kind="letter",
            title="Forsinkelse af svar på aktindsigt",
            file_id=file_id,
            rendered=letter,
            template="access_delay_letter",
            principal=principal,
        )
        stored = await documents.add(tx, document)
        await _save(tx, model.with_part(current, part), current, [])
        tx.emit(
            _to_requester(
                current,
                stored,
                kind="delay_letter",
                title="Forsinkelse af svar på din anmodning om aktindsigt",
                body="VISO kan ikke svare på din anmodning om aktindsigt inden fristen. "
                "Brevet med begrundelsen og den forventede svardato er vedhæftet.",
            )
        )
        _journal(
            tx,
            current,
            known,
            "access_delay_letter",
            f"Forsinkelsesbrev om aktindsigt ({PART_NAMES[part.kind]}) sendt: svar ventes "
            f"{danish_date(command.expected_on)}.",
            document_id=stored.id,
        )
        return stored

    await store_file_then(
        store,
        letter.data,
        filename=letter.filename,
        metadata={"access_request": request.id},
        work=work,
    )
    return await get(command.request_id, store=store)


async def _item_content(store: MongoStore, item: Item) -> tuple[str, bytes | None]:
    """The text of a note or a document without a PDF, or a document's PDF bytes."""
    if item.item == "note":
        note = await notes.read(store.db, item.item_id)
        return (note.text if note else ""), None
    document = await documents.read(store.db, item.item_id)
    if document is None:
        return "", None
    last = document.newest()
    data = await files.read_all(store.db, last.file_id, sha256=last.sha256, size=last.size)
    if last.content_type == "application/pdf":
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages), data
    if last.content_type == "text/plain":
        return data.decode("utf-8", errors="replace"), None
    return f"(Filen {last.filename} udleveres i sin oprindelige form.)", None


async def disclosure(store: MongoStore, request: AccessRequest) -> bytes:
    """One PDF: an index page of the disclosed items, then each item (a partly disclosed one as
    its text with the passages left out marked; a fully disclosed PDF as its own pages)."""
    shown = [i for i in request.items if i.decision in ("disclose", "partly")]
    lines = ["# Aktindsigt - samlet udlevering", f"Anmodning {request.id}", "## Oversigt"]
    for number, item in enumerate(shown, start=1):
        kind = "notat" if item.item == "note" else "dokument"
        how = "delvist udleveret" if item.decision == "partly" else "udleveret"
        lines.append(
            f"{number}. {item.title} ({kind}, {danish_date(item.recorded_at)}, sag "
            f"{item.case_id}) - {how}"
        )
    annexes: list[bytes] = []
    for number, item in enumerate(shown, start=1):
        text, pdf = await _item_content(store, item)
        if item.decision == "disclose" and pdf is not None:
            annexes.append(pdf)
            lines += [f"## {number}. {item.title}", "Vedlagt efter oversigten i sin helhed."]
            continue
        if item.decision == "partly":
            text = model.redact(text, item.redacted_passages)
        lines += [f"## {number}. {item.title}", text or "-"]
    return to_pdf("\n\n".join(lines), title="Aktindsigt", annexes=tuple(annexes))


def decision_fields(request: AccessRequest) -> dict[str, str]:
    """What the decision letter says: how much is disclosed, and why anything is not."""
    total = len(request.items)
    shown = [i for i in request.items if i.decision in ("disclose", "partly")]
    partly = [i for i in request.items if i.decision == "partly"]
    withheld = [i for i in request.items if i.decision == "withhold"]
    summary = f"Du får aktindsigt i {len(shown)} af {total} dokumenter og notater."
    if partly:
        summary += f" {len(partly)} udleveres delvist."
    if withheld:
        summary += f" {len(withheld)} udleveres ikke."
    reasons = [
        f"{i.title}: {'delvist udleveret' if i.decision == 'partly' else 'ikke udleveret'} "
        f"efter {model.LEGAL_BASES[i.legal_basis]}."
        for i in [*partly, *withheld]
    ]
    return {
        "recipient_name": request.requester_name,
        "received_on": danish_date(request.received_on),
        "cases": "sag " + ", ".join(request.case_ids),
        "summary": summary,
        "withheld": "\n\n".join(reasons),
    }


async def deliver(request_id: str, *, store: MongoStore, principal: Principal) -> AccessRequest:
    """The disclosure package and the decision letter, journaled on every case covered; the
    open parts are met."""
    request = await get(request_id, store=store)
    model.check_deliverable(request)
    package = Rendered(await disclosure(store, request), "application/pdf", "aktindsigt.pdf")
    letter = render(
        "access_decision",
        CaseFacts(case_id=request.case_ids[0]),
        Filling(decision_fields(request), author_line=author_line(principal)),
        draft=False,
    )
    letter_file = await files.store(
        store.db, letter.data, filename=letter.filename, metadata={"access_request": request.id}
    )

    async def work(tx: Transaction, package_file: str) -> CaseDocument:
        current = await _request(tx, request_id)
        if current.version != request.version:
            raise ConcurrencyConflict("access request", request.id, request.version)
        known = await _facts(tx, current.case_ids)
        made = _final_document(
            current,
            known,
            document_id=new_id(),
            kind="other",
            title="Aktindsigt - samlet udlevering",
            file_id=package_file,
            rendered=package,
            template=None,
            principal=principal,
        )
        decision = _final_document(
            current,
            known,
            document_id=new_id(),
            kind="letter",
            title="Afgørelse om aktindsigt",
            file_id=letter_file,
            rendered=letter,
            template="access_decision",
            principal=principal,
        )
        await documents.add(tx, made)
        await documents.add(tx, decision)
        tx.emit(
            _to_requester(
                current,
                decision,
                kind="decision_letter",
                title="Afgørelse om aktindsigt",
                body="VISOs afgørelse om din anmodning om aktindsigt er vedhæftet, med "
                "klagevejledning. Dokumenterne følger i en særskilt e-mail.",
            )
        )
        tx.emit(
            _to_requester(
                current,
                made,
                kind="access_package",
                title="Aktindsigt: de udleverede dokumenter",
                body="De dokumenter og notater, du har fået aktindsigt i, er vedhæftet som én "
                "PDF med en oversigt på forsiden.",
            )
        )
        today = utcnow().date()
        events: list[Any] = []
        parts = []
        for part in current.parts:
            if part.status == "open":
                part = part.model_copy(update={"status": "met"})
                events.append(model.deadline_met(current, part, today))
            parts.append(part)
        delivered = current.model_copy(
            update={
                "parts": parts,
                "status": "delivered",
                "delivered_at": utcnow(),
                "package_document_id": made.id,
                "letter_document_id": decision.id,
            }
        )
        await _save(tx, delivered, current, events)
        shown = sum(1 for i in current.items if i.decision in ("disclose", "partly"))
        _journal(
            tx,
            current,
            known,
            "access_delivered",
            f"Aktindsigt udleveret til {current.requester_name}: {shown} af "
            f"{len(current.items)} dokumenter og notater; afgørelse med klagevejledning.",
            document_id=made.id,
        )
        tx.insert(
            AUDIT,
            audit(
                principal,
                "DeliverAccessRequest",
                item="access_package",
                item_id=made.id,
                access_request_id=current.id,
                case_ids=current.case_ids,
            ),
        )
        return made

    try:
        await store_file_then(
            store,
            package.data,
            filename=package.filename,
            metadata={"access_request": request.id},
            work=work,
        )
    except BaseException:
        await files.delete(store.db, letter_file)
        raise
    return await get(request_id, store=store)


async def check_deadlines(*, store: MongoStore, today: date) -> int:
    """Report every open part due before `today` missed, once."""
    query = {"parts": {"$elemMatch": {"status": "open", "due": {"$lt": today.isoformat()}}}}
    ids = [d["_id"] async for d in store.db[ACCESS].find(query, {"_id": 1})]
    reported = 0
    for request_id in ids:

        async def work(tx: Transaction, request_id: str = request_id) -> int:
            request = await _request(tx, request_id)
            updated, events = model.missed(request, today)
            if events:
                await _save(tx, updated, request, list(events))
            return len(events)

        try:
            reported += await store.transact(work)
        except ConcurrencyConflict:
            continue
    return reported
