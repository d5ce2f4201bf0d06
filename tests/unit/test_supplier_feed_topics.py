"""Supplier ids in topic names: valid for Kafka, one topic per supplier, and no supplier's
prefix (what its Kafka user may read) reaching another supplier's topic."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.contracts.supplier_feed import (
    MAX_TOPIC_LENGTH,
    feed_prefix,
    feed_topic,
    topic_id,
)

KAFKA_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")
ids = st.text(min_size=1, max_size=120)


def test_a_plain_supplier_id_stands_as_it_is() -> None:
    assert feed_topic("supplier-7") == "vias.supplier.supplier-7.v1"
    assert feed_prefix("Nord-3f2a") == "vias.supplier.Nord-3f2a."


@pytest.mark.parametrize(
    ("supplier_id", "escaped"),
    [
        ("a.b", "a_2eb"),
        ("a_b", "a_5fb"),
        ("Center Nord", "Center_20Nord"),
        ("Århus/1", "_c3_85rhus_2f1"),
    ],
)
def test_dots_underscores_and_anything_else_are_escaped(supplier_id: str, escaped: str) -> None:
    assert topic_id(supplier_id) == escaped


def test_an_empty_id_has_no_topic() -> None:
    with pytest.raises(ValueError):
        feed_topic("")


def test_a_very_long_id_is_cut_and_hashed_within_kafkas_limit() -> None:
    long_a, long_b = "x" * 240 + "a", "x" * 240 + "b"
    assert len(feed_topic(long_a)) <= MAX_TOPIC_LENGTH
    assert feed_topic(long_a) != feed_topic(long_b)
    assert "__" in topic_id(long_a)


@given(ids)
def test_every_supplier_id_makes_a_valid_kafka_topic(supplier_id: str) -> None:
    assert KAFKA_TOPIC.fullmatch(feed_topic(supplier_id))
    assert "." not in topic_id(supplier_id)


@given(ids, ids)
def test_one_supplier_never_reads_anothers_topic(a: str, b: str) -> None:
    if a == b:
        return
    assert feed_topic(a) != feed_topic(b)
    assert not feed_topic(b).startswith(feed_prefix(a))


@pytest.mark.parametrize(("a", "b"), [("a", "a.b"), ("a", "a_2eb"), ("x" * 300, "x" * 301)])
def test_neighbouring_ids_stay_apart(a: str, b: str) -> None:
    assert not feed_topic(b).startswith(feed_prefix(a))
    assert not feed_topic(a).startswith(feed_prefix(b))
