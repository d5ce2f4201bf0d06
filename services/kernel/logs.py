"""Structured JSON log lines carrying the service, correlation id and caller."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from services.kernel.context import current_principal, current_trace
from services.kernel.errors import clip, mask

MAX_MESSAGE_CHARS = 4_000
MAX_TRACEBACK_CHARS = 20_000

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, of bounded length: the message and traceback are cut to their
    limits and the caller's user id is masked like an echoed value."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        trace = current_trace.get()
        principal = current_principal.get()
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": clip(record.getMessage(), MAX_MESSAGE_CHARS),
            "correlation_id": trace.correlation_id,
        }
        if principal is not None:
            line["user"] = mask(principal.user_id, 100)
            line["role"] = principal.role
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = clip(self.formatException(record.exc_info), MAX_TRACEBACK_CHARS)
        return json.dumps(line, default=str)


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "json") -> None:
    """Send every log line to stderr, as JSON unless text is asked for."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "pymongo", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
