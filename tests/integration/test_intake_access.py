"""Who may call what on intake: every RPC of both services, walked from the proto descriptors,
so an RPC added later is checked too. Supplier roles see no inquiry; only KaS users (and VISO
staff reading) reach the KaS registrations."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.message_factory import GetMessageClass

from tests.support import DEADLINE, Clients
from vias.intake.v1 import intake_pb2, intake_pb2_grpc, kas_pb2, kas_pb2_grpc

# Open to every role: the code lists.
OPEN = {"GetReferenceData"}
# KaS calls a KaS user may make; VISO staff may only read (Get, List, Export).
KAS_WRITES = {"SaveKasRegistration", "CloseKasCourse"}


def methods(module: Any, service: str) -> list[tuple[str, Any]]:
    """Each RPC of a service with an empty request of its input type."""
    descriptor = module.DESCRIPTOR.services_by_name[service]
    return [(m.name, GetMessageClass(m.input_type)()) for m in descriptor.methods]


async def code_of(stub: Any, name: str, request: Any, metadata: Any) -> grpc.StatusCode:
    try:
        await getattr(stub, name)(request, metadata=metadata, timeout=DEADLINE)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_supplier_roles_may_call_no_inquiry_rpc_and_only_kas_users_write_kas(
    clients: Clients,
) -> None:
    intake = intake_pb2_grpc.IntakeServiceStub(clients._channels["intake"])
    kas = kas_pb2_grpc.KasServiceStub(clients._channels["intake"])
    inquiry_rpcs = methods(intake_pb2, "IntakeService")
    kas_rpcs = methods(kas_pb2, "KasService")
    assert len(inquiry_rpcs) >= 15 and len(kas_rpcs) == 5
    denied = grpc.StatusCode.PERMISSION_DENIED
    wrong: list[tuple[str, str, grpc.StatusCode]] = []
    for role in ("specialist", "supplier_admin", "kas_supplier"):
        metadata = clients.auth(user=f"u-{role}", role=role, supplier="sup-access")
        for name, request in inquiry_rpcs:
            code = await code_of(intake, name, request, metadata)
            if (code == denied) == (name in OPEN):
                wrong.append((role, name, code))
        if role == "kas_supplier":
            continue
        for name, request in kas_rpcs:
            if (code := await code_of(kas, name, request, metadata)) != denied:
                wrong.append((role, name, code))
    for role in ("support", "consultant", "manager"):
        metadata = clients.auth(user=f"u-{role}", role=role)
        for name, request in kas_rpcs:
            code = await code_of(kas, name, request, metadata)
            if (code == denied) != (name in KAS_WRITES):
                wrong.append((role, name, code))
    assert wrong == []
