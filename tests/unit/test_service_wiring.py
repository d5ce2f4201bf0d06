"""Each service's declared handled event types are exactly the handlers its consumer gets."""

from types import ModuleType, SimpleNamespace
from typing import cast

import pytest

from services.documents import main as documents
from services.intake import main as intake
from services.kernel.runtime import Deps
from services.kernel.settings import Settings
from services.leverance import main as leverance
from services.notifications import main as notifications
from services.visitation import main as visitation


@pytest.mark.parametrize(
    "service",
    [intake, visitation, leverance, documents, notifications],
    ids=lambda module: module.__name__.split(".")[1],
)
def test_handled_events_are_the_keys_of_the_handlers_the_consumer_gets(
    service: ModuleType,
) -> None:
    deps = cast(Deps, SimpleNamespace(settings=Settings(), store=object()))
    assert set(service.SPEC.handlers(deps)) == service.HANDLED_EVENTS
