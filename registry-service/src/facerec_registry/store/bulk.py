"""Bulk export and import of a collection (the file format is `collection_file`'s).

Import writes with COPY in one transaction under the collection's row lock: a bad line,
a model mismatch or a broken stream rolls all of it back. An import with an idempotency key
commits a receipt with its rows; the same key again is answered from it. Export reads in one
snapshot.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from psycopg.errors import ForeignKeyViolation, UniqueViolation
from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_common.errors import AlreadyExists, ExternalIdTaken, InvalidArgument
from facerec_registry import collection_file as cf
from facerec_registry.face_arrays import UUIDS, Rows
from facerec_registry.store import copy_format
from facerec_registry.store.change_log import next_seq
from facerec_registry.store.connection import Database, driver_of, failures_as_unavailable, session_on
from facerec_registry.store.lookups import bind_model, collection_info, find_collection, model_of
from facerec_registry.store.records import CollectionInfo, CollectionState, ModelRef
from facerec_registry.store.tables import Collection, Face, ImportReceipt, Person

CHUNK_BYTES = 1 << 20
# Larger imports are read back from the database by the search index instead.
SEED_MAX_FACES = 5_000_000
# How long an import's idempotency key is answered from its receipt (a client retrying after a
# lost answer does so within minutes; a week covers a retry after a weekend).
RECEIPT_DAYS = 7


@dataclass(frozen=True)
class Imported:
    collection_id: uuid.UUID
    collection: CollectionInfo
    people: int
    faces: int
    # The collection as the import left it and every face it holds, when it held none before:
    # the search index is built from these rather than read back (search.indexes.seed).
    seed: tuple[CollectionState, Rows] | None = None
    # The answer of an earlier import with the same idempotency key: nothing was imported now.
    replayed: bool = False


class _SeedRows:
    """The faces an import writes, as the search index holds them (room for the announced count)."""

    def __init__(self, count: int, dimension: int) -> None:
        self.rows = Rows(np.empty((count, dimension), np.float32), np.empty(count, UUIDS), np.empty(count, UUIDS))
        self.filled = 0

    @classmethod
    def room_for(cls, count: int | None, dimension: int) -> _SeedRows | None:
        # Pages are only taken as rows arrive; a header that overstates is refused at the end.
        if not count or count > SEED_MAX_FACES:
            return None
        try:
            return cls(count, dimension)
        except MemoryError:
            return None

    def add(self, face_id: uuid.UUID, person_id: uuid.UUID, embedding: np.ndarray) -> None:
        if self.filled < len(self.rows):
            self.rows.vectors[self.filled] = embedding
            self.rows.face_ids[self.filled] = face_id.bytes
            self.rows.person_ids[self.filled] = person_id.bytes
        self.filled += 1


async def import_collection(
    db: Database,
    collection_name: str,
    records: AsyncIterator[tuple[int, bytes]],
    new_ids: bool,
    key: str | None = None,
) -> Imported:
    analysed: list[str] = []
    async with db.session() as session:
        try:
            return await _import(session, collection_name, records, new_ids, key, analysed)
        except BaseException:
            if analysed:
                # ANALYZE writes a table's row count in place, outside the transaction: rolled
                # back, the import's rows would stay counted (a million phantom faces skew every
                # plan until autovacuum comes by). Count again.
                with contextlib.suppress(Exception):
                    async with session.begin():
                        await session.execute(text(f"ANALYZE {', '.join(analysed)}"))
            raise


async def _import(
    session: AsyncSession,
    collection_name: str,
    records: AsyncIterator[tuple[int, bytes]],
    new_ids: bool,
    key: str | None,
    analysed: list[str],
) -> Imported:
    """The import, in one transaction; the tables it analysed (in place) go into `analysed`.
    With a key already used in the collection, that import's answer and nothing imported (the
    header is all that is read)."""
    async with session.begin():
        first = await anext(records, None)
        if first is None:
            raise InvalidArgument("The file is empty: it needs at least the header line.")
        header = cf.parse_header(*first)
        dimension = header.model.dimension
        # The import a key names: its file (by the header line, which holds the counts and the
        # export time) and new_ids.
        fingerprint = hashlib.sha256(first[1].strip() + (b" new_ids" if new_ids else b"")).hexdigest() if key else ""
        # Most retries find their answer here, without queueing behind another import's lock.
        replay = await _replay(session, collection_name, key, fingerprint) if key else None
        if replay is not None:
            return replay
        # The planner must know how many people this transaction adds before the faces' foreign
        # key checks are planned (at the end of the faces COPY). A VACUUM running meanwhile counts
        # our uncommitted rows as absent and records `people` as empty; the checks then scan a
        # whole index per face (hours at 1M faces). Holding off (auto)vacuum for the import and
        # analysing our own rows, which ANALYZE counts, keeps the estimates true. Writes other
        # than another import or a VACUUM are not blocked by this lock; taken before any row
        # lock, so an import waiting for another holds nothing enrolments need.
        await session.execute(text("LOCK TABLE people, faces IN SHARE UPDATE EXCLUSIVE MODE"))
        await session.execute(
            text("INSERT INTO collections (id, name) VALUES (:id, :name) ON CONFLICT (name) DO NOTHING"),
            {"id": uuid.uuid4(), "name": collection_name},
        )
        collection = await find_collection(session, collection_name, for_update=True)
        # Under these locks: an import with the same key that was running meanwhile has committed.
        replay = await _replay(session, collection_name, key, fingerprint) if key else None
        if replay is not None:
            return replay
        await bind_model(session, collection, header.model)
        await session.flush()
        seq = await next_seq(session, collection)
        now = datetime.now(UTC)
        empty = not await session.scalar(select(exists().where(Face.collection_id == collection.id)))
        seed = _SeedRows.room_for(header.faces, dimension) if empty else None
        raw = await driver_of(session)
        people: dict[uuid.UUID, uuid.UUID] = {}  # id in the file -> id stored
        external_ids: set[str] = set()
        faces = 0
        pending: tuple[int, bytes] | None = None
        person_rows = copy_format.PersonRows(collection.id, raw.info.encoding)
        face_rows = copy_format.FaceRows(collection.id, header.model.version, seq, now, raw.info.encoding)
        try:
            async with raw.cursor() as cursor:
                async with copy_format.copy_in(cursor, "people", copy_format.PEOPLE_COLUMNS) as copy:
                    out = copy_format.CopyBuffer(copy)
                    async for number, line in records:
                        record = cf.parse_record(number, line, dimension)
                        if isinstance(record, cf.FaceLine):
                            pending = (number, line)
                            break
                        if record.person_id in people:
                            raise cf.line_error(number, f"person {record.person_id} appears twice")
                        if record.external_id is not None:
                            if record.external_id in external_ids:
                                raise cf.line_error(number, f"external_id '{record.external_id}' appears twice")
                            external_ids.add(record.external_id)
                        stored = uuid.uuid4() if new_ids else record.person_id
                        people[record.person_id] = stored
                        await out.add(person_rows.encode(stored, record.name, record.external_id, record.metadata))
                    await out.finish()
                analysed.append("people")
                await cursor.execute("ANALYZE people")
                if pending is not None:
                    async with copy_format.copy_in(cursor, "faces", copy_format.FACE_COLUMNS) as copy:
                        out = copy_format.CopyBuffer(copy)
                        async for number, line in _chain(pending, records):
                            record = cf.parse_record(number, line, dimension)
                            if isinstance(record, cf.PersonLine):
                                raise cf.line_error(number, "people come before faces")
                            owner = people.get(record.person_id)
                            if owner is None:
                                raise cf.line_error(number, f"person {record.person_id} is not in the file")
                            face_id = uuid.uuid4() if new_ids else record.face_id
                            if seed is not None:
                                seed.add(face_id, owner, record.embedding)
                            await out.add(
                                face_rows.encode(
                                    face_id,
                                    owner,
                                    record.embedding,
                                    record.box,
                                    record.detection_score,
                                    record.display_image,
                                    record.aligned,
                                    record.created_at,
                                )
                            )
                            faces += 1
                        await out.finish()
                    analysed.append("faces")
                    await cursor.execute("ANALYZE faces")
        except UniqueViolation as exc:
            constraint = exc.diag.constraint_name or ""
            if "external_id" in constraint:
                raise ExternalIdTaken(
                    f"An external_id of the file is taken in '{collection_name}'; nothing was imported."
                ) from exc
            raise AlreadyExists(
                "A person or face id of the file exists already; import with new_ids=true to give them new ids. "
                "Nothing was imported."
            ) from exc
        except ForeignKeyViolation as exc:
            raise InvalidArgument(
                f"The file refers to something that does not exist: {exc.diag.message_detail}"
            ) from exc
        for what, expected, found in (("people", header.people, len(people)), ("faces", header.faces, faces)):
            if expected is not None and expected != found:
                raise InvalidArgument(
                    f"The header announces {expected} {what} but the file holds {found}: "
                    "it is truncated or was edited. Nothing was imported."
                )
        if key:
            await session.execute(
                delete(ImportReceipt).where(ImportReceipt.created_at <= func.now() - timedelta(days=RECEIPT_DAYS))
            )
            session.add(
                ImportReceipt(
                    collection_id=collection.id,
                    key=key,
                    fingerprint=fingerprint,
                    people_imported=len(people),
                    faces_imported=faces,
                )
            )
        await session.refresh(collection)
        info = await collection_info(session, collection)
        seeded = None
        if seed is not None and seed.filled == len(seed.rows) == faces:
            state = CollectionState(
                collection.id, collection.name, header.model.version, dimension, seq, collection.reload_seq
            )
            seeded = (state, seed.rows)
        return Imported(collection.id, info, len(people), faces, seeded)


async def _replay(session: AsyncSession, collection_name: str, key: str, fingerprint: str) -> Imported | None:
    """The answer of the import that `key` names in the collection, if one was done (and not too
    long ago); refused if that import was of another file or another `new_ids`."""
    found = (
        await session.execute(
            select(Collection, ImportReceipt)
            .join(ImportReceipt, ImportReceipt.collection_id == Collection.id)
            .where(
                Collection.name == collection_name,
                ImportReceipt.key == key,
                ImportReceipt.created_at > func.now() - timedelta(days=RECEIPT_DAYS),
            )
        )
    ).first()
    if found is None:
        return None
    collection, receipt = found
    if receipt.fingerprint != fingerprint:
        raise AlreadyExists(
            f"The idempotency key '{key}' names another import into '{collection_name}' (another file, or "
            "new_ids set otherwise); send this one with a key of its own. Nothing was imported."
        )
    info = await collection_info(session, collection)
    return Imported(collection.id, info, receipt.people_imported, receipt.faces_imported, replayed=True)


async def _chain(first: tuple[int, bytes], rest: AsyncIterator[tuple[int, bytes]]) -> AsyncIterator[tuple[int, bytes]]:
    yield first
    async for item in rest:
        yield item


async def export_collection(db: Database, collection_name: str, include_images: bool) -> AsyncIterator[bytes]:
    """The collection file in chunks of about a megabyte, from one consistent snapshot."""
    with failures_as_unavailable():
        async for chunk in _export(db, collection_name, include_images):
            yield chunk


async def _export(db: Database, collection_name: str, include_images: bool) -> AsyncIterator[bytes]:
    async with db.read_snapshot() as conn:
        session = session_on(conn)
        collection = await find_collection(session, collection_name)
        model = model_of(collection) or ModelRef("", "", 0)
        people_count = await session.scalar(
            select(func.count()).select_from(Person).where(Person.collection_id == collection.id)
        )
        face_count = await session.scalar(
            select(func.count())
            .select_from(Face)
            .where(Face.collection_id == collection.id, Face.model_version == model.version)
        )
        buffer = bytearray(
            cf.header_line(collection_name, model, int(people_count or 0), int(face_count or 0), datetime.now(UTC))
        )
        people = await conn.stream(
            text(
                "SELECT id, name, external_id, metadata FROM people WHERE collection_id = :id ORDER BY created_at, id"
            ),
            {"id": collection.id},
        )
        async for row in people:
            buffer += cf.person_line(row.id, row.name, row.external_id, row.metadata or {})
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
        images = ", aligned_width, aligned_height, aligned_pixels, display_image" if include_images else ""
        faces = await conn.stream(
            text(
                "SELECT id, person_id, vector_send(embedding) AS vector, box_x, box_y, box_width, box_height, "
                f"detection_score, created_at{images} FROM faces "
                "WHERE collection_id = :id AND model_version = :version ORDER BY created_at, id"
            ),
            {"id": collection.id, "version": model.version},
        )
        async for row in faces:
            vector = np.frombuffer(row.vector, ">f4", offset=4).astype("<f4").tobytes()
            aligned = None
            display = None
            if include_images:
                if row.aligned_pixels is not None:
                    aligned = (row.aligned_width, row.aligned_height, row.aligned_pixels)
                display = row.display_image
            box = (row.box_x, row.box_y, row.box_width, row.box_height)
            buffer += cf.face_line(
                row.id, row.person_id, vector, box, row.detection_score, row.created_at, aligned, display
            )
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)


__all__ = ["Imported", "export_collection", "import_collection"]
