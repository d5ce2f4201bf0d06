"""KaS registration over gRPC: states, supplier isolation, views, extracts as real XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import grpc
import pytest
from openpyxl import load_workbook

from services.kernel.envelope import new_id
from tests.support import DEADLINE, Clients, bad_fields
from vias.intake.v1 import kas_pb2, kas_pb2_grpc

TODAY = date.today().isoformat()
BASE: dict[str, Any] = {
    "channel": "phone",
    "inquirer_profile": "professional_municipality",
    "municipality_code": "461",
    "municipality_basis": "workplace",
    "legal_area": "social_services_act",
}


def course(specialist: str, **extra: Any) -> kas_pb2.KasForm:
    return kas_pb2.KasForm(
        **BASE,
        handling=["course_advice"],
        inquirer_name="Lene Lærer",
        kas_specialist_id=specialist,
        problem_areas=["communication", "learning"],
        classifications=["low_vision"],
        **extra,
    )


class Kas:
    """A KaS user of one supplier."""

    def __init__(self, clients: Clients, supplier: str, user: str = "kas-1") -> None:
        self.stub = kas_pb2_grpc.KasServiceStub(clients._channels["intake"])
        self.supplier_id = supplier
        self.metadata = clients.auth(user=user, role="kas_supplier", supplier=supplier)

    async def save(self, form: kas_pb2.KasForm, *, complete: bool = True, **more: Any) -> Any:
        request = kas_pb2.SaveKasRegistrationRequest(form=form, complete=complete, **more)
        return await self.stub.SaveKasRegistration(
            request, metadata=self.metadata, timeout=DEADLINE
        )

    async def call(self, method: str, request: Any) -> Any:
        return await getattr(self.stub, method)(request, metadata=self.metadata, timeout=DEADLINE)

    async def error(self, method: str, request: Any) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.call(method, request)
        return caught.value


async def test_a_draft_is_completed_closed_and_hidden_from_other_suppliers(
    clients: Clients,
) -> None:
    supplier = f"sup-{new_id()[:8]}"
    kas = Kas(clients, supplier, user="spec-a")
    draft = await kas.save(kas_pb2.KasForm(channel="email"), complete=False)
    assert (draft.status, draft.registered_by, draft.supplier_id) == ("draft", "spec-a", supplier)
    assert draft.kas_number.startswith("KAS-") and draft.form.inquiry_date == TODAY
    ongoing = await kas.save(
        course("spec-a"), registration_id=draft.registration_id, expected_version=draft.version
    )
    assert (ongoing.status, ongoing.kas_number) == ("ongoing", draft.kas_number)
    closed = await kas.call(
        "CloseKasCourse",
        kas_pb2.CloseKasCourseRequest(
            registration_id=ongoing.registration_id,
            expected_version=ongoing.version,
            clarifying_meeting_date=TODAY,
            closing_reason="completed",
        ),
    )
    assert (closed.status, closed.closing_date) == ("closed", TODAY)

    other = Kas(clients, f"sup-{new_id()[:8]}")
    foreign = await other.error(
        "GetKasRegistration",
        kas_pb2.GetKasRegistrationRequest(registration_id=closed.registration_id),
    )
    missing = await other.error(
        "GetKasRegistration", kas_pb2.GetKasRegistrationRequest(registration_id="no-such-id")
    )
    assert foreign.code() == missing.code() == grpc.StatusCode.NOT_FOUND
    assert foreign.details().replace(closed.registration_id, "X") == missing.details().replace(
        "no-such-id", "X"
    )
    stolen = await other.error(
        "CloseKasCourse",
        kas_pb2.CloseKasCourseRequest(
            registration_id=ongoing.registration_id,
            expected_version=ongoing.version,
            clarifying_meeting_date=TODAY,
            closing_reason="completed",
        ),
    )
    assert stolen.code() == grpc.StatusCode.NOT_FOUND
    search = await other.call(
        "ListKasRegistrations", kas_pb2.ListKasRegistrationsRequest(kas_number=closed.kas_number)
    )
    assert list(search.registrations) == []
    # Naming the other supplier explicitly is refused: no silent switch to the caller's own.
    named = await other.error(
        "ListKasRegistrations", kas_pb2.ListKasRegistrationsRequest(supplier_id=supplier)
    )
    assert named.code() == grpc.StatusCode.PERMISSION_DENIED
    extract = await other.error(
        "ExportKasExtract",
        kas_pb2.ExportKasExtractRequest(
            extract="longer_courses",
            period_from=TODAY,
            period_to=TODAY,
            format="csv",
            supplier_id=supplier,
        ),
    )
    assert extract.code() == grpc.StatusCode.PERMISSION_DENIED
    own = await other.call(
        "ListKasRegistrations",
        kas_pb2.ListKasRegistrationsRequest(supplier_id=other.supplier_id),
    )
    assert closed.kas_number not in {r.kas_number for r in own.registrations}
    overwrite = await other.error(
        "SaveKasRegistration",
        kas_pb2.SaveKasRegistrationRequest(
            form=kas_pb2.KasForm(channel="email"),
            registration_id=draft.registration_id,
            expected_version=closed.version,
            complete=False,
        ),
    )
    assert overwrite.code() == grpc.StatusCode.NOT_FOUND
    assert overwrite.details() == foreign.details()


async def test_the_views_show_my_ongoing_my_closed_and_my_inquiries(clients: Clients) -> None:
    supplier = f"sup-{new_id()[:8]}"
    me = Kas(clients, supplier, user="spec-me")
    colleague = Kas(clients, supplier, user="spec-other")
    mine = await me.save(course("spec-me"))
    await colleague.save(course("spec-other"))
    draft = await me.save(kas_pb2.KasForm(channel="phone"), complete=False)
    one_off = await me.save(
        kas_pb2.KasForm(**BASE, handling=["closed"], closed_with="advice_given")
    )

    async def view(name: str, who: Kas = me, **filters: Any) -> set[str]:
        reply = await who.call(
            "ListKasRegistrations", kas_pb2.ListKasRegistrationsRequest(view=name, **filters)
        )
        return {r.registration_id for r in reply.registrations}

    assert await view("my_ongoing") == {mine.registration_id, draft.registration_id}
    assert await view("my_inquiries") == {one_off.registration_id}
    assert await view("my_closed") == set()
    assert await view("search", handling="closed", channel="phone") == {one_off.registration_id}
    assert await view("search", classification="low_vision", registered_by="spec-me") == {
        mine.registration_id
    }
    assert await view("search", text="lene") == {mine.registration_id} | await view(
        "my_ongoing", colleague
    )
    await me.call(
        "CloseKasCourse",
        kas_pb2.CloseKasCourseRequest(
            registration_id=mine.registration_id,
            expected_version=mine.version,
            clarifying_meeting_date=TODAY,
            closing_reason="completed",
        ),
    )
    assert await view("my_closed") == {mine.registration_id}
    assert await view("my_ongoing") == {draft.registration_id}


async def test_viso_staff_read_every_supplier_s_registrations(clients: Clients) -> None:
    supplier = f"sup-{new_id()[:8]}"
    saved = await Kas(clients, supplier).save(course("s9"))
    stub = kas_pb2_grpc.KasServiceStub(clients._channels["intake"])
    found = await stub.GetKasRegistration(
        kas_pb2.GetKasRegistrationRequest(registration_id=saved.registration_id),
        metadata=clients.auth(user="boss", role="manager"),
        timeout=DEADLINE,
    )
    assert found.supplier_id == supplier
    extract = await stub.ExportKasExtract(
        kas_pb2.ExportKasExtractRequest(
            extract="longer_courses",
            period_from=TODAY,
            period_to=TODAY,
            format="csv",
            supplier_id=supplier,
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert extract.row_count == 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SaveKasRegistration(
            kas_pb2.SaveKasRegistrationRequest(form=course("s9"), complete=True),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_bad_kas_input_names_each_field(clients: Clients) -> None:
    kas = Kas(clients, f"sup-{new_id()[:8]}")
    form = kas_pb2.KasForm(
        channel="phone",
        inquirer_profile="professional_municipality",
        municipality_code="999",
        handling=["closed", "referred"],
    )
    error = await kas.error(
        "SaveKasRegistration", kas_pb2.SaveKasRegistrationRequest(form=form, complete=True)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {
        "form.municipality_code",
        "form.municipality_basis",
        "form.handling",
        "form.legal_area",
    }
    # An impossible date is named together with the form's rule breaches, not alone.
    form.inquiry_date = "2026-02-30"
    error = await kas.error(
        "SaveKasRegistration", kas_pb2.SaveKasRegistrationRequest(form=form, complete=True)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {
        "form.inquiry_date",
        "form.municipality_code",
        "form.municipality_basis",
        "form.handling",
        "form.legal_area",
    }
    search = await kas.error(
        "ListKasRegistrations",
        kas_pb2.ListKasRegistrationsRequest(
            handling="both", channel="pigeon", inquiry_date_from="2026-02-30", view="mine"
        ),
    )
    assert search.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(search) == {"handling", "channel", "inquiry_date_from", "view"}
    empty = await kas.error("GetKasRegistration", kas_pb2.GetKasRegistrationRequest())
    assert (empty.code(), bad_fields(empty)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        {"registration_id"},
    )
    stored = {"form.municipality_code": "999"}
    assert await clients.db("intake").kas_registrations.count_documents(stored) == 0


async def test_the_municipality_follows_the_inquirer_profile_s_rule(clients: Clients) -> None:
    kas = Kas(clients, f"sup-{new_id()[:8]}")
    one_off = {**BASE, "handling": ["closed"], "closed_with": "advice_given"}
    elsewhere = kas_pb2.KasForm(**one_off, inquirer_workplace_municipality_code="751")
    error = await kas.error(
        "SaveKasRegistration", kas_pb2.SaveKasRegistrationRequest(form=elsewhere, complete=True)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"form.municipality_code"}
    offer_rule = kas_pb2.KasForm(**{**one_off, "inquirer_profile": "offer"})
    error = await kas.error(
        "SaveKasRegistration", kas_pb2.SaveKasRegistrationRequest(form=offer_rule, complete=True)
    )
    assert bad_fields(error) == {"form.municipality_basis"}
    hospital = kas_pb2.KasForm(
        **{
            **one_off,
            "inquirer_profile": "hospital",
            "municipality_basis": "citizen_home",
            "municipality_code": "751",
        },
        citizen_municipality_code="751",
        inquirer_workplace_municipality_code="101",
    )
    saved = await kas.save(hospital)
    assert (saved.status, saved.form.municipality_basis) == ("closed", "citizen_home")
    reply = await kas.call(
        "ExportKasExtract",
        kas_pb2.ExportKasExtractRequest(
            extract="one_off_advice", period_from=TODAY, period_to=TODAY, format="csv"
        ),
    )
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8"))))
    assert [(r["kas_number"], r["municipality_code"], r["municipality_basis"]) for r in rows] == [
        (saved.kas_number, "751", "citizen_home")
    ]


async def test_an_xlsx_extract_opens_with_openpyxl_and_its_rows_match_the_registrations(
    clients: Clients,
) -> None:
    supplier = f"sup-{new_id()[:8]}"
    kas = Kas(clients, supplier)
    for specialist in ("s1", "s2", "s3"):
        await kas.save(course(specialist))
    for _ in range(2):
        await kas.save(kas_pb2.KasForm(**BASE, handling=["closed"], closed_with="advice_given"))
    await kas.save(kas_pb2.KasForm(**BASE, handling=["referred"], referred_to="Synscenter"))
    await kas.save(course("s4"), complete=False)
    expected = {
        "classifications": 3,
        "problem_areas": 6,
        "longer_courses": 3,
        "one_off_advice": 2,
        "referrals": 1,
    }
    for extract, rows in expected.items():
        reply = await kas.call(
            "ExportKasExtract",
            kas_pb2.ExportKasExtractRequest(
                extract=extract, period_from=TODAY, period_to=TODAY, format="xlsx"
            ),
        )
        assert reply.row_count == rows and reply.filename.endswith(".xlsx")
        book = load_workbook(io.BytesIO(reply.content), read_only=True)
        data = list(book.worksheets[0].iter_rows(values_only=True))
        assert len(data) == rows + 1, extract
        assert data[0][0] == "kas_number"
        assert all(str(row[0]).startswith("KAS-") for row in data[1:])
    csv_reply = await kas.call(
        "ExportKasExtract",
        kas_pb2.ExportKasExtractRequest(
            extract="referrals", period_from=TODAY, period_to=TODAY, format="csv"
        ),
    )
    lines = csv_reply.content.decode("utf-8").strip().splitlines()
    assert len(lines) == 2 and lines[1].endswith("Synscenter")
