"""One log format for every process of the product: JSON lines (FACEREC_LOG_FORMAT=json, the
default) or text (`text`), each record with the request id and trace id it belongs to."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from facerec_common.telemetry import RequestIdFilter


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if getattr(record, "trace_id", ""):
            entry["trace_id"] = record.trace_id  # type: ignore[attr-defined]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", log_format: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if (log_format or os.environ.get("FACEREC_LOG_FORMAT", "json")).lower() == "text":
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {service} %(name)s [%(request_id)s]: %(message)s")
        )
    else:
        handler.setFormatter(JsonFormatter(service))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
