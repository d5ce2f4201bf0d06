"""Bad input gets a precise error and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from tests.support import DEADLINE, Clients, bad_fields
from vias.intake.v1 import intake_pb2
from vias.visitation.v1 import visitation_pb2


@pytest.fixture
async def nothing_written(clients: Clients) -> AsyncIterator[None]:
    """Asserts after the test that intake stored no inquiry and no event."""
    db = clients.db("intake")
    before = (await db.inquiries.count_documents({}), await db.outbox.count_documents({}))
    yield
    after = (await db.inquiries.count_documents({}), await db.outbox.count_documents({}))
    assert after == before


async def call_error(
    clients: Clients,
    method: Any,
    request: Any,
    metadata: list[tuple[str, str]] | None = None,
) -> grpc.aio.AioRpcError:
    """The error a call must fail with; a valid support token unless `metadata` is given."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await method(
            request, metadata=clients.auth() if metadata is None else metadata, timeout=DEADLINE
        )
    return caught.value


async def register_error(
    clients: Clients,
    request: intake_pb2.RegisterInquiryRequest,
    metadata: list[tuple[str, str]] | None = None,
) -> grpc.aio.AioRpcError:
    """The error RegisterInquiry must fail with."""
    return await call_error(clients, clients.intake.RegisterInquiry, request, metadata)


@pytest.mark.usefixtures("nothing_written")
async def test_an_empty_request_names_every_required_field(clients: Clients) -> None:
    error = await register_error(clients, intake_pb2.RegisterInquiryRequest())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {
        "inquirer_name",
        "main_area",
        "description",
        "inquirer",
        "requested_service",
    }


@pytest.mark.usefixtures("nothing_written")
async def test_oversized_and_malformed_fields_are_named(clients: Clients) -> None:
    request = intake_pb2.RegisterInquiryRequest(
        inquirer_name="x" * 201, main_area="mars", citizen_name="Ann", description="d" * 10_001
    )
    error = await register_error(clients, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    # citizen_name is no longer used (citizens go in `citizens`), so a value is refused too.
    assert bad_fields(error) == {
        "inquirer_name",
        "main_area",
        "citizen_name",
        "description",
        "inquirer",
        "requested_service",
    }


@pytest.mark.usefixtures("nothing_written")
async def test_a_message_over_the_size_limit_is_refused_before_it_is_read(
    clients: Clients,
) -> None:
    request = intake_pb2.RegisterInquiryRequest(
        inquirer_name="A", main_area="adults", citizen_name="B", description="d" * 5_000_000
    )
    error = await register_error(clients, request)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.usefixtures("nothing_written")
async def test_an_update_without_id_or_version_names_both(clients: Clients) -> None:
    error = await call_error(
        clients,
        clients.intake.UpdateInquiryDescription,
        intake_pb2.UpdateInquiryDescriptionRequest(description="new"),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"inquiry_id", "expected_version"}


@pytest.mark.usefixtures("nothing_written")
async def test_updating_an_unknown_inquiry_is_not_found(clients: Clients) -> None:
    error = await call_error(
        clients,
        clients.intake.UpdateInquiryDescription,
        intake_pb2.UpdateInquiryDescriptionRequest(
            inquiry_id="no-such-inquiry", expected_version=1, description="new"
        ),
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_reading_an_unknown_case_is_not_found(clients: Clients) -> None:
    error = await call_error(
        clients, clients.visitation.GetCase, visitation_pb2.GetCaseRequest(case_id="no-such-case")
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


VALID = intake_pb2.RegisterInquiryRequest(
    inquirer_name="A", main_area="adults", citizen_name="B", description="C"
)


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    "metadata",
    [[], [("authorization", "Bearer not-a-token")], [("authorization", "Basic dXNlcjpwdw==")]],
    ids=["no token", "garbage token", "wrong scheme"],
)
async def test_a_call_without_a_valid_token_is_unauthenticated(
    clients: Clients, metadata: list[tuple[str, str]]
) -> None:
    error = await register_error(clients, VALID, metadata)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.usefixtures("nothing_written")
async def test_a_supplier_specialist_may_not_register_inquiries(clients: Clients) -> None:
    metadata = clients.auth(user="sp-1", role="specialist", supplier="supplier-a")
    error = await register_error(clients, VALID, metadata)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
