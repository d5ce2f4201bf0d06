"""Which failures are worth waiting out, and the retry policies that wait them out (tenacity)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    stop_never,
    wait_exponential_jitter,
)

from services.kernel.errors import ConcurrencyConflict
from services.kernel.transaction import WriteRace

log = logging.getLogger(__name__)

T = TypeVar("T")

DUPLICATE_KEY = 11000
# Server error codes that say "try again": a write conflict with another transaction, a
# transaction the server no longer knows (it was aborted under us), lock and time limits,
# and a primary stepping down or shutting down.
TRANSIENT_CODES = frozenset({6, 7, 24, 50, 89, 91, 112, 189, 251, 262, 10107, 11600, 11602, 13435})
COMMIT_RETRY_LIMIT_S = 120.0
"""How long an unknown commit result is retried, as the driver's own `with_transaction` does."""


def is_duplicate_key(error: BaseException) -> bool:
    """Whether a write failed only because a document with that unique key exists."""
    return isinstance(error, OperationFailure) and error.code == DUPLICATE_KEY


def is_transient(error: BaseException) -> bool:
    """Whether the failure says nothing about the work itself: the same work may succeed later.

    Write conflicts and transient transaction errors (another transaction, or one a killed
    process left open, holds the keys), a concurrent change of the aggregate, and the
    database being unreachable or timing out.
    """
    if isinstance(error, WriteRace | ConcurrencyConflict | TimeoutError | ConnectionFailure):
        return True
    if isinstance(error, PyMongoError):
        if error.has_error_label("TransientTransactionError"):
            return True
        if error.has_error_label("RetryableWriteError") or is_unknown_commit_result(error):
            return True
        if isinstance(error, OperationFailure) and error.code in TRANSIENT_CODES:
            return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient(cause)


def is_unknown_commit_result(error: BaseException) -> bool:
    """Whether a commit may or may not have happened (the driver labels it so)."""
    return isinstance(error, PyMongoError) and error.has_error_label(
        "UnknownTransactionCommitResult"
    )


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        level = (
            logging.WARNING
            if state.attempt_number in (1, 10) or (state.attempt_number % 50 == 0)
            else logging.DEBUG
        )
        log.log(level, "%s: attempt %d failed, retrying: %r", what, state.attempt_number, error)

    return before_sleep


def waiting_out(
    what: str,
    *,
    retry_on: Callable[[BaseException], bool] = is_transient,
    initial_s: float = 0.05,
    max_s: float = 5.0,
    limit_s: float | None = None,
) -> AsyncRetrying:
    """A retry policy: exponential backoff with jitter while `retry_on(error)` holds, without
    end or until `limit_s`; any other error, or the last one, is raised as it is."""
    return AsyncRetrying(
        retry=retry_if_exception(retry_on),
        wait=wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=initial_s),
        stop=stop_never if limit_s is None else stop_after_delay(limit_s),
        before_sleep=_log_retry(what),
        reraise=True,
    )


async def wait_out(
    what: str,
    work: Callable[[], Awaitable[T]],
    *,
    retry_on: Callable[[BaseException], bool] = is_transient,
    initial_s: float = 0.05,
    max_s: float = 5.0,
    limit_s: float | None = None,
) -> T:
    """`work()`, retried under `waiting_out`."""
    policy = waiting_out(what, retry_on=retry_on, initial_s=initial_s, max_s=max_s, limit_s=limit_s)
    async for attempt in policy:
        with attempt:
            return await work()
    raise AssertionError("unreachable: the policy re-raises the last error")


async def commit_with_retry(
    commit: Callable[[], Awaitable[None]], *, limit_s: float = COMMIT_RETRY_LIMIT_S
) -> None:
    """Commit; a result the server left unknown is retried (committing twice is safe) with
    backoff for at most `limit_s`, as the driver's `with_transaction` does; then it is raised."""
    await wait_out(
        "transaction commit with unknown result",
        commit,
        retry_on=is_unknown_commit_result,
        initial_s=0.01,
        max_s=1.0,
        limit_s=limit_s,
    )
