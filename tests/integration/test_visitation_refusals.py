"""Visitation refuses bad input (naming every field), illegal steps and stale versions."""

from __future__ import annotations

import grpc

from tests.integration.visitation_helpers import (
    assigned_case,
    call,
    new_world,
    outbox_events,
    refused,
    staff,
    supplier_staff,
)
from tests.support import Clients, bad_fields, outside_history
from vias.visitation.v1 import visitation_pb2 as pb


async def test_bad_fields_are_named_and_nothing_is_written(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant)
    me = staff(clients, consultant)
    error = await refused(
        clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=case.case_id, service_id="", subject="everyone", facts={"nonsense": True}
        ),
        me,
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"service_id", "inquirer_role", "subject", "reasoning"} <= bad_fields(error)
    error = await refused(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=case.case_id, contacted_on="2026-05-01"),
        me,
    )
    # Before this case's distribution (2026-05-08): the case's history refuses it.
    assert outside_history(error) == {"contacted_on"}
    error = await refused(
        clients.visitation.RecordInformation,
        pb.RecordInformationRequest(case_id=case.case_id, area="horoscope", text=""),
        me,
    )
    assert bad_fields(error) == {"area", "text"}
    unchanged = await call(clients.visitation.GetCase, pb.GetCaseRequest(case_id=case.case_id), me)
    assert (unchanged.version, unchanged.status) == (case.version, "opened")
    assert await outbox_events(clients, case.case_id, "DeadlineMet") == []


async def test_illegal_steps_and_stale_versions_are_refused(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant)
    me = staff(clients, consultant)
    early = await refused(
        clients.visitation.CloseWithAdvice,
        pb.CloseWithAdviceRequest(case_id=case.case_id, reasoning="Advised on the phone."),
        me,
    )
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION
    contacted = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=case.case_id, contacted_on="2026-05-11"),
        me,
    )
    stale = await refused(
        clients.visitation.ReferElsewhere,
        pb.ReferElsewhereRequest(
            case_id=case.case_id,
            expected_version=case.version,
            referred_to="DUKH",
            reasoning="Legal question.",
        ),
        me,
    )
    assert stale.code() == grpc.StatusCode.ABORTED
    breach = await refused(
        clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=case.case_id,
            service_id="single_case",
            inquirer_role="parent",
            subject="individual",
            reasoning="Parents asked.",
        ),
        me,
    )
    assert breach.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "parent may not inquire" in (breach.details() or "")
    assert "management level" in (breach.details() or "")
    referred = await call(
        clients.visitation.ReferElsewhere,
        pb.ReferElsewhereRequest(
            case_id=case.case_id,
            expected_version=contacted.version,
            referred_to="Ankestyrelsen",
            reasoning="A question of legal interpretation, not special advice.",
        ),
        me,
    )
    assert (referred.status, referred.decision.referred_to) == ("referred", "Ankestyrelsen")
    assert (
        not referred.decision.advice_given
        and "Klagevejledning" in referred.decision.complaint_guidance
    )
    [decided] = await outbox_events(clients, case.case_id, "VisitationDecided")
    assert decided["outcome"] == "referred" and decided["complaint_guidance"]
    again = await refused(
        clients.visitation.CloseCase,
        pb.CloseCaseRequest(case_id=case.case_id, kind="basis_gone", reason="x"),
        me,
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_search_filters_that_cannot_match_are_named(clients: Clients) -> None:
    me = staff(clients, "consultant-search")
    error = await refused(
        clients.visitation.SearchCases,
        pb.SearchCasesRequest(status="sleeping", main_area="mars", limit=501),
        me,
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"status", "main_area", "limit"}
    error = await refused(
        clients.visitation.ListOffers, pb.ListOffersRequest(status="pondering"), me
    )
    assert bad_fields(error) == {"status"}


async def test_a_bad_estimate_is_named_by_its_path_in_ranking_and_offering(
    clients: Clients,
) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant)
    me = staff(clients, consultant)
    bad = pb.Estimate(hours="many", transport_km="-5", transport_hours="NaN")
    expected = {"estimate.hours", "estimate.transport_km", "estimate.transport_hours"}
    ranked = await refused(
        clients.visitation.RankSuppliers,
        pb.RankSuppliersRequest(case_id=case.case_id, estimate=bad),
        me,
    )
    assert ranked.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(ranked) == expected
    offered = await refused(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id, supplier_id="anyone", justification="x", estimate=bad
        ),
        me,
    )
    assert bad_fields(offered) == expected


async def test_reads_by_an_empty_id_are_invalid_input_naming_the_id(clients: Clients) -> None:
    v = clients.visitation
    for metadata in (
        staff(clients, "consultant-empty"),
        supplier_staff(clients, "spec-empty", "supplier-empty"),
    ):
        for method, request, field in [
            (v.GetCase, pb.GetCaseRequest(case_id=" "), "case_id"),
            (v.GetCaseByInquiry, pb.GetCaseByInquiryRequest(), "inquiry_id"),
            (v.GetOffer, pb.GetOfferRequest(), "offer_id"),
        ]:
            error = await refused(method, request, metadata)
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert bad_fields(error) == {field}
    error = await refused(
        v.RankSuppliers, pb.RankSuppliersRequest(), staff(clients, "consultant-empty")
    )
    assert bad_fields(error) == {"case_id"}
