"""Which failures are waited out, and how long an unknown commit result is retried."""

from __future__ import annotations

import time

import pytest
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WriteError,
)

from services.kernel.errors import ConcurrencyConflict, InvalidInput
from services.kernel.retry import (
    commit_with_retry,
    is_duplicate_key,
    is_transient,
    is_unknown_commit_result,
)
from services.kernel.store import AlreadyProcessed
from services.kernel.transaction import WriteRace


def unknown_commit() -> PyMongoError:
    return PyMongoError(
        "connection lost during commit", error_labels=["UnknownTransactionCommitResult"]
    )


def test_a_duplicate_key_is_recognised_by_its_code_not_its_message() -> None:
    assert is_duplicate_key(DuplicateKeyError("E11000 whatever", code=11000))
    assert is_duplicate_key(WriteError("a message in another language", code=11000))
    assert not is_duplicate_key(OperationFailure("duplicate key mentioned", code=2))
    assert not is_duplicate_key(ValueError("duplicate key"))


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure("WriteConflict", code=112),
        PyMongoError("aborted", error_labels=["TransientTransactionError"]),
        unknown_commit(),
        AutoReconnect("connection reset"),
        ServerSelectionTimeoutError("no server"),
        TimeoutError(),
        WriteRace(),
        ConcurrencyConflict("cases", "c-1", 3),
        OperationFailure("NoSuchTransaction", code=251),
    ],
)
def test_conflicts_and_outages_are_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure("Document failed validation", code=121),
        DuplicateKeyError("E11000", code=11000),
        ValueError("a handler bug"),
        InvalidInput.single("main_area", "not a known area"),
        AlreadyProcessed("e-1"),
    ],
)
def test_bugs_and_bad_data_are_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def test_an_error_caused_by_a_transient_one_is_transient() -> None:
    try:
        try:
            raise OperationFailure("WriteConflict", code=112)
        except OperationFailure as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


async def test_an_unknown_commit_result_is_retried_until_the_commit_succeeds() -> None:
    calls = 0

    async def commit() -> None:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise unknown_commit()

    await commit_with_retry(commit, limit_s=5)
    assert calls == 4


async def test_an_unknown_commit_result_is_retried_with_pauses_for_a_bounded_time_then_raised() -> (
    None
):
    calls = 0

    async def commit() -> None:
        nonlocal calls
        calls += 1
        raise unknown_commit()

    started = time.monotonic()
    with pytest.raises(PyMongoError) as raised:
        await commit_with_retry(commit, limit_s=0.5)
    elapsed = time.monotonic() - started
    assert is_unknown_commit_result(raised.value)
    assert 0.5 <= elapsed < 3.0
    # With backoff from 10 ms it is a handful of tries, not a busy loop of thousands.
    assert 2 <= calls <= 20


async def test_any_other_commit_error_is_raised_at_once() -> None:
    calls = 0

    async def commit() -> None:
        nonlocal calls
        calls += 1
        raise OperationFailure("Document failed validation", code=121)

    with pytest.raises(OperationFailure):
        await commit_with_retry(commit, limit_s=5)
    assert calls == 1
