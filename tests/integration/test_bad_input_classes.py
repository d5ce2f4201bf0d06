"""The classes of bad input that once reached INTERNAL (issue 12, item 7): days years off,
integers the database cannot store, carriage returns in the supplier CSV, thousands of bad
items, CPR numbers typed into ids. Each is refused naming the field as the caller sent it, in a
reply the client can read, and a refused call writes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from services.kernel.envelope import new_id
from services.kernel.errors import MAX_VIOLATIONS
from services.leverance.domain.supplier_csv import COLUMNS
from tests.integration.test_leverance import DESCRIPTION, Case, new_supplier
from tests.integration.visitation_helpers import assigned_case
from tests.support import DEADLINE, Clients, bad_fields, fake_cpr
from vias.documents.v1 import documents_pb2
from vias.intake.v1 import intake_pb2, kas_pb2, kas_pb2_grpc
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.notifications.v1 import letters_pb2, letters_pb2_grpc, surveys_pb2, surveys_pb2_grpc
from vias.visitation.v1 import visitation_pb2 as vpb

TODAY = date.today().isoformat()
FAR_OFF = ("0001-01-01", "9999-12-31")
TOO_BIG = 2**63 - 1


@dataclass
class Objects:
    """Real objects the requests name, so a refusal is not just an unknown id."""

    clients: Clients
    inquiry_id: str
    inquiry_version: int
    case_id: str
    deadline_id: str
    consultant: str
    course: Case
    registration_id: str
    kas_supplier: str

    def metadata(self, role: str) -> list[tuple[str, str]]:
        """A token of the role that may make the call on these objects."""
        users = {
            "consultant": (self.consultant, None),
            "specialist": (self.course.specialist, self.course.supplier_id),
            "kas_supplier": ("kas-bounds", self.kas_supplier),
        }
        user, supplier = users.get(role, (f"{role}-bounds", None))
        return self.clients.auth(user=user, role=role, supplier=supplier)


@pytest.fixture(scope="module")
async def objects(clients: Clients) -> Objects:
    waiting = await clients.register()
    consultant = f"consultant-{new_id()[:8]}"
    case = await assigned_case(clients, consultant)
    course = Case(clients, await new_supplier(clients))
    course.consultant = consultant
    await course.hand_over()
    kas_supplier = f"kas-{new_id()[:8]}"
    kas = await kas_stub(clients).SaveKasRegistration(
        kas_pb2.SaveKasRegistrationRequest(form=kas_pb2.KasForm(channel="phone")),
        metadata=clients.auth(user="kas-bounds", role="kas_supplier", supplier=kas_supplier),
        timeout=DEADLINE,
    )
    return Objects(
        clients=clients,
        inquiry_id=waiting.inquiry_id,
        inquiry_version=waiting.version,
        case_id=case.case_id,
        deadline_id=case.deadlines[0].deadline_id,
        consultant=consultant,
        course=course,
        registration_id=kas.registration_id,
        kas_supplier=kas_supplier,
    )


def kas_stub(clients: Clients) -> kas_pb2_grpc.KasServiceStub:
    return kas_pb2_grpc.KasServiceStub(clients._channels["intake"])


@dataclass(frozen=True)
class Call:
    """One RPC with a request built from the real objects, as a role that may make it."""

    service: str
    method: str
    role: str
    build: Callable[[Objects], Message]


def fixed(service: str, method: str, role: str, request: Message) -> Call:
    """A call whose request names none of the objects."""
    return Call(service, method, role, lambda _: request)


def stub(clients: Clients, call: Call) -> Any:
    extra = {
        "KasService": lambda: kas_stub(clients),
        "LettersService": lambda: letters_pb2_grpc.LettersServiceStub(
            clients._channels["notifications"]
        ),
        "SurveysService": lambda: surveys_pb2_grpc.SurveysServiceStub(
            clients._channels["notifications"]
        ),
    }
    found = extra[call.service]() if call.service in extra else getattr(clients, call.service)
    return getattr(found, call.method)


async def refused(
    objects: Objects, call: Call, *, correlation_id: str | None = None
) -> grpc.aio.AioRpcError:
    """The error the call fails with; it must have stored no event."""
    clients = objects.clients
    started = time.time_ns()
    correlation_id = correlation_id or new_id()
    metadata = [*objects.metadata(call.role), ("x-correlation-id", correlation_id)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub(clients, call)(call.build(objects), metadata=metadata, timeout=DEADLINE)
    service = {
        "intake": "intake",
        "KasService": "intake",
        "visitation": "visitation",
        "leverance": "leverance",
        "documents": "documents",
    }.get(call.service, "notifications")
    assert not await clients.correlated_events(service, {correlation_id}, started)
    return caught.value


def dated(day: str) -> list[tuple[Call, str]]:
    """Calls giving `day` in one date field, with the field a refusal must name."""
    month = day[:7]
    return [
        (
            Call(
                "intake",
                "AssignInquiry",
                "support",
                lambda o: intake_pb2.AssignInquiryRequest(
                    inquiry_id=o.inquiry_id, consultant_id=o.consultant, distributed_on=day
                ),
            ),
            "distributed_on",
        ),
        (
            Call(
                "intake",
                "ProduceDistributionList",
                "support",
                lambda o: intake_pb2.ProduceDistributionListRequest(list_date=day),
            ),
            "list_date",
        ),
        (
            Call(
                "intake",
                "ListInquiries",
                "support",
                lambda o: intake_pb2.ListInquiriesRequest(registered_to=day),
            ),
            "registered_to",
        ),
        (
            Call(
                "KasService",
                "SaveKasRegistration",
                "kas_supplier",
                lambda o: kas_pb2.SaveKasRegistrationRequest(
                    form=kas_pb2.KasForm(channel="phone", inquiry_date=day)
                ),
            ),
            "form.inquiry_date",
        ),
        (
            Call(
                "KasService",
                "CloseKasCourse",
                "kas_supplier",
                lambda o: kas_pb2.CloseKasCourseRequest(
                    registration_id=o.registration_id,
                    expected_version=1,
                    clarifying_meeting_date=TODAY,
                    closing_date=day,
                    closing_reason="completed",
                ),
            ),
            "closing_date",
        ),
        (
            Call(
                "KasService",
                "ExportKasExtract",
                "kas_supplier",
                lambda o: kas_pb2.ExportKasExtractRequest(
                    extract="referrals", format="csv", period_from=day, period_to=TODAY
                ),
            ),
            "period_from",
        ),
        (
            Call(
                "visitation",
                "RecordFirstContact",
                "consultant",
                lambda o: vpb.RecordFirstContactRequest(case_id=o.case_id, contacted_on=day),
            ),
            "contacted_on",
        ),
        (
            Call(
                "visitation",
                "MoveDeadline",
                "consultant",
                lambda o: vpb.MoveDeadlineRequest(
                    case_id=o.case_id, deadline_id=o.deadline_id, new_due=day, reason="asked"
                ),
            ),
            "new_due",
        ),
        (
            Call(
                "visitation",
                "CheckDeadlines",
                "manager",
                lambda o: vpb.CheckDeadlinesRequest(as_of=day, case_id=o.case_id),
            ),
            "as_of",
        ),
        (
            Call(
                "leverance",
                "ProposeAgreement",
                "specialist",
                lambda o: lpb.ProposeAgreementRequest(
                    delivery_id=o.course.delivery_id,
                    activities=[lpb.ActivityInput(kind="visitation", hours="2", planned_on=day)],
                    description=DESCRIPTION,
                ),
            ),
            "activities.0.planned_on",
        ),
        (
            Call(
                "leverance",
                "BookAnchoringActivity",
                "consultant",
                lambda o: lpb.BookAnchoringActivityRequest(
                    case_id=o.course.case_id, kind="anchoring_meeting", on=day
                ),
            ),
            "on",
        ),
        (
            Call(
                "leverance",
                "SetContract",
                "support",
                lambda o: lpb.SetContractRequest(
                    supplier_id=o.course.supplier_id,
                    contract=lpb.Contract(
                        contract_id="far-off",
                        main_area="adults",
                        services=["single_case"],
                        valid_from=TODAY,
                        valid_to=day,
                        max_age=99,
                        hourly_rate_dkk="900",
                        transport_rate_dkk_per_km="3.79",
                        transport_hourly_rate_dkk="400",
                    ),
                ),
            ),
            "contract.valid_to",
        ),
        (
            Call(
                "leverance",
                "CreateMonthlySettlement",
                "manager",
                lambda o: lpb.CreateMonthlySettlementRequest(
                    supplier_id=o.course.supplier_id, month=month
                ),
            ),
            "month",
        ),
        (
            Call(
                "leverance",
                "GetSettlement",
                "manager",
                lambda o: lpb.GetSettlementRequest(supplier_id=o.course.supplier_id, month=month),
            ),
            "month",
        ),
    ]


DATED = [(day, call, field) for day in FAR_OFF for call, field in dated(day)]


@pytest.mark.parametrize(
    ("day", "call", "field"),
    DATED,
    ids=[f"{call.method}-{field}-{day[:4]}" for day, call, field in DATED],
)
async def test_a_day_years_off_is_refused_naming_the_field(
    objects: Objects, day: str, call: Call, field: str
) -> None:
    error = await refused(objects, call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert field in bad_fields(error)


async def test_a_day_years_off_is_not_accepted_as_a_case_date(objects: Objects) -> None:
    clients = objects.clients
    before = await clients.visitation.GetCase(
        vpb.GetCaseRequest(case_id=objects.case_id), metadata=objects.metadata("consultant")
    )
    for day in FAR_OFF:
        [call] = [c for c, _ in dated(day) if c.method == "RecordFirstContact"]
        assert (await refused(objects, call)).code() == grpc.StatusCode.INVALID_ARGUMENT
    after = await clients.visitation.GetCase(
        vpb.GetCaseRequest(case_id=objects.case_id), metadata=objects.metadata("consultant")
    )
    assert after.version == before.version and not after.first_contact_on


VERSIONED = [
    (
        Call(
            "intake",
            "UpdateInquiryDescription",
            "support",
            lambda o: intake_pb2.UpdateInquiryDescriptionRequest(
                inquiry_id=o.inquiry_id, expected_version=TOO_BIG, description="new"
            ),
        ),
        "expected_version",
    ),
    (
        Call(
            "KasService",
            "SaveKasRegistration",
            "kas_supplier",
            lambda o: kas_pb2.SaveKasRegistrationRequest(
                registration_id=o.registration_id, expected_version=TOO_BIG
            ),
        ),
        "expected_version",
    ),
    (
        Call(
            "visitation",
            "RecordFirstContact",
            "consultant",
            lambda o: vpb.RecordFirstContactRequest(
                case_id=o.case_id, expected_version=TOO_BIG, contacted_on=TODAY
            ),
        ),
        "expected_version",
    ),
    (
        Call(
            "leverance",
            "SaveSupplier",
            "support",
            lambda o: lpb.SaveSupplierRequest(
                supplier_id=o.course.supplier_id,
                expected_version=TOO_BIG,
                name="Specialcenter Syd",
                kind="municipal",
            ),
        ),
        "expected_version",
    ),
    (
        Call(
            "leverance",
            "ApproveAgreement",
            "consultant",
            lambda o: lpb.ApproveAgreementRequest(
                delivery_id=o.course.delivery_id, expected_version=TOO_BIG
            ),
        ),
        "expected_version",
    ),
    (
        Call(
            "intake",
            "ListInquiries",
            "support",
            lambda o: intake_pb2.ListInquiriesRequest(limit=2**31 - 1),
        ),
        "limit",
    ),
    (
        Call("leverance", "GetSpending", "manager", lambda o: lpb.GetSpendingRequest(year=-1)),
        "year",
    ),
    (
        Call(
            "leverance",
            "SaveSupplier",
            "support",
            lambda o: lpb.SaveSupplierRequest(
                supplier_id=o.course.supplier_id,
                name="X",
                kind="municipal",
                free_capacity=2**31 - 1,
            ),
        ),
        "free_capacity",
    ),
    (
        Call(
            "SurveysService",
            "GetSurveySummary",
            "manager",
            lambda o: surveys_pb2.GetSurveySummaryRequest(year=2**31 - 1),
        ),
        "year",
    ),
]


@pytest.mark.parametrize(
    ("call", "field"), VERSIONED, ids=[f"{c.method}-{f}" for c, f in VERSIONED]
)
async def test_an_integer_beyond_what_is_stored_or_plausible_is_refused(
    objects: Objects, call: Call, field: str
) -> None:
    error = await refused(objects, call)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert bad_fields(error) == {field}


async def test_the_largest_storable_version_reaches_the_database_as_a_stale_version(
    objects: Objects,
) -> None:
    call = Call(
        "intake",
        "UpdateInquiryDescription",
        "support",
        lambda o: intake_pb2.UpdateInquiryDescriptionRequest(
            inquiry_id=o.inquiry_id, expected_version=TOO_BIG - 1, description="new"
        ),
    )
    assert (await refused(objects, call)).code() == grpc.StatusCode.ABORTED


def supplier_rows(*ids: str) -> list[str]:
    return [
        f"{i},Høreklinikken,municipal,nej,true,Vej 1,5000,Odense,461,1,h1,children_youth,"
        "single_case,2024-01-01,2028-12-31,0,18,hearing_impairment,,875.25,3.79,437.50"
        for i in ids
    ]


def import_call(text: str) -> Call:
    return Call(
        "leverance",
        "ImportSuppliers",
        "support",
        lambda o: lpb.ImportSuppliersRequest(csv_text=text),
    )


@pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["CRLF", "CR"])
async def test_a_supplier_csv_with_crlf_or_cr_line_ends_is_imported(
    clients: Clients, end: str
) -> None:
    ids = [f"cr-{new_id()[:8]}" for _ in range(2)]
    reply = await clients.leverance.ImportSuppliers(
        lpb.ImportSuppliersRequest(csv_text=end.join([",".join(COLUMNS), *supplier_rows(*ids)])),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (reply.created, sorted(reply.supplier_ids)) == (2, sorted(ids))


async def test_a_stray_carriage_return_in_the_supplier_csv_names_the_lines(
    objects: Objects,
) -> None:
    supplier_id = f"cr-{new_id()[:8]}"
    [row] = supplier_rows(supplier_id)
    text = "\r\n".join([",".join(COLUMNS), row.replace("Odense", "Oden\rse")])
    error = await refused(objects, import_call(text))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    lines = {field.split(".")[1] for field in bad_fields(error)}
    assert lines == {"line2", "line3"}  # the lone CR ends line 2 within the row
    assert not await objects.clients.db("leverance").suppliers.find_one({"_id": supplier_id})


async def test_twenty_thousand_bad_items_list_a_capped_number_and_say_how_many_more(
    objects: Objects,
) -> None:
    """5,000 rows with four bad cells each: 20,000 violations."""
    row = (
        "s-{i},Bad,cooperative,nej,true,,,,,1,c1,mars,single_case,2024-01-01,2028-12-31,"
        "x,18,,,-5,3.79,437.50"
    )
    text = "\n".join([",".join(COLUMNS), *(row.format(i=i) for i in range(5_000))])
    correlation_id = new_id()
    error = await refused(objects, import_call(text), correlation_id=correlation_id)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = bad_fields(error)
    assert len(fields) == MAX_VIOLATIONS
    assert "csv_text.line2.kind" in fields and "csv_text.line2.hourly_rate_dkk" in fields
    assert (error.details() or "").endswith(f"and {20_000 - MAX_VIOLATIONS} more")
    log = (objects.clients.platform.log_dir / "leverance.log").read_text()
    [line] = [line for line in log.splitlines() if correlation_id in line]
    assert len(line) < 2_000


async def test_a_cpr_number_typed_into_an_id_is_never_echoed_or_logged(objects: Objects) -> None:
    """The leak test (run last) also looks for this number in every log, database and topic."""
    cpr = fake_cpr()
    digits = cpr.replace("-", "")
    calls = [
        fixed("intake", "GetInquiry", "support", intake_pb2.GetInquiryRequest(inquiry_id=cpr)),
        fixed(
            "intake",
            "UpdateInquiryDescription",
            "support",
            intake_pb2.UpdateInquiryDescriptionRequest(
                inquiry_id=digits, expected_version=1, description="new"
            ),
        ),
        fixed(
            "KasService",
            "GetKasRegistration",
            "kas_supplier",
            kas_pb2.GetKasRegistrationRequest(registration_id=cpr),
        ),
        fixed("visitation", "GetCase", "consultant", vpb.GetCaseRequest(case_id=cpr)),
        fixed(
            "visitation",
            "GetCaseByInquiry",
            "consultant",
            vpb.GetCaseByInquiryRequest(inquiry_id=digits),
        ),
        fixed("visitation", "GetOffer", "specialist", vpb.GetOfferRequest(offer_id=cpr)),
        fixed("leverance", "GetSupplier", "support", lpb.GetSupplierRequest(supplier_id=cpr)),
        fixed("leverance", "GetDelivery", "consultant", lpb.GetDeliveryRequest(delivery_id=digits)),
        fixed("leverance", "GetCourse", "consultant", lpb.GetCourseRequest(case_id=cpr)),
        fixed(
            "SurveysService", "GetSurvey", "manager", surveys_pb2.GetSurveyRequest(survey_id=cpr)
        ),
    ]
    for call in calls:
        error = await refused(objects, call, correlation_id=cpr)
        assert error.code() == grpc.StatusCode.NOT_FOUND, call.method
        assert digits not in (error.details() or "") and cpr not in (error.details() or "")
    clients = objects.clients
    for read in (
        clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=cpr), metadata=clients.auth()
        ),
        letters_pb2_grpc.LettersServiceStub(clients._channels["notifications"]).ListLetters(
            letters_pb2.ListLettersRequest(inquiry_id=cpr), metadata=clients.auth()
        ),
    ):
        await read
    for path in clients.platform.log_dir.glob("*.log"):
        text = path.read_text(errors="replace")
        assert digits not in text and cpr not in text, f"{path.name} holds the CPR number"
