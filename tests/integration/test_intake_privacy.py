"""No CPR number used in the test run is found in plain text in any database, log or topic."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import grpc
from aiokafka import AIOKafkaConsumer

from services.kernel.settings import SERVICE_NAMES
from services.kernel.topics import platform_topics
from services.platform.infra import Platform
from tests.integration.test_intake import case_or_none, child, family_form, next_wednesday
from tests.support import (
    DEADLINE,
    USED_CPRS,
    Clients,
    adult_form,
    eventually,
    fake_cpr,
    read_topics,
)
from vias.documents.v1 import documents_pb2
from vias.intake.v1 import intake_pb2

# Every ten-digit and DDMMYY-SSSS window of a text, overlapping: the same occurrences as
# looking for each number in the text, in time that does not grow with the numbers used.
CPR_WINDOWS = re.compile(r"(?=(\d{10}|\d{6}-\d{4}))")
# Every window lies inside a run of ten or more digits and hyphens: the windows are looked for
# only there (the same windows, found four times faster in the tens of megabytes scanned).
DIGIT_RUNS = re.compile(r"[\d-]{10,}")


def leaks(text: str) -> set[str]:
    """The used CPR numbers that occur in `text`."""
    windows = {
        match.replace("-", "")
        for run in DIGIT_RUNS.findall(text)
        for match in CPR_WINDOWS.findall(run)
    }
    return windows & USED_CPRS


async def exercise_every_path(clients: Clients) -> str:
    """Registration (family, adult), hold, refusal, assignment with letters, reads and searches."""
    wednesday = next_wednesday().isoformat()
    family = await clients.intake.RegisterInquiry(
        family_form(child("Alma", fake_cpr(born=2013)), child("Bent", fake_cpr(born=2017))),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    cpr = fake_cpr()
    course = await clients.register(cpr=cpr)
    await clients.assign(course.inquiry_id, consultant="c-privacy", on=wednesday)
    await clients.assign(family.family_inquiry_ids[0], consultant="c-privacy", on=wednesday)
    held = await clients.register(cpr=cpr)
    assert held.status == "awaiting_course_decision"
    refused = adult_form(cpr=fake_cpr())
    refused.citizens[0].consent.Clear()
    try:
        await clients.intake.RegisterInquiry(refused, metadata=clients.auth(), timeout=DEADLINE)
        raise AssertionError("an inquiry without consent was registered")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(
            inquiry_id=course.inquiry_id, reveal_cpr=True, purpose="privacy test"
        ),
        metadata=clients.auth(user="c-privacy", role="consultant"),
        timeout=DEADLINE,
    )
    await clients.intake.SearchInquiries(
        intake_pb2.ListInquiriesRequest(cpr=cpr), metadata=clients.auth(), timeout=DEADLINE
    )
    for inquiry_id in (course.inquiry_id, family.family_inquiry_ids[0]):

        async def case_opened(i: str = inquiry_id) -> Any:
            return await case_or_none(clients, i)

        await eventually(case_opened)

        async def letters_journaled(i: str = inquiry_id) -> Any:
            reply = await clients.documents.GetJournal(
                documents_pb2.GetJournalRequest(inquiry_id=i),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
            kinds = {e.kind for e in reply.entries}
            return {"receipt_letter", "personal_data_letter", "case_opened"} <= kinds

        await eventually(letters_journaled)
    return str(course.inquiry_id)


async def all_topics(platform: Platform) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=platform.kafka_bootstrap_servers)
    await consumer.start()
    try:
        return sorted(await consumer.topics())
    finally:
        await consumer.stop()


def record_text(record: Any) -> str:
    """Key, value and headers of a Kafka record as text."""
    parts = [record.key or b"", record.value or b""]
    for name, value in record.headers or ():
        parts += [name.encode(), value or b""]
    return "\n".join(part.decode(errors="replace") for part in parts)


async def test_no_cpr_number_is_stored_logged_or_published_in_plain_text(
    clients: Clients, platform: Platform
) -> None:
    inquiry_id = await exercise_every_path(clients)
    assert len(USED_CPRS) >= 4
    covered: set[str] = set()  # proves the scan read the places the inquiry went
    scanned: set[str] = set()  # proves the scan read every place there is

    found: dict[str, set[str]] = {}

    async def scan(name: str, collection: str) -> None:
        async for doc in clients.mongo[name][collection].find({}):
            # Every value as Python writes it: each string and number whole (bytes too, which
            # JSON would turn into base64), five times faster than json_util.dumps.
            text = repr(doc)
            if inquiry_id in text:
                covered.add(f"mongodb {name}")
            if hit := leaks(text):
                found.setdefault(f"mongodb {name}.{collection}", set()).update(hit)

    scans = []
    for name in await clients.mongo.list_database_names():
        db = clients.mongo[name]
        scanned.add(f"mongodb {name}")
        for collection in await db.list_collection_names():
            if collection.endswith(".chunks"):
                # GridFS file contents (uploads, rendered PDFs, compressed): what people put in
                # the case record; the files' metadata (".files") is scanned.
                continue
            scans.append(scan(name, collection))
    # All collections at once: the database sends the next batches while this process reads.
    await asyncio.gather(*scans)
    # Every file the platform wrote: each service's log, the broker's and the database's logs,
    # keys, anything else under its directory.
    for path in sorted(platform.var_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(platform.var_dir).as_posix()
        if path.is_relative_to(platform.digital_post_dir):
            continue  # the hand-off to Digital Post, addressed by CPR: the one place it belongs
        text = path.read_bytes().decode(errors="replace")
        scanned.add(f"file {relative}")
        if inquiry_id in text:
            covered.add(f"file {relative}")
        if hit := leaks(text):
            found.setdefault(f"file {relative}", set()).update(hit)
    # Every topic at once: one consumer, one quiet period (a thousand chaos inquiries' events).
    on_topics = await read_topics(platform, await all_topics(platform), timeout=120)
    for topic, records in on_topics.items():
        scanned.add(f"topic {topic}")
        for record in records:
            text = record_text(record)
            if inquiry_id in text:
                covered.add(f"topic {topic}")
            if hit := leaks(text):
                found.setdefault(f"topic {topic}", set()).update(hit)
    assert found == {}, f"plain CPR numbers found in {sorted(found)}"
    settings = platform.settings
    assert {f"mongodb {settings.database_name(s)}" for s in SERVICE_NAMES} <= scanned
    assert {f"file log/{s}.log" for s in SERVICE_NAMES} <= scanned
    assert {f"topic {t}" for t in platform_topics()} <= scanned
    assert {
        "mongodb vias_intake",
        "mongodb vias_documents",
        "mongodb vias_notifications",
        "topic vias.intake.events.v1",
    } <= covered


def test_the_scan_finds_a_used_number_inside_longer_runs_of_digits_and_hyphens() -> None:
    cpr = fake_cpr().replace("-", "")
    dashed = f"{cpr[:6]}-{cpr[6:]}"
    assert leaks(f"id 12{cpr}34, seq 9") == {cpr}
    assert leaks(f'{{"n": "-7-{dashed}-0123"}}') == {cpr}
    assert leaks(f"{cpr[:9]} {cpr[9:]}, {cpr[:5]}-{cpr[5:]}") == set()
