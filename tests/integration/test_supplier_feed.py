"""Each supplier's event feed on the running platform: two suppliers with offers, hand-overs,
agreements, consumption and settlements; each feed holds exactly its own supplier's events,
and neither holds a CPR number, a citizen's name or the other supplier's id."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from services.contracts.supplier_feed import feed_topic
from services.kernel.context import SUPPLIER_ROLES
from services.kernel.envelope import new_id
from tests.integration.test_leverance import LAST_MONTH_END, Case, line, new_supplier
from tests.integration.visitation_helpers import (
    World,
    call,
    proceeding_case,
    ranking,
    staff,
    supplier_staff,
)
from tests.support import (
    DEADLINE,
    USED_CPRS,
    Clients,
    eventually,
    fake_cpr,
    read_topic,
    vias_command,
)
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.visitation.v1 import visitation_pb2 as pb


@dataclass
class Supplier:
    """One supplier of the test, with the specialist it lists."""

    supplier_id: str
    specialist: str

    def as_specialist(self, clients: Clients) -> list[tuple[str, str]]:
        return supplier_staff(clients, self.specialist, self.supplier_id)


async def listed_supplier(clients: Clients, groups: list[str]) -> Supplier:
    """A supplier created through leverance, listing one trained specialist."""
    supplier_id = await new_supplier(clients, target_groups=tuple(groups))
    specialist = f"spec-{new_id()[:8]}"
    await clients.leverance.SetSpecialist(
        lpb.SetSpecialistRequest(
            supplier_id=supplier_id,
            specialist=lpb.Specialist(
                specialist_id=specialist,
                name="Specialist",
                role="specialist",
                training=[lpb.TrainingModule(module="VISO intro", status="completed")],
            ),
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return Supplier(supplier_id, specialist)


async def topics_exist(clients: Clients, *topics: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=clients.platform.kafka_bootstrap_servers)
    await admin.start()
    try:
        return set(topics) <= set(await admin.list_topics())
    finally:
        await admin.close()


async def offer(
    clients: Clients, case_id: str, supplier: Supplier, consultant: str, justification: str
) -> Any:
    return await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case_id, supplier_id=supplier.supplier_id, justification=justification
        ),
        staff(clients, consultant),
    )


async def accept_and_meet(clients: Clients, offer_id: str, supplier: Supplier) -> None:
    """The supplier says yes, books and holds the clarifying meeting: the case is handed over."""
    me = supplier.as_specialist(clients)
    accepted = await call(
        clients.visitation.AnswerOffer, pb.AnswerOfferRequest(offer_id=offer_id, accept=True), me
    )
    on = accepted.answered_on
    await call(
        clients.visitation.RecordInquirerContact,
        pb.RecordInquirerContactRequest(offer_id=offer_id, contacted_on=on, meeting_on=on),
        me,
    )
    held = await call(
        clients.visitation.RecordClarifyingMeeting,
        pb.RecordClarifyingMeetingRequest(offer_id=offer_id, held_on=on, citizen_attended=True),
        me,
    )
    assert held.status == "handed_over"


async def log(case: Case, activity_id: str, hours: str) -> str:
    entry = await case.clients.leverance.LogConsumption(
        lpb.LogConsumptionRequest(
            delivery_id=case.delivery_id,
            activity_id=activity_id,
            worked_on=LAST_MONTH_END.isoformat(),
            hours=hours,
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    return str(entry.entry_id)


async def review(case: Case, entry_id: str, *, approve: bool, reason: str = "") -> None:
    await case.clients.leverance.ReviewConsumption(
        lpb.ReviewConsumptionRequest(
            delivery_id=case.delivery_id, entry_ids=[entry_id], approve=approve, reason=reason
        ),
        metadata=case.as_consultant(),
        timeout=DEADLINE,
    )


async def settle(clients: Clients, supplier: Supplier) -> None:
    await clients.leverance.CreateMonthlySettlement(
        lpb.CreateMonthlySettlementRequest(
            supplier_id=supplier.supplier_id, month=LAST_MONTH_END.strftime("%Y-%m")
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )


DEADLINE_EVENTS = [f"Deadline{s}" for s in ("Set", "Changed", "Met", "Missed", "Cancelled")]


async def supplier_deadlines(clients: Clients, supplier: Supplier, cases: list[str]) -> set[str]:
    """Event ids of every deadline event on the cases visitation and leverance stored that the
    supplier's staff must meet: what its feed's deadline updates must answer one to one."""
    found: set[str] = set()
    for service in ("visitation", "leverance"):
        rows = clients.db(service).outbox.find(
            {"key": {"$in": cases}, "type": {"$in": DEADLINE_EVENTS}}, {"event_id": 1, "value": 1}
        )
        async for row in rows:
            payload = json.loads(row["value"])["payload"]
            if (
                payload.get("supplier_id") == supplier.supplier_id
                and payload.get("responsible_role") in SUPPLIER_ROLES
            ):
                found.add(row["event_id"])
    return found


async def feed(clients: Clients, supplier: Supplier) -> list[Any]:
    return await read_topic(clients.platform, feed_topic(supplier.supplier_id))


def envelopes(records: list[Any]) -> dict[str, dict[str, Any]]:
    """The feed's events by event id (a record published twice counts once)."""
    return {e["event_id"]: e for e in (json.loads(r.value) for r in records)}


async def test_each_supplier_feed_holds_exactly_its_own_events_and_nothing_forbidden(
    clients: Clients,
) -> None:
    suffix = new_id()[:8]
    world = World(suffix=suffix, groups=[f"autism_spectrum-{suffix}"], suppliers={})
    consultant = f"consultant-{suffix}"
    alpha = await listed_supplier(clients, world.groups)
    bravo = await listed_supplier(clients, world.groups)
    # Created when the supplier is: each feed topic exists before any event for it.
    assert await eventually(
        lambda: topics_exist(clients, feed_topic(alpha.supplier_id), feed_topic(bravo.supplier_id))
    )

    citizens = [f"Karla Feedtest {suffix}", f"Mads Feedtest {suffix}"]
    cprs = [fake_cpr(), fake_cpr()]
    first, second = [
        await proceeding_case(clients, world, consultant, citizen_name=name, cpr=cpr)
        for name, cpr in zip(citizens, cprs, strict=True)
    ]

    async def both_ranked_with_their_specialists() -> bool:
        reply = await ranking(clients, first.case_id, consultant, expected=2)
        listed = {c.supplier_id: list(c.specialist_ids) for c in reply.candidates}
        return all(listed.get(s.supplier_id) == [s.specialist] for s in (alpha, bravo))

    await eventually(both_ranked_with_their_specialists)

    # The first case: alpha says no, bravo yes and the case is handed to bravo. The
    # justifications compare the suppliers and name the citizen; a feed carries neither.
    to_alpha = await offer(
        clients,
        first.case_id,
        alpha,
        consultant,
        f"{citizens[0]}: ranked above {bravo.supplier_id}",
    )
    await call(
        clients.visitation.AnswerOffer,
        pb.AnswerOfferRequest(
            offer_id=to_alpha.offer_id, accept=False, reason=f"No capacity for {citizens[0]}"
        ),
        alpha.as_specialist(clients),
    )
    to_bravo = await offer(
        clients, first.case_id, bravo, consultant, f"Next after {alpha.supplier_id}"
    )
    await accept_and_meet(clients, to_bravo.offer_id, bravo)
    # The second case: alpha says yes and gets it.
    to_alpha_again = await offer(
        clients, second.case_id, alpha, consultant, f"{citizens[1]} fits alpha best"
    )
    await accept_and_meet(clients, to_alpha_again.offer_id, alpha)

    # Money, on a course of each supplier handed over a hundred days ago: bravo's agreement
    # is returned once; each logs consumption, reviewed, then settled for last month.
    courses = {}
    for supplier in (alpha, bravo):
        course = Case(clients, supplier.supplier_id)
        course.specialist = supplier.specialist
        await course.hand_over()
        courses[supplier.supplier_id] = course
    bravo_course, alpha_course = courses[bravo.supplier_id], courses[alpha.supplier_id]
    await bravo_course.propose(line("special_advice", "10"))
    await bravo_course.call(
        "ReturnAgreement", bravo_course.as_consultant(), objections=f"{citizens[0]}: too many hours"
    )
    running = {}
    for course in (alpha_course, bravo_course):
        started = await course.start(line("special_advice", "8"))
        [version] = [v for v in started.versions if v.number == started.current_version]
        running[course.supplier_id] = version.activities[0].activity_id
    kept = await log(alpha_course, running[alpha.supplier_id], "2")
    await review(alpha_course, kept, approve=True)
    kept = await log(bravo_course, running[bravo.supplier_id], "3")
    refused = await log(bravo_course, running[bravo.supplier_id], "4")
    await review(bravo_course, kept, approve=True)
    await review(bravo_course, refused, approve=False, reason=f"Not agreed for {citizens[1]}")
    for supplier in (alpha, bravo):
        await settle(clients, supplier)

    # What happened, per supplier: the events the test caused directly, and every deadline
    # event its staff must meet (taken from the producers' outboxes).
    did = {
        alpha.supplier_id: {
            "OfferReceived": 2,
            "CaseHandedOver": 2,
            "AgreementApproved": 1,
            "ConsumptionApproved": 1,
            "SettlementIssued": 1,
        },
        bravo.supplier_id: {
            "OfferReceived": 1,
            "CaseHandedOver": 2,
            "AgreementReturned": 1,
            "AgreementApproved": 1,
            "ConsumptionApproved": 1,
            "ConsumptionRejected": 1,
            "SettlementIssued": 1,
        },
    }

    cases = [first.case_id, second.case_id, alpha_course.case_id, bravo_course.case_id]

    async def feeds_as_expected() -> dict[str, dict[str, dict[str, Any]]] | None:
        found = {}
        for supplier in (alpha, bravo):
            events = envelopes(await feed(clients, supplier))
            deadlines = await supplier_deadlines(clients, supplier, cases)
            kinds = Counter(e["type"] for e in events.values() if e["type"] != "DeadlineUpdated")
            updates = {e["causation_id"] for e in events.values() if e["type"] == "DeadlineUpdated"}
            if kinds != did[supplier.supplier_id] or updates != deadlines:
                return None
            found[supplier.supplier_id] = events
        return found

    feeds = await eventually(feeds_as_expected, timeout=60, interval=0.5)
    for supplier in (alpha, bravo):
        events = feeds[supplier.supplier_id].values()
        assert {e["payload"]["supplier_id"] for e in events} == {supplier.supplier_id}
        assert {e["source"] for e in events} == {"notifications"}
        rules = Counter(
            (e["payload"]["rule"], e["payload"]["status"])
            for e in events
            if e["type"] == "DeadlineUpdated"
        )
        assert (
            rules[("visitation.supplier_answer", "set")]
            == did[supplier.supplier_id]["OfferReceived"]
        )
        assert (
            rules[("visitation.supplier_answer", "met")]
            == did[supplier.supplier_id]["OfferReceived"]
        )
    # Only one feed event per internal event: what notifications stored for each topic is
    # what the topic holds.
    for supplier in (alpha, bravo):
        stored = await clients.db("notifications").outbox.count_documents(
            {"topic": feed_topic(supplier.supplier_id)}
        )
        assert stored == len(feeds[supplier.supplier_id])

    # The scan: both topics as a subscriber reads them, keys and values.
    for supplier, other in ((alpha, bravo), (bravo, alpha)):
        records = await feed(clients, supplier)
        text = "\n".join(f"{(r.key or b'').decode()} {r.value.decode()}" for r in records)
        for cpr in {c.replace("-", "") for c in cprs} | USED_CPRS:
            assert cpr not in text and f"{cpr[:6]}-{cpr[6:]}" not in text
        assert "feedtest" not in text.casefold(), "a citizen's name"
        assert other.supplier_id not in text


async def test_the_example_subscriber_prints_a_suppliers_feed_as_json_lines(
    clients: Clients,
) -> None:
    supplier = await listed_supplier(clients, [f"anxiety-{new_id()[:8]}"])
    course = Case(clients, supplier.supplier_id)
    course.specialist = supplier.specialist
    await course.hand_over()
    records = await eventually(lambda: feed(clients, supplier))

    printed = await asyncio.to_thread(
        vias_command,
        clients.platform,
        "feed",
        "--supplier",
        supplier.supplier_id,
        "--from-beginning",
        "--max-events",
        str(len(records)),
    )
    assert printed.returncode == 0, printed.stderr
    lines = [json.loads(line) for line in printed.stdout.splitlines()]
    [handed] = [line for line in lines if line["type"] == "CaseHandedOver"]
    assert handed["subject"] == course.case_id and handed["occurred_at"]
    assert handed["payload"]["specialist_id"] == supplier.specialist
    assert sorted(line["event_id"] for line in lines) == sorted(envelopes(records))

    named = await asyncio.to_thread(
        vias_command, clients.platform, "feed", "--supplier", "Center Nord.2", "--names"
    )
    assert json.loads(named.stdout) == {
        "topic": "vias.supplier.Center_20Nord_2e2.v1",
        "prefix": "vias.supplier.Center_20Nord_2e2.",
        "group": "vias.supplier.Center_20Nord_2e2.cli",
    }
    unknown = await asyncio.to_thread(
        vias_command,
        clients.platform,
        "feed",
        "--supplier",
        f"nobody-{new_id()[:8]}",
        "--from-beginning",
    )
    assert unknown.returncode == 1 and "no topic" in unknown.stderr
