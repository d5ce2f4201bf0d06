"""`python -m services.platform`: run the broker, the database, the services and the local
OpenID Connect issuer locally."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from services.platform.infra import (
    DEFAULT_KAFKA_PORT,
    DEFAULT_MONGO_PORT,
    DEFAULT_SMTP_PORT,
    Platform,
    PortInUseError,
    StartupError,
)

ROOT = Path(__file__).resolve().parents[2]
TOKEN_COMMAND = "vias login --user me --role consultant"


class _Stop(BaseException):
    """Raised by the SIGINT/SIGTERM handler to unwind into the shutdown path."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    """Signal handler: stop the platform."""
    raise _Stop(signum)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m services.platform",
        description="Run the VIAS platform locally: embedded Kafka (Tansu) and MongoDB "
        "(SecantusDB) unless VIAS_KAFKA_BOOTSTRAP_SERVERS and VIAS_MONGO_URI are both set, "
        "plus the services (identity serving the local OpenID Connect issuer). Ctrl-C stops "
        "everything.",
    )
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var", help="default: ./var")
    parser.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    parser.add_argument("--mongo-port", type=int, default=DEFAULT_MONGO_PORT)
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT)
    return parser.parse_args(argv)


def build_platform(args: argparse.Namespace, environ: Mapping[str, str]) -> Platform:
    """The platform: external infrastructure only when both of its addresses are set."""
    kafka = environ.get("VIAS_KAFKA_BOOTSTRAP_SERVERS")
    mongo = environ.get("VIAS_MONGO_URI")
    external = bool(kafka and mongo)
    return Platform(
        ROOT,
        args.var_dir,
        base_env=environ,
        kafka_bootstrap_servers=kafka if external else None,
        mongo_uri=mongo if external else None,
        kafka_port=args.kafka_port,
        mongo_port=args.mongo_port,
        smtp_port=args.smtp_port,
        # SecantusDB loses writes confirmed shortly before a SIGKILL unless it syncs each commit.
        mongo_sync_on_commit=True,
    )


def _hide_password(uri: str) -> str:
    """The URI with any password masked."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", uri)


def port_hint(error: PortInUseError) -> str:
    """What to do about ports in use."""
    whats = {what for what, _, _ in error.busy}
    hints = []
    if "kafka" in whats:
        hints.append("pass --kafka-port to use another port for Kafka")
    if "mongodb" in whats:
        hints.append("pass --mongo-port to use another port for MongoDB")
    if whats - {"kafka", "mongodb"}:
        hints.append("is the platform already running? (pgrep -af 'services\\.')")
    return "\n".join(hints)


def summary(platform: Platform, elapsed: float) -> str:
    """The table printed once everything is SERVING."""
    rows = [("service", "gRPC", "metrics")]
    rows += [(n, s.grpc_address, s.metrics_url) for n, s in platform.services.items()]
    width = max(len(r[0]) for r in rows) + 3
    grpc_width = max(len(r[1]) for r in rows) + 3
    lines = [f"VIAS platform ready in {elapsed:.1f} s", ""]
    lines += [f"  {a:<{width}}{b:<{grpc_width}}{c}" for a, b, c in rows]
    kafka = platform.kafka_bootstrap_servers
    kafka += "  (embedded Tansu, memory only)" if platform.embedded_kafka else "  (external)"
    mongo = _hide_password(platform.mongo_uri)
    if platform.embedded_mongo:
        mongo += f"  (embedded SecantusDB, data in {platform.mongo.storage_path})"
    else:
        mongo += "  (external)"
    token = f"{TOKEN_COMMAND}  (issuer {platform.issuer_url})"
    survey_page = (
        platform.web_url("notifications") if "notifications" in platform.services else None
    )
    lines += [""]
    if survey_page is not None:
        lines += [
            f"  {'survey page':<{width}}{survey_page}/survey/<token>  (each survey's link: "
            "answer_url in `vias notifications surveys`)"
        ]
    lines += [
        f"  {'kafka':<{width}}{kafka}",
        f"  {'mongodb':<{width}}{mongo}",
        f"  {'smtp':<{width}}{platform.smtp.host}:{platform.smtp.port}  (embedded, every "
        f"message kept as a Maildir in {platform.smtp.maildir})",
        f"  {'digital post':<{width}}{platform.digital_post_dir}  (drop folder)",
        f"  {'logs':<{width}}{platform.log_dir}",
        f"  {'login':<{width}}{token}",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def watch(platform: Platform, interval: float = 1.0) -> None:
    """Block forever, reporting any process of the platform that exits."""
    reported: set[str] = set()
    while True:
        time.sleep(interval)
        for name, process in platform.processes().items():
            if name not in reported and not process.is_running():
                reported.add(name)
                print(
                    f"warning: {name} exited with code {process.returncode}, "
                    f"see {process.log_path}",
                    file=sys.stderr,
                    flush=True,
                )


def main(argv: Sequence[str] | None = None) -> int:
    """Start everything, wait for Ctrl-C or SIGTERM, stop everything; the exit code."""
    args = parse_args(argv)
    platform = build_platform(args, os.environ)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    code = 0
    try:
        began = time.monotonic()
        print("starting the VIAS platform ...", file=sys.stderr, flush=True)
        platform.start()
        print(summary(platform, time.monotonic() - began), flush=True)
        watch(platform)
    except _Stop:
        print("stopping ...", file=sys.stderr, flush=True)
    except PortInUseError as exc:
        busy = "".join(f"\n  {f'{host}:{port}':<22}{what}" for what, host, port in exc.busy)
        print(f"error: ports already in use:{busy}\n{port_hint(exc)}", file=sys.stderr)
        code = 1
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    finally:
        try:
            platform.stop()
        except _Stop:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            platform.kill()
            code = 1
    return code
