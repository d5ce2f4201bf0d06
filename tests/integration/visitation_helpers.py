"""Shared steps of the visitation end-to-end tests: suppliers on the broker, a case through
visitation, and due dates computed independently of services.workdays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
import holidays

from services.contracts.common import MainArea
from services.contracts.leverance import ContractTerms, SupplierProfileChanged
from services.kernel.envelope import Envelope, new_id
from services.kernel.topics import events_topic
from tests.integration.test_walking_skeleton import case_of
from tests.support import DEADLINE, Clients, eventually, produce
from vias.visitation.v1 import visitation_pb2 as pb

CLOSING_DAYS = {(6, 5), (12, 24), (12, 31)}


def working_days_after(start: date, n: int) -> date:
    """The n-th Danish working day after `start`, from the holidays package directly."""
    public = holidays.country_holidays("DK", years=range(start.year, start.year + 2))
    day = start
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in public and (day.month, day.day) not in CLOSING_DAYS:
            n -= 1
    return day


def contract(
    *,
    main_area: MainArea = "children_youth",
    services: tuple[str, ...] = ("single_case", "mini_single_case"),
    target_groups: list[str],
    rate: str,
    km_rate: str = "3.50",
    transport_rate: str = "400",
    ages: tuple[int, int] = (0, 17),
) -> ContractTerms:
    """A framework contract valid around today."""
    return ContractTerms(
        contract_id=f"contract-{new_id()[:8]}",
        main_area=main_area,
        services=list(services),
        min_age=ages[0],
        max_age=ages[1],
        target_groups=target_groups,
        hourly_rate_dkk=Decimal(rate),
        transport_rate_dkk_per_km=Decimal(km_rate),
        transport_hourly_rate_dkk=Decimal(transport_rate),
        valid_from=date(2020, 1, 1),
        valid_to=date(2099, 12, 31),
    )


async def publish_supplier(
    clients: Clients,
    supplier_id: str,
    name: str,
    contracts: list[ContractTerms],
    *,
    revision: int = 1,
    free_capacity: int = 3,
) -> None:
    """Put a SupplierProfileChanged on leverance's topic, as leverance would."""
    payload = SupplierProfileChanged(
        supplier_id=supplier_id,
        revision=revision,
        name=name,
        kind="self_owning",
        kas=False,
        active=True,
        municipality_code="461",
        free_capacity=free_capacity,
        contracts=contracts,
        changed_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(
        payload, source="leverance", correlation_id=new_id(), causation_id=None
    )
    await produce(clients.platform, events_topic("leverance"), supplier_id, envelope.to_bytes())


def staff(clients: Clients, user: str, role: str = "consultant") -> list[tuple[str, str]]:
    """Metadata of a VISO user."""
    return clients.auth(user=user, role=role)


def supplier_staff(
    clients: Clients, user: str, supplier: str | None, role: str = "specialist"
) -> list[tuple[str, str]]:
    """Metadata of a supplier's user."""
    return clients.auth(user=user, role=role, supplier=supplier)


async def call(method: Any, request: Any, metadata: list[tuple[str, str]]) -> Any:
    """One call with a deadline."""
    return await method(request, metadata=metadata, timeout=DEADLINE)


async def refused(
    method: Any, request: Any, metadata: list[tuple[str, str]]
) -> grpc.aio.AioRpcError:
    """The error a call must fail with."""
    try:
        await method(request, metadata=metadata, timeout=DEADLINE)
    except grpc.aio.AioRpcError as error:
        return error
    raise AssertionError("the call succeeded")


@dataclass
class World:
    """One test's own suppliers and target groups, so tests do not see each other's."""

    suffix: str
    groups: list[str]
    suppliers: dict[str, str]

    def sid(self, name: str) -> str:
        """The supplier id of a named supplier of this world."""
        return self.suppliers[name]


def new_world() -> World:
    """Unique target-group and supplier ids."""
    suffix = new_id()[:8]
    return World(
        suffix=suffix,
        groups=[f"autism_spectrum-{suffix}", f"anxiety-{suffix}"],
        suppliers={
            name: f"{name.lower()}-{suffix}" for name in ("Alpha", "Bravo", "Charlie", "Delta")
        },
    )


async def publish_world(clients: Clients, world: World) -> None:
    """Alpha and Bravo cover both groups (Bravo cheaper), Charlie one, Delta is full."""
    both = world.groups
    await publish_supplier(
        clients,
        world.sid("Alpha"),
        f"Alpha {world.suffix}",
        [contract(target_groups=both, rate="900")],
    )
    await publish_supplier(
        clients,
        world.sid("Bravo"),
        f"Bravo {world.suffix}",
        [contract(target_groups=both, rate="700")],
        revision=2,
    )
    await publish_supplier(
        clients,
        world.sid("Bravo"),
        f"Bravo {world.suffix}",
        [contract(target_groups=both, rate="100")],
        revision=1,
    )
    await publish_supplier(
        clients,
        world.sid("Charlie"),
        f"Charlie {world.suffix}",
        [contract(target_groups=both[:1], rate="500")],
    )
    await publish_supplier(
        clients,
        world.sid("Delta"),
        f"Delta {world.suffix}",
        [contract(target_groups=both, rate="600")],
        free_capacity=0,
    )


async def assigned_case(
    clients: Clients, consultant: str, *, on: str = "2026-05-08", **form: str
) -> Any:
    """A children/youth inquiry registered (`form` overrides fields of the form) and assigned
    on `on`; its visitation case."""
    inquiry = await clients.register(**{"main_area": "children_youth", **form})
    await clients.assign(inquiry.inquiry_id, consultant=consultant, on=on)
    return await case_of(clients, inquiry.inquiry_id)


async def proceeding_case(clients: Clients, world: World, consultant: str, **form: str) -> Any:
    """A case through first contact to a single-case course for this world's target groups."""
    case = await assigned_case(clients, consultant, **form)
    me = staff(clients, consultant)
    case = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=case.case_id, contacted_on="2026-05-19"),
        me,
    )
    return await call(
        clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=case.case_id,
            expected_version=case.version,
            service_id="single_case",
            inquirer_role="authority_caseworker",
            subject="individual",
            facts={"management_approved": True},
            complexity_areas=["complex_problems"],
            target_groups=world.groups,
            citizen_age_years=9,
            reasoning="Municipality needs specialised advice on a 9-year-old with autism.",
        ),
        me,
    )


async def ranking(clients: Clients, case_id: str, consultant: str, expected: int) -> Any:
    """The ranking once visitation's read model holds `expected` eligible suppliers."""

    async def probe() -> Any:
        reply = await call(
            clients.visitation.RankSuppliers,
            pb.RankSuppliersRequest(case_id=case_id),
            staff(clients, consultant),
        )
        return reply if len(reply.candidates) >= expected else None

    return await eventually(probe)


async def outbox_events(clients: Clients, case_id: str, event_type: str) -> list[dict[str, Any]]:
    """Payloads of visitation's outbox events of one type about a case."""
    rows = (
        await clients.db("visitation").outbox.find({"key": case_id, "type": event_type}).to_list()
    )
    return [json.loads(row["value"])["payload"] for row in rows]
