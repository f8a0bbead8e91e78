"""The registry's only way to PostgreSQL: `Database` owns every connection the store uses.

Most statements run in SQLAlchemy sessions on one pooled engine. Two paths use psycopg's own
connections instead, each because it measured faster:

- searches through a current index (`search_connection`): one statement on a kept autocommit
  connection took 0.20-0.25 ms; through SQLAlchemy's pool, its checkout, reset and greenlet
  hand-offs cost 0.44-0.56 ms (2 cores);
- full loads of a search index (`blocking_snapshot`): psycopg's blocking COPY spends less per row
  than its asyncio one (100k faces: 1.8 vs 2.4 s) and runs in a worker thread, so the event
  loop keeps serving meanwhile.

COPY in and out and the index's catch-up reads use the psycopg connection under a pooled
SQLAlchemy one (`driver_of`), in that connection's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from facerec_common.errors import ServiceUnavailable
from facerec_registry import metrics

log = logging.getLogger(__name__)

Driver = psycopg.AsyncConnection[Any]


class Database:
    """One engine (`pool_size` connections) and as many kept search connections."""

    def __init__(self, url: str, pool_size: int) -> None:
        # hide_parameters: a failed statement's values (a camera's source URL and its password,
        # a person's metadata) never reach an error message or a log line.
        self._engine = create_async_engine(url, pool_size=pool_size, pool_pre_ping=True, hide_parameters=True)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        self._conninfo = conninfo(self._engine)
        # No transaction and no ping first: a stale connection fails its one statement, and the
        # search takes the checked way.
        self._search = SearchConnections(self._conninfo, pool_size)
        pool = self._engine.sync_engine.pool
        metrics.watch_pool(
            "main",
            lambda: float(getattr(pool, "checkedout", lambda: 0)()),
            lambda: float(getattr(pool, "size", lambda: 0)()),
        )
        metrics.watch_pool("search", lambda: float(self._search.in_use), lambda: float(self._search.size))

    async def close(self) -> None:
        await self._search.close()
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose connection failures read as UNAVAILABLE (retryable), not INTERNAL."""
        with failures_as_unavailable():
            async with self._sessions() as session:
                yield session

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """`session` in one transaction, committed when the block ends without an error."""
        async with self.session() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def read_snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction whose queries all see one snapshot of the database."""
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def driver(self) -> AsyncIterator[Driver]:
        """psycopg's connection under a pooled one, for statements that need no session."""
        async with self._engine.connect() as conn:
            yield await driver_of(conn)

    def search_connection(self) -> contextlib.AbstractAsyncContextManager[Driver]:
        return self._search.connection()

    @contextlib.contextmanager
    def blocking_snapshot(self) -> Iterator[psycopg.Connection[Any]]:
        """A read-only snapshot on a blocking connection of its own (for a worker thread)."""
        with psycopg.connect(self._conninfo, autocommit=False) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                yield conn


def session_on(conn: AsyncConnection) -> AsyncSession:
    """A session in `conn`'s transaction (ORM reads inside a `read_snapshot`)."""
    return AsyncSession(bind=conn)


async def driver_of(conn: AsyncConnection | AsyncSession) -> Driver:
    """psycopg's own connection under `conn`, in the same transaction (for COPY)."""
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    raw: Driver = (await conn.get_raw_connection()).driver_connection  # type: ignore[assignment]
    return raw


@contextlib.contextmanager
def failures_as_unavailable() -> Iterator[None]:
    """The database unreachable or gone mid-call: UNAVAILABLE, which callers may retry."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        log.warning("database unavailable: %s", exc.__class__.__name__)
        raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc


def conninfo(engine: AsyncEngine) -> str:
    """libpq's connection string for the engine's database, as its own driver connects (several
    hosts, passwords with any characters), with a bound on connecting."""
    _, params = engine.dialect.create_connect_args(engine.url)
    params.pop("context", None)  # SQLAlchemy's own, not libpq's
    params.setdefault("connect_timeout", 10)
    return psycopg.conninfo.make_conninfo(**params)


class SearchConnections:
    """Up to `size` psycopg connections in autocommit, opened when first needed and kept while
    they work. A search through a current index needs one statement, prepared once per connection."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._conninfo = conninfo
        self._size = size
        self._slots = asyncio.Semaphore(size)
        self._idle: list[Driver] = []
        self._in_use = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def in_use(self) -> int:
        return self._in_use

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Driver]:
        """A connection for one statement. One that fails or is cancelled is closed, not kept
        (a cancelled statement may still be running on it); one found broken drops the idle ones
        too: after a database restart they are all gone."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else await Driver.connect(self._conninfo, autocommit=True)
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
