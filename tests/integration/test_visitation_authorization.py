"""Suppliers see only their own offers and cases; anything else looks exactly like "not found"."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from services.kernel.envelope import new_id
from tests.integration.visitation_helpers import (
    World,
    call,
    new_world,
    proceeding_case,
    publish_world,
    ranking,
    refused,
    staff,
    supplier_staff,
)
from tests.support import Clients
from vias.visitation.v1 import visitation_pb2 as pb


async def offered_to_alpha(clients: Clients) -> tuple[World, Any, Any]:
    """A proceeding case offered to Alpha (accepted); Bravo is never involved."""
    world = new_world()
    await publish_world(clients, world)
    consultant = f"consultant-{world.suffix}"
    case = await proceeding_case(clients, world, consultant)
    await ranking(clients, case.case_id, consultant, expected=3)
    offer = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id,
            supplier_id=world.sid("Alpha"),
            justification="Alpha knows the school; Bravo is cheaper but has no local team.",
        ),
        staff(clients, consultant),
    )
    assert (offer.rank, offer.top_ranked_supplier_id) == (2, world.sid("Bravo"))
    return world, case, offer


def same_not_found(
    hidden: grpc.aio.AioRpcError, missing: grpc.aio.AioRpcError, ids: tuple[str, str]
) -> None:
    """Both are NOT_FOUND with the same message but for the id, and the same details."""
    assert hidden.code() == missing.code() == grpc.StatusCode.NOT_FOUND
    assert (hidden.details() or "").replace(ids[0], "<id>") == (missing.details() or "").replace(
        ids[1], "<id>"
    )
    hidden_trailers = {k for k, _ in hidden.trailing_metadata() or ()}
    missing_trailers = {k for k, _ in missing.trailing_metadata() or ()}
    assert hidden_trailers == missing_trailers


@pytest.mark.parametrize("role", ["specialist", "supplier_admin"])
async def test_another_supplier_cannot_read_list_search_or_answer(
    clients: Clients, role: str
) -> None:
    world, case, offer = await offered_to_alpha(clients)
    bravo = supplier_staff(clients, f"b-{world.suffix}", world.sid("Bravo"), role=role)
    v = clients.visitation
    nowhere = new_id()

    same_not_found(
        await refused(v.GetCase, pb.GetCaseRequest(case_id=case.case_id), bravo),
        await refused(v.GetCase, pb.GetCaseRequest(case_id=nowhere), bravo),
        (case.case_id, nowhere),
    )
    same_not_found(
        await refused(
            v.GetCaseByInquiry, pb.GetCaseByInquiryRequest(inquiry_id=case.inquiry_id), bravo
        ),
        await refused(v.GetCaseByInquiry, pb.GetCaseByInquiryRequest(inquiry_id=nowhere), bravo),
        (case.inquiry_id, nowhere),
    )
    same_not_found(
        await refused(v.GetOffer, pb.GetOfferRequest(offer_id=offer.offer_id), bravo),
        await refused(v.GetOffer, pb.GetOfferRequest(offer_id=nowhere), bravo),
        (offer.offer_id, nowhere),
    )
    same_not_found(
        await refused(
            v.AnswerOffer,
            pb.AnswerOfferRequest(offer_id=offer.offer_id, accept=True, specialist_id="x"),
            bravo,
        ),
        await refused(
            v.AnswerOffer,
            pb.AnswerOfferRequest(offer_id=nowhere, accept=True, specialist_id="x"),
            bravo,
        ),
        (offer.offer_id, nowhere),
    )
    same_not_found(
        await refused(
            v.RecordInquirerContact,
            pb.RecordInquirerContactRequest(
                offer_id=offer.offer_id, contacted_on="2026-05-20", meeting_on="2026-05-21"
            ),
            bravo,
        ),
        await refused(
            v.RecordInquirerContact,
            pb.RecordInquirerContactRequest(
                offer_id=nowhere, contacted_on="2026-05-20", meeting_on="2026-05-21"
            ),
            bravo,
        ),
        (offer.offer_id, nowhere),
    )
    meeting_steps: list[tuple[Any, Any]] = [
        (
            v.RecordClarifyingMeeting,
            lambda offer_id: pb.RecordClarifyingMeetingRequest(
                offer_id=offer_id, held_on="2026-05-20", citizen_attended=True
            ),
        ),
        (
            v.RecordSummaryNote,
            lambda offer_id: pb.RecordSummaryNoteRequest(
                offer_id=offer_id, sent_on="2026-05-20", note="Goals agreed."
            ),
        ),
    ]
    for method, make in meeting_steps:
        same_not_found(
            await refused(method, make(offer.offer_id), bravo),
            await refused(method, make(nowhere), bravo),
            (offer.offer_id, nowhere),
        )

    listed = await call(v.ListOffers, pb.ListOffersRequest(case_id=case.case_id), bravo)
    assert list(listed.offers) == []
    assert (
        list((await call(v.ListOffers, pb.ListOffersRequest(case_id=nowhere), bravo)).offers) == []
    )
    all_mine = await call(v.ListOffers, pb.ListOffersRequest(limit=500), bravo)
    assert offer.offer_id not in {o.offer_id for o in all_mine.offers}
    searched = await call(v.SearchCases, pb.SearchCasesRequest(limit=500), bravo)
    assert case.case_id not in {c.case_id for c in searched.cases}
    by_supplier = await call(
        v.SearchCases, pb.SearchCasesRequest(supplier_id=world.sid("Alpha"), limit=500), bravo
    )
    assert case.case_id not in {c.case_id for c in by_supplier.cases}

    untouched = await call(
        v.GetOffer, pb.GetOfferRequest(offer_id=offer.offer_id), staff(clients, "m", "manager")
    )
    assert untouched.status == "offered"


async def test_a_supplier_sees_its_own_offer_and_only_its_part_of_the_case(
    clients: Clients,
) -> None:
    world, case, offer = await offered_to_alpha(clients)
    consultant = f"consultant-{world.suffix}"
    alpha = supplier_staff(clients, f"a-{world.suffix}", world.sid("Alpha"))
    v = clients.visitation
    await call(
        v.AnswerOffer,
        pb.AnswerOfferRequest(offer_id=offer.offer_id, accept=False, reason="Fully booked."),
        alpha,
    )
    second = await call(
        v.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id, supplier_id=world.sid("Bravo"), justification="Top-ranked."
        ),
        staff(clients, consultant),
    )

    seen = await call(v.GetCase, pb.GetCaseRequest(case_id=case.case_id), alpha)
    assert [o.offer_id for o in seen.offers] == [offer.offer_id]
    assert {d.offer_id for d in seen.deadlines} == {offer.offer_id}
    assert not seen.HasField("decision")
    mine = await call(v.ListOffers, pb.ListOffersRequest(limit=500), alpha)
    assert [o.offer_id for o in mine.offers] == [offer.offer_id]
    found = await call(v.SearchCases, pb.SearchCasesRequest(limit=500), alpha)
    assert [c.case_id for c in found.cases] == [case.case_id]
    own = await call(v.GetOffer, pb.GetOfferRequest(offer_id=offer.offer_id), alpha)
    assert own.status == "declined"
    # The consultant's comparison of suppliers (Bravo ranked first) is not shown to Alpha.
    assert (own.top_ranked_supplier_id, own.justification) == ("", "")
    assert (seen.offers[0].top_ranked_supplier_id, seen.offers[0].justification) == ("", "")
    assert all(o.top_ranked_supplier_id == "" for o in mine.offers)
    as_consultant = await call(
        v.GetOffer, pb.GetOfferRequest(offer_id=offer.offer_id), staff(clients, consultant)
    )
    assert as_consultant.top_ranked_supplier_id == world.sid("Bravo")
    assert "Bravo" in as_consultant.justification
    error = await refused(v.GetOffer, pb.GetOfferRequest(offer_id=second.offer_id), alpha)
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_suppliers_may_not_take_the_consultant_s_steps(clients: Clients) -> None:
    world, case, _ = await offered_to_alpha(clients)
    alpha = supplier_staff(clients, f"a-{world.suffix}", world.sid("Alpha"))
    for method, request in [
        (clients.visitation.RankSuppliers, pb.RankSuppliersRequest(case_id=case.case_id)),
        (
            clients.visitation.OfferToSupplier,
            pb.OfferToSupplierRequest(
                case_id=case.case_id, supplier_id=world.sid("Charlie"), justification="x"
            ),
        ),
        (
            clients.visitation.CloseCase,
            pb.CloseCaseRequest(case_id=case.case_id, kind="basis_gone", reason="x"),
        ),
        (clients.visitation.CheckDeadlines, pb.CheckDeadlinesRequest()),
    ]:
        assert (await refused(method, request, alpha)).code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_kas_supplier_reads_another_supplier_s_case_as_missing(clients: Clients) -> None:
    world, case, offer = await offered_to_alpha(clients)
    kas = supplier_staff(clients, f"kas-{world.suffix}", f"kas-{world.suffix}", role="kas_supplier")
    v = clients.visitation
    nowhere = new_id()
    same_not_found(
        await refused(v.GetCase, pb.GetCaseRequest(case_id=case.case_id), kas),
        await refused(v.GetCase, pb.GetCaseRequest(case_id=nowhere), kas),
        (case.case_id, nowhere),
    )
    same_not_found(
        await refused(v.GetOffer, pb.GetOfferRequest(offer_id=offer.offer_id), kas),
        await refused(v.GetOffer, pb.GetOfferRequest(offer_id=nowhere), kas),
        (offer.offer_id, nowhere),
    )
    assert list((await call(v.ListOffers, pb.ListOffersRequest(limit=500), kas)).offers) == []
    assert list((await call(v.SearchCases, pb.SearchCasesRequest(limit=500), kas)).cases) == []
    answered = await refused(
        v.AnswerOffer, pb.AnswerOfferRequest(offer_id=offer.offer_id, accept=False, reason="x"), kas
    )
    assert answered.code() == grpc.StatusCode.PERMISSION_DENIED
