"""A property-based fuzz of every RPC with every role: no request, however wrong, gets INTERNAL
or UNKNOWN, a refusal names fields the caller sent in trailers the client can read, and a refused
call writes nothing.

The RPCs are walked from the generated descriptors, so a new RPC is fuzzed without a change here.
Hypothesis runs in a worker thread with blocking clients; it is derandomized, so every run sends
the same requests.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from services.kernel.context import ROLES, SUPPLIER_ROLES
from services.kernel.envelope import new_id
from services.kernel.errors import MAX_VIOLATIONS
from services.kernel.settings import SERVICE_NAMES
from tests.integration.fuzz_requests import RequestStrategies, Rpc, all_rpcs
from tests.integration.test_leverance import Case, new_supplier
from tests.integration.visitation_helpers import (
    assigned_case,
    new_world,
    proceeding_case,
    publish_world,
    ranking,
)
from tests.support import DEADLINE, Clients
from vias.intake.v1 import kas_pb2, kas_pb2_grpc
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.visitation.v1 import visitation_pb2 as vpb

RPCS = all_rpcs()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
"""Generated requests per RPC, besides an empty request per role; FUZZ_EXAMPLES=500 fuzzes
harder (about 10 minutes here)."""
SEED = os.environ.get("FUZZ_SEED")
"""Another seed than the fixed one (the default), to fuzz with other requests."""

REFUSALS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
MAX_MESSAGE_CHARS = 1_000
KERNEL_COLLECTIONS = {"outbox", "inbox", "relay_lease"}
CONSUMER_INSERTS = {
    "visitation": {"cases", "suppliers"},
    "leverance": {"courses", "deliveries", "case_references", "journaled_documents", "deadlines"},
    # The letters of assignments are recorded by the consumer and rendered into GridFS after;
    # notifications' delivery worker downloads them with its service token, audited.
    "documents": {
        "audit_trail",
        "journal",
        "case_suppliers",
        "cases",
        "ended_inquiries",
        "documents",
        "files.files",
        "files.chunks",
    },
    "notifications": {"notices", "letters", "surveys"},
}
"""Collections a service's consumers insert into while the fuzz runs; every other collection of
the called service must keep its document count when a call is refused."""


@dataclass(frozen=True)
class Caller:
    """A user of one role, with the token the calls carry."""

    user: str
    role: str
    supplier: str | None
    metadata: tuple[tuple[str, str], ...]


@dataclass
class World:
    """Real objects the fuzz can name, so requests reach past the lookups."""

    values: dict[str, list[str]]
    """Real ids by the name of the request field that takes them."""
    callers: list[Caller]


async def _kas_registration(clients: Clients, supplier: str) -> Any:
    stub = kas_pb2_grpc.KasServiceStub(clients._channels["intake"])
    return await stub.SaveKasRegistration(
        kas_pb2.SaveKasRegistrationRequest(
            form=kas_pb2.KasForm(channel="phone", inquirer_name="Fuzz Inquirer")
        ),
        metadata=clients.auth(user="kas-fuzz", role="kas_supplier", supplier=supplier),
        timeout=DEADLINE,
    )


def _caller(clients: Clients, user: str, role: str, supplier: str | None = None) -> Caller:
    metadata = tuple(clients.auth(user=user, role=role, supplier=supplier))
    return Caller(user, role, supplier, metadata)


@pytest.fixture(scope="module")
async def world(clients: Clients) -> World:
    """A running delivery with logged consumption, a visitation case with an offer, a case just
    assigned, an inquiry waiting for assignment and a KaS registration; a caller of every role
    (supplier staff of the suppliers involved, and of another supplier) acts on them."""
    supplier = await new_supplier(clients)
    course = Case(clients, supplier)
    await course.hand_over()
    running = await course.start()
    activities = [a.activity_id for a in running.versions[0].activities]
    entry = await clients.leverance.LogConsumption(
        lpb.LogConsumptionRequest(
            delivery_id=course.delivery_id,
            activity_id=activities[0],
            worked_on=date.today().isoformat(),
            hours="1",
        ),
        metadata=course.as_specialist(),
        timeout=DEADLINE,
    )
    consultant = course.consultant
    suppliers = new_world()
    await publish_world(clients, suppliers)
    case = await proceeding_case(clients, suppliers, consultant)
    await ranking(clients, case.case_id, consultant, expected=3)
    offer = await clients.visitation.OfferToSupplier(
        vpb.OfferToSupplierRequest(
            case_id=case.case_id, supplier_id=suppliers.sid("Alpha"), justification="Fits best."
        ),
        metadata=clients.auth(user=consultant, role="consultant"),
        timeout=DEADLINE,
    )
    assigned = await assigned_case(clients, consultant)
    waiting = await clients.register()
    kas_supplier = f"kas-{new_id()[:8]}"
    kas = await _kas_registration(clients, kas_supplier)
    values = {
        "supplier_id": [supplier, suppliers.sid("Alpha"), suppliers.sid("Bravo"), kas_supplier],
        "case_id": [course.case_id, case.case_id, assigned.case_id],
        "inquiry_id": [course.inquiry_id, waiting.inquiry_id, assigned.inquiry_id],
        "delivery_id": [course.delivery_id],
        "activity_id": activities,
        "entry_id": [entry.entry_id],
        "offer_id": [offer.offer_id],
        "deadline_id": [d.deadline_id for d in (*offer.deadlines, *assigned.deadlines)],
        "consultant_id": [consultant],
        "specialist_id": [course.specialist, "spec-alpha"],
        "registration_id": [kas.registration_id],
        "kas_number": [kas.kas_number],
        "recipient_id": [consultant],
        "user_id": [consultant],
    }
    callers = [
        _caller(clients, "support-fuzz", "support"),
        _caller(clients, consultant, "consultant"),
        _caller(clients, "manager-fuzz", "manager"),
        _caller(clients, course.specialist, "specialist", supplier),
        _caller(clients, "spec-alpha", "specialist", suppliers.sid("Alpha")),
        _caller(clients, "admin-fuzz", "supplier_admin", supplier),
        _caller(clients, "kas-fuzz", "kas_supplier", kas_supplier),
        _caller(clients, "spec-other", "specialist", "other-supplier"),
    ]
    assert {c.role for c in callers} == set(ROLES)
    return World(values=values, callers=callers)


def _field_path_names_request(descriptor: Descriptor, path: str) -> bool:
    """Whether a violation's field path starts with fields of the request message."""
    current: Descriptor | None = descriptor
    parts = iter(path.split("."))
    for part in parts:
        if current is None:
            return True  # inside a scalar's value (a CSV line, a map key): the field was named
        found = current.fields_by_name.get(part)
        if found is None:
            return False
        if found.message_type is not None and found.message_type.GetOptions().map_entry:
            return True
        if found.is_repeated:
            index = next(parts, None)
            if index is not None and not index.isdigit():
                return False
        current = found.message_type
    return True


def _bad_request(error: grpc.RpcError) -> error_details_pb2.BadRequest:
    status = rpc_status.from_call(error)
    assert status is not None, "INVALID_ARGUMENT without a google.rpc.Status the client can read"
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return bad
    raise AssertionError("INVALID_ARGUMENT without a google.rpc.BadRequest")


def check_refusal(rpc: Rpc, error: grpc.RpcError, request: Any) -> None:
    """A refusal has an expected code, a bounded message and, when INVALID_ARGUMENT, at most
    MAX_VIOLATIONS named fields the request has."""
    code = error.code()
    details = error.details() or ""
    assert code in REFUSALS, (
        f"{rpc.name} answered {code.name}: {details[:300]} to {str(request)[:500]}"
    )
    assert len(details) <= MAX_MESSAGE_CHARS, f"{rpc.name}: a {len(details)}-character message"
    if code != grpc.StatusCode.INVALID_ARGUMENT:
        return
    bad = _bad_request(error)
    assert 1 <= len(bad.field_violations) <= MAX_VIOLATIONS
    for violation in bad.field_violations:
        assert _field_path_names_request(rpc.descriptor, violation.field), (
            f"{rpc.name} names {violation.field!r}, no field of {rpc.descriptor.name}"
        )


class Fuzzer:
    """Blocking calls of one RPC, with the database counts that a refusal must not change."""

    def __init__(self, clients: Clients, rpc: Rpc) -> None:
        self.rpc = rpc
        self.channel = grpc.insecure_channel(clients.platform.grpc_address(rpc.service))
        self.call = self._callable(rpc)
        self.mongo: MongoClient[dict[str, Any]] = MongoClient(clients.platform.mongo_uri)
        self.db = self.mongo[clients.platform.settings.database_name(rpc.service)]
        self.refused: set[str] = set()
        """Correlation ids of the refused calls."""
        self.known: dict[str, int] | None = None
        """The counts after the last call, if it was refused (so nothing changed them since)."""

    def _callable(self, rpc: Rpc) -> Callable[..., Any]:
        """A blocking call of the RPC's shape: a stream of one request for a client-streaming
        one, every reply read for a server-streaming one."""
        codec = {
            "request_serializer": rpc.request.SerializeToString,
            "response_deserializer": rpc.response.FromString,
        }
        if rpc.client_streaming:
            upload = self.channel.stream_unary(rpc.path, **codec)
            return lambda request, **kw: upload(iter([request]), **kw)
        if rpc.server_streaming:
            download = self.channel.unary_stream(rpc.path, **codec)
            return lambda request, **kw: list(download(request, **kw))
        unary: Callable[..., Any] = self.channel.unary_unary(rpc.path, **codec)
        return unary

    def close(self) -> None:
        self.channel.close()
        self.mongo.close()

    def counts(self) -> dict[str, int]:
        skip = KERNEL_COLLECTIONS | CONSUMER_INSERTS.get(self.rpc.service, set())
        names = [n for n in self.db.list_collection_names() if n not in skip]
        return {n: self.db[n].estimated_document_count() for n in sorted(names)}

    def run(self, request: Any, caller: Caller) -> None:
        correlation_id = new_id()
        metadata = (*caller.metadata, ("x-correlation-id", correlation_id))
        before, self.known = self.known or self.counts(), None
        try:
            self.call(request, metadata=metadata, timeout=DEADLINE)
        except grpc.RpcError as error:
            self.refused.add(correlation_id)
            check_refusal(self.rpc, error, request)
            self.known = self.counts()
            assert self.known == before, f"a refused {self.rpc.name} inserted documents"


def fuzz(fuzzer: Fuzzer, world: World) -> None:
    """Run the generated requests (and an empty one per role) against the RPC."""
    strategies = RequestStrategies(world.values)
    test = given(
        request=strategies.message(fuzzer.rpc.descriptor),
        caller=st.sampled_from(world.callers),
    )(fuzzer.run)
    for caller in world.callers:
        test = example(request=fuzzer.rpc.request(), caller=caller)(test)
    if SEED is not None:
        test = seed(int(SEED))(test)
    settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        print_blob=False,
        phases=(Phase.explicit, Phase.generate),  # no shrinking against live services
        suppress_health_check=list(HealthCheck),
    )(test)()


def identity_world(clients: Clients) -> World:
    """Callers of every role on users of their own: identity's RPCs log out and deactivate
    (their callers' sessions end), so they never touch the other RPCs' callers."""
    tag = new_id()[:8]
    supplier = f"idf-supplier-{tag}"
    callers = [
        _caller(clients, f"idf-{role}-{tag}", role, supplier if role in SUPPLIER_ROLES else None)
        for role in ROLES
    ]
    users = [c.user for c in callers]
    return World(values={"user_id": users, "supplier_id": [supplier]}, callers=callers)


@pytest.mark.parametrize("rpc", RPCS, ids=lambda rpc: rpc.name)
async def test_no_request_gets_internal_and_a_refused_call_writes_nothing(
    clients: Clients, world: World, rpc: Rpc
) -> None:
    started = time.time_ns()
    fuzzer = Fuzzer(clients, rpc)
    acting = identity_world(clients) if rpc.service == "identity" else world
    try:
        await asyncio.to_thread(fuzz, fuzzer, acting)
    finally:
        fuzzer.close()
    refused = fuzzer.refused
    stored = await clients.correlated_events(rpc.service, refused, started)
    assert not stored, f"a refused {rpc.name} stored events"
    if rpc.service == "intake":
        audit = clients.db("intake").audit_trail
        audited = await audit.count_documents({"correlation_id": {"$in": list(refused)}})
        assert audited == 0, f"a refused {rpc.name} left audit records"


def test_the_fuzz_covers_every_service() -> None:
    assert {r.service for r in RPCS} == set(SERVICE_NAMES)
