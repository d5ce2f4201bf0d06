from datetime import UTC, date, datetime
from decimal import Decimal

from bson import BSON

from services.kernel.store import Aggregate, Repository, from_bson, to_bson


class Budget(Aggregate):
    due: date
    at: datetime
    amounts: list[Decimal]
    by_day: dict[str, date]


def test_dates_and_decimals_survive_a_round_trip_through_bson() -> None:
    budget = Budget(
        id="b1",
        version=3,
        due=date(2026, 4, 13),
        at=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
        amounts=[Decimal("1234.56"), Decimal("0.01")],
        by_day={"first": date(2026, 5, 20)},
    )
    repository = Repository(Budget, "budgets")
    encoded = BSON.encode(repository.to_doc(budget)).decode()
    assert encoded["due"] == "2026-04-13" and encoded["_id"] == "b1"
    restored = repository.from_doc(encoded)
    assert restored.model_copy(update={"at": restored.at.replace(tzinfo=UTC)}) == budget


def test_decimals_keep_every_ore() -> None:
    assert from_bson(to_bson({"x": [Decimal("0.10"), Decimal("99999999.99")]})) == {
        "x": [Decimal("0.10"), Decimal("99999999.99")]
    }
