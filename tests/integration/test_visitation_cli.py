"""The `vias visitation` commands against the running platform."""

from __future__ import annotations

import asyncio
import json
import subprocess

from tests.integration.visitation_helpers import assigned_case, new_world
from tests.support import Clients, vias_command


def _vias(clients: Clients, *args: str) -> subprocess.CompletedProcess[str]:
    return vias_command(clients.platform, *args)


async def test_a_consultant_works_a_case_from_the_command_line(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant)
    me = ("--as-user", consultant, "--as-role", "consultant")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _vias(clients, *me, "visitation", *args)

    listed = await asyncio.to_thread(run, "services")
    assert listed.returncode == 0, listed.stderr
    assert "single_case" in {s["service_id"] for s in json.loads(listed.stdout)["services"]}

    contacted = await asyncio.to_thread(run, "first-contact", case.case_id, "--on", "2026-05-11")
    assert contacted.returncode == 0, contacted.stderr
    assert json.loads(contacted.stdout)["status"] == "in_visitation"

    reached = await asyncio.to_thread(
        run, "supplier-contact", case.case_id, "--supplier", "s-9", "--on", "2026-05-11"
    )
    assert reached.returncode == 0, reached.stderr
    assert [c["supplier_id"] for c in json.loads(reached.stdout)["supplier_contacts"]] == ["s-9"]

    refused = await asyncio.to_thread(
        run,
        "proceed",
        case.case_id,
        "--service",
        "single_case",
        "--role",
        "citizen",
        "--subject",
        "individual",
        "--reasoning",
        "r",
    )
    assert refused.returncode == 1 and refused.stderr.startswith("FAILED_PRECONDITION")

    chosen = await asyncio.to_thread(
        run,
        "proceed",
        case.case_id,
        "--service",
        "single_case",
        "--role",
        "authority_caseworker",
        "--subject",
        "individual",
        "--fact",
        "management_approved=true",
        "--age",
        "9",
        "--reasoning",
        "Specialised advice is needed.",
    )
    assert chosen.returncode == 0, chosen.stderr
    body = json.loads(chosen.stdout)
    assert (body["status"], body["service_id"], body["citizen_age_years"]) == (
        "proceeding",
        "single_case",
        9,
    )
