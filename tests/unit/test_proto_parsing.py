import pytest

from services.intake.commands import RegisterInquiry, UpdateInquiryDescription
from services.kernel.errors import InvalidInput
from services.kernel.proto import parse_request
from vias.intake.v1 import intake_pb2


def test_an_empty_request_names_every_required_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_request(RegisterInquiry, intake_pb2.RegisterInquiryRequest())
    fields = {v.field for v in caught.value.violations}
    assert fields == {
        "inquirer_name",
        "main_area",
        "description",
        "inquirer",
        "requested_service",
    }


def test_oversized_and_malformed_fields_are_named() -> None:
    request = intake_pb2.RegisterInquiryRequest(
        inquirer_name="x" * 201, main_area="mars", citizen_name="Ann", description="help"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_request(RegisterInquiry, request)
    fields = {v.field for v in caught.value.violations}
    # citizen_name is no longer used: citizens go in `citizens`, so a value is refused.
    assert fields == {"inquirer_name", "main_area", "citizen_name", "inquirer", "requested_service"}


def test_a_valid_request_becomes_a_command() -> None:
    request = intake_pb2.UpdateInquiryDescriptionRequest(
        inquiry_id="i", expected_version=3, description="  new  "
    )
    command = parse_request(UpdateInquiryDescription, request)
    assert command == UpdateInquiryDescription(
        inquiry_id="i", expected_version=3, description="new"
    )


def test_a_list_of_twenty_thousand_items_is_refused_without_reading_every_item() -> None:
    citizen = intake_pb2.Citizen(name="A", cpr="0101901234")
    request = intake_pb2.RegisterInquiryRequest(
        inquirer_name="x" * 201, citizens=[citizen] * 20_000, target_groups=["g"] * 61
    )
    with pytest.raises(InvalidInput) as caught:
        parse_request(RegisterInquiry, request)
    named = {v.field: v.description for v in caught.value.violations}
    assert named["citizens"] == "at most 12 items, not 20000"
    assert named["target_groups"] == "at most 60 items, not 61"
    assert "inquirer_name" in named  # the other fields are still named
    assert len(request.citizens) == 20_000  # the caller's message is left as it was
