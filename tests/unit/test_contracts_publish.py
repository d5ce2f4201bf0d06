"""generate and check over a docs directory in a temporary folder, with made-up contracts."""

import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from services.contracts.channel import Channel
from services.contracts.docs.asyncapi import Consumer
from services.contracts.docs.catalog import from_modules
from services.contracts.docs.publish import Sources, check, generate, load_asyncapi_schema
from services.kernel.envelope import EventPayload
from tests.unit.made_up_contracts import shipped

REPO_DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = load_asyncapi_schema(REPO_DOCS)
SERVERS = {"embedded": {"host": "127.0.0.1:9092", "protocol": "kafka"}}


class Returned(EventPayload):
    """An order came back."""

    event_type = "Returned"

    order_id: str

    def subject(self) -> str:
        return self.order_id


def _sources(*events: type[EventPayload]) -> Sources:
    module = ModuleType("tests.made_up_shop")
    module.CHANNELS = (Channel.events_of("shop"),)  # type: ignore[attr-defined]
    for event in events:
        setattr(module, event.__name__, event)
        event.__module__ = module.__name__
    consumer = Consumer("billing", ("vias.shop.events.v1",), frozenset({"Shipped"}))
    return Sources(catalog=from_modules([module]), consumers=(consumer,), servers=SERVERS)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A docs directory with the committed documents of Shipped v1 and Returned v1."""
    docs = tmp_path / "docs"
    (docs / "vendor").mkdir(parents=True)
    shutil.copy(REPO_DOCS / "vendor" / "asyncapi-3.0.0.json", docs / "vendor")
    assert generate(docs, _sources(shipped(), Returned), SCHEMA) == []
    return docs


def _files(docs: Path) -> dict[str, str]:
    generated = [p for p in docs.rglob("*") if p.is_file() and "vendor" not in p.parts]
    return {str(p.relative_to(docs)): p.read_text() for p in generated}


def test_generate_writes_the_document_and_one_schema_per_event_version(docs: Path) -> None:
    assert sorted(p.name for p in (docs / "contracts").iterdir()) == [
        "Returned.v1.json",
        "Shipped.v1.json",
    ]
    assert "vias.shop.events.v1" in (docs / "asyncapi.yaml").read_text()
    assert check(docs, _sources(shipped(), Returned), SCHEMA) == []


def test_generate_is_deterministic(docs: Path) -> None:
    before = _files(docs)
    assert generate(docs, _sources(Returned, shipped()), SCHEMA) == []
    assert _files(docs) == before


def test_check_names_a_stale_document(docs: Path) -> None:
    path = docs / "asyncapi.yaml"
    path.write_text(path.read_text().replace("An order left.", "Shipped."))
    problems = check(docs, _sources(shipped(), Returned), SCHEMA)
    assert len(problems) == 1
    assert problems[0].startswith("docs/asyncapi.yaml is stale, the models differ: run ")
    assert "-      summary: Shipped." in problems[0]


def test_check_names_a_missing_schema_and_an_event_missing_from_the_document(docs: Path) -> None:
    generate(docs, _sources(shipped()), SCHEMA)
    (docs / "contracts" / "Returned.v1.json").unlink()
    problems = check(docs, _sources(shipped(), Returned), SCHEMA)
    assert problems[0].startswith("docs/asyncapi.yaml is stale")
    assert problems[1:] == [
        "docs/contracts/Returned.v1.json is missing: run scripts/contracts.py generate",
        "docs/asyncapi.yaml: event Returned is not in it",
    ]


def test_check_names_where_the_document_is_not_valid_asyncapi(docs: Path) -> None:
    path = docs / "asyncapi.yaml"
    path.write_text(path.read_text().replace("action: send", "action: publish"))
    problems = check(docs, _sources(shipped(), Returned), SCHEMA)
    assert any(
        "not valid AsyncAPI 3.0.0 at operations/shop.send.vias.shop.events.v1/action" in p
        for p in problems
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"carrier": None}, "carrier: removed (or renamed)"),
        ({"carrier": None, "carrier_name": (str | None, None)}, "carrier: removed (or renamed)"),
        ({"shipped_on": (str, ...)}, "shipped_on: type changed"),
        ({"carrier": (str | None, ...)}, "carrier: optional field made required"),
    ],
    ids=["removed", "renamed", "type changed", "optional made required"],
)
def test_a_breaking_change_fails_check_and_generate_writes_nothing(
    docs: Path, changes: dict[str, Any], reason: str
) -> None:
    changed = shipped(**changes)
    committed = _files(docs)
    expected = f"docs/contracts/Shipped.v1.json: Shipped version 1 {reason}"

    checked = check(docs, _sources(changed, Returned), SCHEMA)
    generated = generate(docs, _sources(changed, Returned), SCHEMA)

    assert any(p.startswith(expected) for p in checked), checked
    assert any(p.startswith(expected) for p in generated), generated
    assert all("needs a new schema_version" in p for p in generated)
    assert _files(docs) == committed


def test_an_additive_change_passes_and_generate_refreshes_the_committed_schema(
    docs: Path,
) -> None:
    grown = _sources(shipped(tracking_url=(str | None, None)), Returned)
    assert check(docs, grown, SCHEMA)  # stale until generated
    assert generate(docs, grown, SCHEMA) == []
    assert "tracking_url" in (docs / "contracts" / "Shipped.v1.json").read_text()
    assert check(docs, grown, SCHEMA) == []


def _version_2() -> Sources:
    changes: dict[str, Any] = {"shipped_on": None, "shipped_at": (str, ...), "carrier": (str, ...)}
    return _sources(shipped(schema_version=2, **changes), Returned)


def test_a_breaking_change_with_a_raised_schema_version_passes_and_keeps_version_1(
    docs: Path,
) -> None:
    version_1 = (docs / "contracts" / "Shipped.v1.json").read_text()

    assert generate(docs, _version_2(), SCHEMA) == []

    assert (docs / "contracts" / "Shipped.v1.json").read_text() == version_1
    assert "shipped_at" in (docs / "contracts" / "Shipped.v2.json").read_text()
    assert "x-schema-version: 2" in (docs / "asyncapi.yaml").read_text()
    assert check(docs, _version_2(), SCHEMA) == []


def test_a_schema_version_never_goes_back(docs: Path) -> None:
    assert generate(docs, _version_2(), SCHEMA) == []
    problems = check(docs, _sources(shipped(), Returned), SCHEMA)
    assert problems[0] == (
        "Shipped is schema_version 1, but docs/contracts holds version 2: a version never goes back"
    )
    assert generate(docs, _sources(shipped(), Returned), SCHEMA)[0] == problems[0]
