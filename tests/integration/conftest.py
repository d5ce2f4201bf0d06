"""Fixtures the integration test modules share (each module gets its own instance)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.caseflow_helpers import Suppliers, contracted_suppliers
from tests.support import Clients


@pytest.fixture(scope="module")
async def suppliers(clients: Clients) -> AsyncIterator[Suppliers]:
    """The suppliers the case-flow helpers hand courses to (see contracted_suppliers)."""
    yield await contracted_suppliers(clients)
