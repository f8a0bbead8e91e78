"""One log format for every process of the product."""

from __future__ import annotations

import logging


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
        force=True,
    )
