"""What a replica's search indexes read to follow PostgreSQL (search.indexes says how they use it):
every collection's change state, a catch-up's changes in one snapshot, the names an imported
collection's index starts with, and the pruning of old tombstones."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from facerec_registry.face_arrays import UUIDS, Ids, Names, Rows
from facerec_registry.store.connection import Database, driver_of
from facerec_registry.store.face_rows import NAMES_SQL, STATE_SQL, copy_faces
from facerec_registry.store.records import CollectionState

ALL_STATES_SQL = (
    "SELECT id, name, model_version, dimension, change_seq, reload_seq FROM collections WHERE model_version IS NOT NULL"
)
HELD_NAMES_SQL = NAMES_SQL + " AND EXISTS (SELECT FROM faces WHERE person_id = people.id)"
# seq > 0 spelled out: the condition of the index of renamed people, which a parameter alone is not.
CHANGED_NAMES_SQL = (
    "SELECT uuid_send(id), name FROM people WHERE collection_id = %(id)s AND (seq > 0 AND seq > %(seq)s "
    "AND EXISTS (SELECT FROM faces WHERE person_id = people.id) OR id = ANY(%(ids)s))"
)
# Of some people, those with no face left (deleted people have none).
FACELESS_PEOPLE_SQL = (
    "SELECT uuid_send(p) FROM unnest(%s::uuid[]) AS p WHERE NOT EXISTS (SELECT FROM faces WHERE person_id = p)"
)


async def collection_states(db: Database) -> dict[uuid.UUID, CollectionState]:
    """Every collection's change state, in one statement."""
    async with db.driver() as conn:
        cursor = await conn.execute(ALL_STATES_SQL)
        return {row[0]: CollectionState(*row) for row in await cursor.fetchall()}


async def collection_names(db: Database, collection_id: uuid.UUID) -> Names:
    """Every name of the collection (for `face_rows.names_of`)."""
    async with db.driver() as conn:
        cursor = await conn.execute(NAMES_SQL, (collection_id,))
        return {person: name async for person, name in cursor}


async def prune_tombstones(db: Database, retention_s: float) -> None:
    """Drop tombstones older than `retention_s`; a collection that loses some must be reloaded by
    any replica still behind them."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "WITH gone AS (DELETE FROM face_tombstones WHERE created_at < now() - make_interval(secs => :s) "
                "RETURNING collection_id, seq) "
                "UPDATE collections c SET reload_seq = greatest(c.reload_seq, m.seq) "
                "FROM (SELECT collection_id, max(seq) AS seq FROM gone GROUP BY collection_id) m "
                "WHERE c.id = m.collection_id"
            ),
            {"s": retention_s},
        )


@contextlib.asynccontextmanager
async def change_reads(db: Database) -> AsyncIterator[ChangeReads]:
    """A catch-up's reads, all in one snapshot."""
    async with db.read_snapshot() as conn:
        yield ChangeReads(conn)


class ChangeReads:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def state(self, collection_id: uuid.UUID) -> CollectionState | None:
        row = await (await (await driver_of(self._conn)).execute(STATE_SQL, (collection_id,))).fetchone()
        return CollectionState(collection_id, *row) if row is not None else None

    async def tombstones(self, collection_id: uuid.UUID, after_seq: int) -> Ids:
        """Ids of the faces deleted after `after_seq`."""
        rows = await self._conn.execute(
            text("SELECT face_id FROM face_tombstones WHERE collection_id = :id AND seq > :seq"),
            {"id": collection_id, "seq": after_seq},
        )
        return np.array([r.face_id.bytes for r in rows], dtype=UUIDS)

    async def faces(self, state: CollectionState, after_seq: int) -> Rows:
        """The faces added after `after_seq`."""
        return await copy_faces(await driver_of(self._conn), state, after_seq)

    async def changed_names(self, collection_id: uuid.UUID, after_seq: int, added: Rows) -> Names:
        """Names of the people renamed after `after_seq` who hold faces, and of the people `added`
        faces belong to."""
        conn = await driver_of(self._conn)
        people = np.unique(added.person_ids)
        if len(people) > 10_000:  # a large import: every held name, rather than a list of ids that long
            cursor = await conn.execute(HELD_NAMES_SQL, (collection_id,))
            return {person: name async for person, name in cursor}
        cursor = await conn.execute(
            CHANGED_NAMES_SQL, {"id": collection_id, "seq": after_seq, "ids": _uuid_array(people)}
        )
        return dict(await cursor.fetchall())

    async def faceless_people(self, people: Ids) -> Ids:
        """Those of `people` (16-byte ids) left without a face, deleted or not: their faces'
        deletes are what tells a replica to look."""
        if not len(people):
            return people
        cursor = await (await driver_of(self._conn)).execute(FACELESS_PEOPLE_SQL, (_uuid_array(people),))
        return np.array([row[0] for row in await cursor.fetchall()], dtype=UUIDS)


def _uuid_array(ids: Ids) -> str:
    """16-byte ids as a PostgreSQL uuid[] literal (one parameter, however many)."""
    return "{" + ",".join(i.tobytes().hex() for i in ids) + "}"
