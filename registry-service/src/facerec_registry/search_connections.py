"""The database connections of searches through a current index: psycopg's own, in autocommit.

Such a search needs one statement (repository.match_current), prepared once per connection.
Through SQLAlchemy's pool, its checkout, reset and greenlet hand-offs cost more than that
statement: 0.44-0.56 ms against 0.20-0.25 ms a statement on a kept psycopg connection (2 cores).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import psycopg

Connection = psycopg.AsyncConnection[Any]


class SearchConnections:
    """Up to `size` connections, opened when first needed and kept while they work."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._conninfo = conninfo
        self._size = size
        self._slots = asyncio.Semaphore(size)
        self._idle: list[Connection] = []
        self._in_use = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def in_use(self) -> int:
        return self._in_use

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection for one statement. One that fails or is cancelled is closed, not kept
        (a cancelled statement may still be running on it); one found broken drops the idle ones
        too: after a database restart they are all gone."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else await Connection.connect(self._conninfo, autocommit=True)
            self._in_use += 1
            kept = False
            try:
                yield conn
                kept = not (conn.broken or conn.closed)
            finally:
                self._in_use -= 1
                if kept:
                    self._idle.append(conn)
                else:
                    if conn.broken:
                        await self._close_idle()
                    await conn.close()

    async def close(self) -> None:
        await self._close_idle()

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
