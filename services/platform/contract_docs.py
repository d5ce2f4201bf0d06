"""`scripts/contracts.py`: the machine-readable contracts in docs/, made from the code.

`generate` writes docs/asyncapi.yaml and docs/contracts/<Event>.v<N>.json from the contracts
package and the five services' consumers; `check` (run by scripts/check) fails when they are
stale, not valid AsyncAPI 3.0.0, miss an event, or when a model breaks its committed version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.contracts.docs import catalog
from services.contracts.docs.asyncapi import Consumer
from services.contracts.docs.catalog import ContractError
from services.contracts.docs.publish import Sources, check, generate, load_asyncapi_schema
from services.documents import main as documents
from services.intake import main as intake
from services.leverance import main as leverance
from services.notifications import main as notifications
from services.platform.infra import DEFAULT_KAFKA_PORT
from services.statistics import main as statistics
from services.visitation import main as visitation

ROOT = Path(__file__).resolve().parents[2]


def consumers() -> tuple[Consumer, ...]:
    """Each service's consumer: the topics it subscribes to, the event types it handles."""
    return tuple(
        Consumer(
            service=module.SPEC.name,
            topics=tuple(module.SPEC.subscribes_to),
            events=module.HANDLED_EVENTS,
        )
        for module in (intake, visitation, leverance, documents, notifications, statistics)
    )


def servers() -> dict[str, dict[str, Any]]:
    """The brokers the document names: the local one and a production placeholder."""
    return {
        "embedded": {
            "host": f"127.0.0.1:{DEFAULT_KAFKA_PORT}",
            "protocol": "kafka",
            "description": "Tansu, in memory, as ./scripts/run starts it.",
        },
        "production": {
            "host": "{broker}",
            "protocol": "kafka-secure",
            "description": "A production cluster: VIAS_KAFKA_BOOTSTRAP_SERVERS lists its "
            "brokers, deploy/kubernetes/base/config.yaml the security settings.",
            "variables": {
                "broker": {
                    "description": "host:port of a broker in VIAS_KAFKA_BOOTSTRAP_SERVERS.",
                    "examples": ["kafka-0.kafka.example.internal:9093"],
                }
            },
            "security": [
                {
                    "type": "scramSha512",
                    "description": "SASL_SSL with SCRAM-SHA-512 (VIAS_KAFKA_SECURITY_PROTOCOL, "
                    "VIAS_KAFKA_SASL_MECHANISM, VIAS_KAFKA_SASL_USERNAME, "
                    "VIAS_KAFKA_SASL_PASSWORD, VIAS_KAFKA_SSL_CAFILE).",
                }
            ],
        },
    }


def sources() -> Sources:
    """Everything the documents are made from, as the code is now."""
    return Sources(catalog=catalog.load(), consumers=consumers(), servers=servers())


def main(argv: Sequence[str] | None = None) -> int:
    """Run `generate` or `check`; non-zero exit status with the problems on stderr."""
    parser = argparse.ArgumentParser(
        prog="scripts/contracts.py",
        description="Generate docs/asyncapi.yaml and docs/contracts/ from services/contracts, "
        "or check the committed ones (current, valid AsyncAPI 3.0.0, every event in, no "
        "breaking change within a schema_version).",
    )
    parser.add_argument("command", choices=("generate", "check"))
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="default: ./docs")
    args = parser.parse_args(argv)
    schema = load_asyncapi_schema(args.docs)
    try:
        made_from = sources()
    except ContractError as error:
        print(f"contracts: {error}", file=sys.stderr)
        return 1
    if args.command == "generate":
        problems = generate(args.docs, made_from, schema)
        verdict = "nothing written"
    else:
        problems = check(args.docs, made_from, schema)
        verdict = "the contracts in docs/ do not match the code"
    for problem in problems:
        print(f"contracts: {problem}", file=sys.stderr)
    if problems:
        print(f"contracts: {len(problems)} problem(s); {verdict}", file=sys.stderr)
        return 1
    return 0
