"""Structured JSON log lines carrying the service, correlation id and caller."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from services.kernel.context import current_principal, current_trace

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

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
            "msg": record.getMessage(),
            "correlation_id": trace.correlation_id,
        }
        if principal is not None:
            line["user"] = principal.user_id
            line["role"] = principal.role
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
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
