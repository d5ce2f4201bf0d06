"""Every reply that shows a citizen's personal data leaves exactly one audit record per citizen."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from services.kernel.envelope import new_id
from tests.integration.test_intake import child, family_form, next_wednesday, register
from tests.support import DEADLINE, Clients, adult_form, fake_cpr
from vias.intake.v1 import intake_pb2, kas_pb2, kas_pb2_grpc


async def records(clients: Clients, subject_id: str, call: str) -> list[dict[str, Any]]:
    """The audit records one call left for one inquiry or KaS registration."""
    cursor = clients.db("intake").audit_trail.find({"inquiry_id": subject_id, "call": call})
    return [doc async for doc in cursor]


async def one_record(clients: Clients, reply: Any, call: str, **expected: str) -> dict[str, Any]:
    """The single record `call` left for the citizen its reply showed."""
    found = await records(clients, reply.inquiry_id, call)
    assert len(found) == 1, f"{call}: {len(found)} audit records"
    [record] = found
    assert record["citizen_ref"] == reply.citizen.citizen_ref != ""
    assert {k: record[k] for k in expected} == expected
    return record


async def test_every_intake_call_that_shows_a_citizen_audits_it_once(clients: Clients) -> None:
    staff = clients.auth(user="support-audit", role="support")
    consultant = clients.auth(user="c-audit", role="consultant")
    cpr = fake_cpr()
    adult = await clients.intake.RegisterInquiry(
        adult_form(cpr=cpr), metadata=staff, timeout=DEADLINE
    )
    await one_record(
        clients,
        adult,
        "RegisterInquiry",
        user_id="support-audit",
        role="support",
        action="write",
        purpose="RegisterInquiry",
    )
    family = await register(
        clients, family_form(child("Ea", fake_cpr(born=2014)), child("Finn", fake_cpr(born=2016)))
    )
    await one_record(clients, family, "RegisterInquiry")
    assert await records(clients, family.family_inquiry_ids[1], "RegisterInquiry") == []

    described = await clients.intake.UpdateInquiryDescription(
        intake_pb2.UpdateInquiryDescriptionRequest(
            inquiry_id=adult.inquiry_id,
            expected_version=adult.version,
            description="Rettet beskrivelse",
            purpose="correcting a typo",
        ),
        metadata=staff,
        timeout=DEADLINE,
    )
    await one_record(clients, described, "UpdateInquiryDescription", purpose="correcting a typo")

    wednesday = next_wednesday().isoformat()
    listed = await clients.intake.ProduceDistributionList(
        intake_pb2.ProduceDistributionListRequest(list_date=wednesday),
        metadata=staff,
        timeout=DEADLINE,
    )
    [on_list] = [i for i in listed.inquiries if i.inquiry_id == adult.inquiry_id]
    await one_record(clients, on_list, "ProduceDistributionList", action="distribution_list")

    assign = intake_pb2.AssignInquiryRequest(
        inquiry_id=adult.inquiry_id, consultant_id="c-audit", distributed_on=wednesday
    )
    assigned = await clients.intake.AssignInquiry(assign, metadata=staff, timeout=DEADLINE)
    await one_record(clients, assigned, "AssignInquiry", action="write")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await clients.intake.AssignInquiry(assign, metadata=staff, timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await one_record(clients, assigned, "AssignInquiry")  # the refused call showed nothing

    material = await clients.intake.AddSupplementaryMaterial(
        intake_pb2.AddSupplementaryMaterialRequest(
            inquiry_id=adult.inquiry_id,
            documents=[intake_pb2.DocumentRef(document_id="doc-audit", title="Udtalelse")],
            received_via="email",
        ),
        metadata=staff,
        timeout=DEADLINE,
    )
    await one_record(clients, material, "AddSupplementaryMaterial")

    held = await clients.intake.RegisterInquiry(
        adult_form(cpr=cpr), metadata=staff, timeout=DEADLINE
    )
    assert held.status == "awaiting_course_decision"
    decided = await clients.intake.DecideOngoingCourse(
        intake_pb2.DecideOngoingCourseRequest(inquiry_id=held.inquiry_id, decision="open_new"),
        metadata=consultant,
        timeout=DEADLINE,
    )
    await one_record(clients, decided, "DecideOngoingCourse", user_id="c-audit")

    for call, request in (
        ("GetInquiry", intake_pb2.GetInquiryRequest(inquiry_id=adult.inquiry_id)),
        ("ListInquiries", intake_pb2.ListInquiriesRequest(cpr=cpr, status="assigned")),
        ("SearchInquiries", intake_pb2.ListInquiriesRequest(cpr=cpr, status="assigned")),
    ):
        reply = await getattr(clients.intake, call)(request, metadata=staff, timeout=DEADLINE)
        [shown] = getattr(reply, "inquiries", [reply])
        await one_record(clients, shown, call, purpose=call)

    stopped = await clients.intake.WithdrawConsent(
        intake_pb2.WithdrawConsentRequest(inquiry_id=adult.inquiry_id, purpose="citizen asked"),
        metadata=staff,
        timeout=DEADLINE,
    )
    await one_record(clients, stopped, "WithdrawConsent", purpose="citizen asked")

    trail = await clients.intake.ListAuditTrail(
        intake_pb2.ListAuditTrailRequest(inquiry_id=adult.inquiry_id),
        metadata=clients.auth(user="boss", role="manager"),
        timeout=DEADLINE,
    )
    # Notifications' delivery worker may already have read the citizen's CPR for the Digital Post
    # letter (role system, its own record, checked in test_delivery): the staff's calls are these.
    by_service = {r.call for r in trail.records if r.role == "system"}
    assert by_service <= {"RevealCitizenCpr"}
    assert sorted(r.call for r in trail.records if r.role != "system") == sorted(
        [
            "RegisterInquiry",
            "UpdateInquiryDescription",
            "ProduceDistributionList",
            "AssignInquiry",
            "AddSupplementaryMaterial",
            "GetInquiry",
            "ListInquiries",
            "SearchInquiries",
            "WithdrawConsent",
        ]
    )
    assert {r.subject for r in trail.records} == {"inquiry"}


async def test_replies_without_a_citizen_leave_no_audit_record(clients: Clients) -> None:
    created = await clients.intake.CreateInternalCase(
        intake_pb2.CreateInternalCaseRequest(
            kind="phone_extended",
            consultant_id="c-audit",
            main_area="adults",
            inquirer_type="municipal_administration",
            inquirer_name="Horsens Kommune",
            municipality_code="615",
            description="Udvidet telefonrådgivning uden borgeroplysninger",
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert not created.HasField("citizen")
    assert (
        await clients.db("intake").audit_trail.find_one({"inquiry_id": created.inquiry_id}) is None
    )


async def test_every_kas_call_that_shows_a_named_person_audits_it_once(clients: Clients) -> None:
    supplier = f"sup-{new_id()[:8]}"
    stub = kas_pb2_grpc.KasServiceStub(clients._channels["intake"])
    metadata = clients.auth(user="kas-audit", role="kas_supplier", supplier=supplier)
    base: dict[str, Any] = {
        "channel": "phone",
        "inquirer_profile": "professional_municipality",
        "municipality_code": "461",
        "municipality_basis": "workplace",
        "legal_area": "social_services_act",
    }
    form = kas_pb2.KasForm(
        **base,
        handling=["course_advice"],
        inquirer_name="Lene Lærer",
        person_ref="Barn B",
        kas_specialist_id="kas-audit",
        problem_areas=["communication"],
        classifications=["low_vision"],
    )
    saved = await stub.SaveKasRegistration(
        kas_pb2.SaveKasRegistrationRequest(form=form, complete=True),
        metadata=metadata,
        timeout=DEADLINE,
    )
    anonymous = await stub.SaveKasRegistration(
        kas_pb2.SaveKasRegistrationRequest(
            form=kas_pb2.KasForm(**base, handling=["closed"], closed_with="advice_given"),
            complete=True,
        ),
        metadata=metadata,
        timeout=DEADLINE,
    )
    got = await stub.GetKasRegistration(
        kas_pb2.GetKasRegistrationRequest(registration_id=saved.registration_id, purpose="check"),
        metadata=metadata,
        timeout=DEADLINE,
    )
    listed = await stub.ListKasRegistrations(
        kas_pb2.ListKasRegistrationsRequest(view="search"), metadata=metadata, timeout=DEADLINE
    )
    assert {r.registration_id for r in listed.registrations} == {
        saved.registration_id,
        anonymous.registration_id,
    }
    closed = await stub.CloseKasCourse(
        kas_pb2.CloseKasCourseRequest(
            registration_id=got.registration_id,
            expected_version=got.version,
            clarifying_meeting_date=got.form.inquiry_date,
            closing_reason="completed",
        ),
        metadata=metadata,
        timeout=DEADLINE,
    )
    for call, purpose in (
        ("SaveKasRegistration", "SaveKasRegistration"),
        ("GetKasRegistration", "check"),
        ("ListKasRegistrations", "ListKasRegistrations"),
        ("CloseKasCourse", "CloseKasCourse"),
    ):
        [record] = await records(clients, closed.registration_id, call)
        assert (record["subject"], record["kas_number"], record["purpose"]) == (
            "kas_registration",
            closed.kas_number,
            purpose,
        )
        assert (record["user_id"], record["supplier_id"]) == ("kas-audit", supplier)
    assert (
        await clients.db("intake").audit_trail.find_one({"inquiry_id": anonymous.registration_id})
        is None
    )
