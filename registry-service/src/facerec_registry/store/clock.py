"""The database's clock: leases, retries and retention compare times the database wrote, so every
replica reads one clock, whatever its own host's says."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def database_now(session: AsyncSession) -> datetime:
    """now() of the session's transaction (its start: the same all through it)."""
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    return now
