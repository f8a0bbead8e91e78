"""What a search reads in SQL (matching decides which): the checked way, in one transaction (the
collection, person and model checked, then the names of an index's hits or the exact scan), and
the one statement a search through a current index reads alongside it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_registry.face_arrays import Vector
from facerec_registry.store.connection import Database
from facerec_registry.store.lookups import check_model_for_read, face_count, find_collection, find_person
from facerec_registry.store.records import Candidate, CollectionState, ModelRef
from facerec_registry.store.tables import Collection, Face, Person

T = TypeVar("T")

# Is the index current? Names and deletes are the index's own once it is.
CURRENT_ROW = "SELECT id, model_version, change_seq, reload_seq, target_fpir FROM collections WHERE name = %(name)s"


@dataclass(frozen=True)
class CollectionHead:
    """A collection's row as `CURRENT_ROW` reads it."""

    collection_id: uuid.UUID
    model_version: str | None
    change_seq: int
    reload_seq: int
    target_fpir: float | None


async def head_during(
    db: Database, collection_name: str, search: Callable[[], Awaitable[T]]
) -> tuple[T, CollectionHead | None] | None:
    """(what `search` answers, the collection's row or None if there is none), the row read on a
    kept connection while `search` runs. The statement is sent before the search holds the event
    loop, so it sees every write answered before the search. None: the statement failed."""
    try:
        async with db.search_connection() as conn:
            reading = asyncio.ensure_future(conn.execute(CURRENT_ROW, {"name": collection_name}, prepare=True))
            await asyncio.sleep(0)  # the statement is sent before the search holds the loop
            try:
                searched = await search()
            except BaseException:
                reading.cancel()
                with contextlib.suppress(BaseException):
                    await reading
                raise
            row = await (await reading).fetchone()
    except psycopg.Error:
        return None
    return searched, CollectionHead(*row) if row is not None else None


@contextlib.asynccontextmanager
async def checked_reads(
    db: Database, collection_name: str, model: ModelRef, person_id: uuid.UUID | None
) -> AsyncIterator[CheckedReads]:
    """A search's transaction, once the collection (and the person, if given) exists and holds
    vectors of `model` or none: another model's raise."""
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        if person_id is not None:
            await find_person(session, collection, person_id)
        comparable = await check_model_for_read(session, collection, model)
        yield CheckedReads(session, collection, model, comparable)


class CheckedReads:
    def __init__(self, session: AsyncSession, collection: Collection, model: ModelRef, comparable: bool) -> None:
        self._session = session
        self._collection = collection
        self._model = model
        # False: the collection has nothing to compare with.
        self.comparable = comparable
        self.target_fpir = collection.target_fpir

    def state(self, dimension: int) -> CollectionState | None:
        """What an index must have applied to answer for this transaction; None without a model.
        `dimension` stands in for a collection that has not recorded its own."""
        c = self._collection
        if c.model_version is None:
            return None
        return CollectionState(c.id, c.name, c.model_version, c.dimension or dimension, c.change_seq, c.reload_seq)

    async def face_count(self) -> int:
        return await face_count(self._session, self._collection)

    async def owners(self, face_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
        """(person id, current name) of each of these faces still in the collection. This
        statement sees every committed delete: a face gone since the index caught up is absent."""
        # By primary key alone (an array parameter: one statement, compiled once). With a
        # collection_id condition too, the planner may walk the whole collection's index instead.
        rows = await self._session.execute(
            text(
                "SELECT f.id, f.person_id, p.name, f.collection_id FROM faces f JOIN people p ON p.id = f.person_id "
                "WHERE f.id = ANY(:ids)"
            ),
            {"ids": face_ids},
        )
        return {face_id: (person, name) for face_id, person, name, owner in rows if owner == self._collection.id}

    async def exact(self, embedding: Vector, top_k: int, person_id: uuid.UUID | None) -> list[Candidate]:
        """Best face of each person by scanning every face of the collection in SQL."""
        distance = Face.embedding.cosine_distance(embedding).label("distance")
        # The model filter keeps a re-embedding committed between our two statements from
        # mixing vector spaces: faces of another model are simply not compared.
        scope = select(Face.person_id, Face.id.label("face_id"), distance).where(
            Face.collection_id == self._collection.id, Face.model_version == self._model.version
        )
        if person_id is not None:
            scope = scope.where(Face.person_id == person_id)
        best_per_person = scope.ext(distinct_on(Face.person_id)).order_by(Face.person_id, distance).subquery()
        rows = await self._session.execute(
            select(best_per_person.c.face_id, best_per_person.c.person_id, Person.name, best_per_person.c.distance)
            .join(Person, Person.id == best_per_person.c.person_id)
            .order_by(best_per_person.c.distance)
            .limit(top_k)
        )
        return [Candidate(face_id, pid, name, 1.0 - float(dist)) for face_id, pid, name, dist in rows]
