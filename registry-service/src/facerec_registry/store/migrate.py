"""Bring the database schema to the latest revision (blocking; run before serving)."""

from __future__ import annotations

import asyncio
import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


def upgrade_to_head(database_url: str) -> None:
    config = Config(str(resources.files("facerec_registry") / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


async def migrate_when_reachable(database_url: str, max_delay_s: float, first_delay_s: float = 0.5) -> None:
    """`upgrade_to_head` once the database answers: while it cannot be reached (not started yet,
    restarting, its name not yet in DNS), wait with exponential backoff and try again.
    Anything else (bad credentials are reachable, a failed migration) is not retried."""
    delay = first_delay_s
    while True:
        try:
            await asyncio.to_thread(upgrade_to_head, database_url)
            return
        except OperationalError as exc:
            if _refused_for_good(exc):
                raise
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            log.warning("database unreachable (%s); retrying in %.1f s", reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay_s)


def _refused_for_good(exc: OperationalError) -> bool:
    """The server answered and said no: waiting will not change a wrong password or database name."""
    text = str(exc.orig)
    return "password authentication failed" in text or ("database" in text and "does not exist" in text)
