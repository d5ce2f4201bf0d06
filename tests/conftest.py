"""The test suite starts its own broker, database and services; nothing is mocked."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# Tests restart the broker and services from this process while it holds gRPC channels; with
# gRPC's fork handlers on, a child forked then can crash (SIGABRT in ev_epoll1_linux.cc).
# Set before grpc is first imported.
os.environ["GRPC_ENABLE_FORK_SUPPORT"] = "0"

import pytest

from services.platform.infra import Platform
from tests.support import Clients

ROOT = Path(__file__).resolve().parent.parent

# Short timings so retries, health probes and broker-loss detection happen within a test.
TEST_ENV = {
    "VIAS_LOG_LEVEL": "INFO",
    "VIAS_HEALTH_CHECK_INTERVAL_S": "0.5",
    "VIAS_BROKER_CHECK_INTERVAL_S": "0.5",
    "VIAS_RELAY_POLL_INTERVAL_S": "0.2",
    "VIAS_RELAY_RETRY_BACKOFF_S": "0.1",
    "VIAS_RELAY_RETRY_BACKOFF_MAX_S": "1.0",
    "VIAS_CONSUMER_MAX_ATTEMPTS": "3",
    "VIAS_CONSUMER_RETRY_BACKOFF_S": "0.05",
    "VIAS_CONSUMER_RETRY_BACKOFF_MAX_S": "0.2",
    "VIAS_KAFKA_FETCH_MAX_WAIT_MS": "20",
    # Idle consumers rest between fetches, briefly: the first event after a quiet spell in a
    # test waits at most this long.
    "VIAS_CONSUMER_IDLE_POLL_INTERVAL_S": "0.2",
    # Reconciliation every 2 s for events published more than 8 s ago, so a loss heals within
    # a test.
    "VIAS_RECONCILE_INTERVAL_S": "2",
    "VIAS_RECONCILE_GRACE_S": "8",
    # Lets a manager's CheckDeadlines look ahead, so offers can expire within a test.
    "VIAS_DEADLINE_CHECK_MAX_DAYS_AHEAD": "60",
    # The theme courses with their suppliers, as the F2 overview would list them (H 4.4.3).
    "VIAS_INTAKE_THEMES_FILE": str(ROOT / "tests" / "integration" / "themes.json"),
    # Finals reach the archive folder within a test; content of a course ended 30 days before
    # an ApplyRetention's as_of is past retention (as_of may be up to 60 days ahead).
    "VIAS_DOCUMENTS_ARCHIVE_INTERVAL_S": "0.5",
    "VIAS_DOCUMENTS_RETENTION_DAYS": '{"note": 30, "default": 30}',
    "VIAS_DOCUMENTS_MAX_UPLOAD_BYTES": str(8 * 1024 * 1024),
}


FAILED: list[str] = []
# The chaos test leaves a thousand inquiries' events behind, which every later broker restart
# would republish and replay: it runs after the others. The leak test runs last of all, so it
# looks for every CPR number the whole run used.
RUN_LAST = ("tests/integration/test_chaos.py", "tests/integration/test_intake_privacy.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the tests that must come last."""

    def position(item: pytest.Item) -> int:
        for index, prefix in enumerate(RUN_LAST, start=1):
            if item.nodeid.startswith(prefix):
                return index
        return 0

    items.sort(key=position)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if getattr(report, "failed", False):
        FAILED.append(item.nodeid)
    return report


def _print_logs(platform: Platform, lines: int = 60) -> None:
    for path in sorted(platform.log_dir.glob("*.log")):
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        # Straight to the real stdout: a session teardown's output is otherwise swallowed.
        print(
            f"\n===== last {lines} lines of {path.name} =====", *tail, sep="\n", file=sys.__stdout__
        )


def started_platform(var_dir: Path, env: dict[str, str]) -> Platform:
    """Broker, database and every service started for tests, configured by `env` alone."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("VIAS_")}
    running = Platform(
        ROOT, var_dir, env=env, base_env=base_env, mongo_storage=":memory:", ephemeral_ports=True
    )
    running.start(timeout=120)
    return running


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """All five services as real processes on a real broker and a real database."""
    running = started_platform(tmp_path_factory.mktemp("var"), TEST_ENV)
    try:
        yield running
    finally:
        running.stop()
        if FAILED:
            _print_logs(running)


@pytest.fixture(scope="session")
async def clients(platform: Platform) -> AsyncIterator[Clients]:
    """gRPC stubs of every service, a token issuer and direct database access for assertions."""
    connected = Clients(platform)
    try:
        yield connected
    finally:
        await connected.close()
