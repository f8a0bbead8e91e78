"""All SQL of the registry. Handlers call these; nothing else touches the database.

Every function takes a session and runs one transaction. Domain rules that
need the database to decide (a collection's model, uniqueness, existence) are
enforced here, under row locks where two writers could race.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_common.errors import (
    AlreadyExists,
    ApiKeyNotFound,
    CollectionExists,
    CollectionNotFound,
    ExternalIdTaken,
    FaceNotFound,
    InvalidArgument,
    ModelMismatch,
    PersonNotFound,
    ReembeddingIncomplete,
)
from facerec_registry.paging import Page, decode_token, encode_token
from facerec_registry.search_connections import SearchConnections
from facerec_registry.search_index import CollectionState, SearchIndexes
from facerec_registry.tables import ApiKey, AuditEvent, Collection, Face, FaceTombstone, Person
from facerec_registry.vector_index import Hit, Method


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    dimension: int


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    model: ModelRef | None
    people_count: int
    face_count: int
    created_at: datetime
    target_fpir: float | None = None


@dataclass(frozen=True)
class Matches:
    """For each query embedding, the best face of each person, most similar first; and what a
    1:N threshold is derived from: the faces searched and the collection's target FPIR."""

    found: list[tuple[list[Candidate], Method]]
    gallery_faces: int
    target_fpir: float | None


@dataclass(frozen=True)
class PersonInfo:
    person_id: uuid.UUID
    collection: str
    name: str
    external_id: str | None
    metadata: dict[str, Any]
    face_count: int
    created_at: datetime


@dataclass(frozen=True)
class NewFace:
    embedding: list[float]
    box: tuple[float, float, float, float]
    detection_score: float
    display_image: bytes | None
    aligned_pixels: bytes | None
    aligned_width: int | None
    aligned_height: int | None


@dataclass(frozen=True)
class StoredFace:
    face_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    collection: str
    model: ModelRef
    box: tuple[float, float, float, float]
    detection_score: float
    created_at: datetime
    display_image: bytes


@dataclass(frozen=True)
class Candidate:
    face_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    similarity: float


@dataclass(frozen=True)
class AlignedCrop:
    face_id: uuid.UUID
    pixels: bytes
    width: int
    height: int


# -- helpers -----------------------------------------------------------------


def _model_of(collection: Collection) -> ModelRef | None:
    if collection.model_version is None or collection.model_name is None or collection.dimension is None:
        return None
    return ModelRef(collection.model_name, collection.model_version, collection.dimension)


def _mismatch(collection: Collection, model: ModelRef) -> ModelMismatch:
    held = f"{collection.model_name}@{collection.model_version}"
    asked = f"{model.name}@{model.version}"
    return ModelMismatch(
        f"Collection '{collection.name}' holds embeddings of {held}; this request uses {asked}. "
        "Re-embed the collection or switch the model back.",
        collection_model=held,
        request_model=asked,
    )


async def _collection(session: AsyncSession, name: str, for_update: bool = False) -> Collection:
    query = select(Collection).where(Collection.name == name)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise CollectionNotFound(f"No collection named '{name}'.", collection=name)
    return found


async def _face_count(session: AsyncSession, collection: Collection) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Face).where(Face.collection_id == collection.id)) or 0
    )


async def _bind_model(session: AsyncSession, collection: Collection, model: ModelRef) -> None:
    """Writes need the collection's model; an empty collection adopts the one it is given."""
    if collection.model_version == model.version:
        return
    if collection.model_version is not None and await _face_count(session, collection):
        raise _mismatch(collection, model)
    collection.model_name, collection.model_version, collection.dimension = model.name, model.version, model.dimension


async def _check_model_for_read(session: AsyncSession, collection: Collection, model: ModelRef) -> bool:
    """False when the collection has nothing to compare with; raises on another model's vectors."""
    if collection.model_version == model.version:
        if collection.dimension is not None and collection.dimension != model.dimension:
            raise InvalidArgument(
                f"The embedding has {model.dimension} values; the collection's model makes {collection.dimension}."
            )
        return True
    if collection.model_version is None or not await _face_count(session, collection):
        return False
    raise _mismatch(collection, model)


async def _person(
    session: AsyncSession, collection: Collection, person_id: uuid.UUID, lock: str | None = None
) -> Person:
    """The person; lock="update" to change them, "key_share" to add rows that point at them."""
    query = select(Person).where(Person.id == person_id, Person.collection_id == collection.id)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "key_share":
        # Blocks a concurrent delete of the person until our face row is in.
        query = query.with_for_update(read=True, key_share=True)
    person = (await session.execute(query)).scalar_one_or_none()
    if person is None:
        raise PersonNotFound(f"No person {person_id} in collection '{collection.name}'.", person_id=str(person_id))
    return person


def _integrity_error(exc: IntegrityError, collection_name: str, external_id: str | None) -> Exception:
    """Name the rule a write broke: the external id's uniqueness, or a parent deleted meanwhile."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", "") or ""
    if "external_id" in constraint:
        return ExternalIdTaken(f"external_id '{external_id}' is taken in '{collection_name}'.")
    return CollectionNotFound(f"No collection named '{collection_name}'.", collection=collection_name)


def _stored(face: Face, person_name: str, collection: Collection, with_image: bool) -> StoredFace:
    model = _model_of(collection)
    assert model is not None  # a collection holding faces always has a model
    return StoredFace(
        face_id=face.id,
        person_id=face.person_id,
        person_name=person_name,
        collection=collection.name,
        model=ModelRef(model.name, face.model_version, model.dimension),
        box=(face.box_x, face.box_y, face.box_width, face.box_height),
        detection_score=face.detection_score,
        created_at=face.created_at,
        display_image=(face.display_image or b"") if with_image else b"",
    )


async def _person_info(session: AsyncSession, person: Person, collection: Collection) -> PersonInfo:
    count = await session.scalar(select(func.count()).select_from(Face).where(Face.person_id == person.id))
    return _person_info_with(person, collection, int(count or 0))


async def _people_info(session: AsyncSession, people: list[Person], collection: Collection) -> list[PersonInfo]:
    """A page of people with their face counts in one query, not one per person."""
    counted = select(Face.person_id, func.count()).where(Face.person_id.in_([p.id for p in people]))
    rows = (await session.execute(counted.group_by(Face.person_id))).all() if people else []
    counts: dict[uuid.UUID, int] = {person_id: count for person_id, count in rows}
    return [_person_info_with(p, collection, counts.get(p.id, 0)) for p in people]


def _person_info_with(person: Person, collection: Collection, count: int) -> PersonInfo:
    return PersonInfo(
        person_id=person.id,
        collection=collection.name,
        name=person.name,
        external_id=person.external_id,
        metadata=dict(person.metadata_ or {}),
        face_count=count,
        created_at=person.created_at,
    )


async def _collection_info(session: AsyncSession, collection: Collection) -> CollectionInfo:
    people = await session.scalar(select(func.count()).select_from(Person).where(Person.collection_id == collection.id))
    return CollectionInfo(
        name=collection.name,
        model=_model_of(collection),
        people_count=int(people or 0),
        face_count=await _face_count(session, collection),
        created_at=collection.created_at,
        target_fpir=collection.target_fpir,
    )


async def _next_seq(session: AsyncSession, collection: Collection) -> int:
    """The collection's next change number. Writers hold the collection's row lock until they
    commit, so change numbers become visible in order: what search indexes rely on."""
    seq = await session.scalar(
        text("UPDATE collections SET change_seq = change_seq + 1 WHERE id = :id RETURNING change_seq"),
        {"id": collection.id},
    )
    return int(seq)


async def _bury(session: AsyncSession, collection: Collection, face_ids: Sequence[uuid.UUID]) -> None:
    """Record deleted faces' ids under one change number, for every replica's index to drop."""
    if face_ids:
        seq = await _next_seq(session, collection)
        await session.execute(
            insert(FaceTombstone), [{"collection_id": collection.id, "seq": seq, "face_id": f} for f in face_ids]
        )


def _audit(session: AsyncSession, actor: str, action: str, collection: str | None, targets: list[str]) -> None:
    """Record who did what, in the caller's transaction: no delete without its audit row."""
    session.add(AuditEvent(actor=actor, action=action, collection=collection, targets=targets))


# -- collections ---------------------------------------------------------------


async def create_collection(session: AsyncSession, name: str, target_fpir: float | None = None) -> CollectionInfo:
    async with session.begin():
        inserted = await session.scalar(
            text(
                "INSERT INTO collections (id, name, target_fpir) VALUES (:id, :name, :fpir) "
                "ON CONFLICT (name) DO NOTHING RETURNING id"
            ),
            {"id": uuid.uuid4(), "name": name, "fpir": target_fpir},
        )
        if inserted is None:
            raise CollectionExists(f"Collection '{name}' exists already.", collection=name)
        return await _collection_info(session, await _collection(session, name))


async def set_target_fpir(session: AsyncSession, name: str, target_fpir: float | None, actor: str) -> CollectionInfo:
    async with session.begin():
        collection = await _collection(session, name, for_update=True)
        collection.target_fpir = target_fpir
        _audit(session, actor, "collection.update", name, [name])
        return await _collection_info(session, collection)


async def get_collection(session: AsyncSession, name: str) -> CollectionInfo:
    async with session.begin():
        return await _collection_info(session, await _collection(session, name))


async def list_collections(session: AsyncSession, page_size: int, token: str) -> Page[CollectionInfo]:
    async with session.begin():
        query = select(Collection).order_by(Collection.created_at, Collection.id).limit(page_size + 1)
        if token:
            query = query.where(tuple_(Collection.created_at, Collection.id) > tuple_(*decode_token(token)))
        rows = list((await session.execute(query)).scalars())
        items = [await _collection_info(session, c) for c in rows[:page_size]]
        last = rows[page_size - 1] if len(rows) > page_size else None
        return Page(items, encode_token(last.created_at, last.id) if last else "")


async def delete_collection(session: AsyncSession, name: str, actor: str) -> None:
    async with session.begin():
        # People and faces go with it (ON DELETE CASCADE), embeddings and images included.
        deleted = await session.scalar(delete(Collection).where(Collection.name == name).returning(Collection.id))
        if deleted is None:
            raise CollectionNotFound(f"No collection named '{name}'.", collection=name)
        _audit(session, actor, "collection.delete", name, [name])


# -- people --------------------------------------------------------------------


async def create_person(
    session: AsyncSession, collection_name: str, name: str, external_id: str | None, metadata: dict[str, Any]
) -> PersonInfo:
    try:
        async with session.begin():
            collection = await _collection(session, collection_name)
            person = Person(
                id=uuid.uuid4(), collection_id=collection.id, name=name, external_id=external_id, metadata_=metadata
            )
            session.add(person)
            await session.flush()
            await session.refresh(person, ["created_at"])
            return await _person_info(session, person, collection)
    except IntegrityError as exc:
        raise _integrity_error(exc, collection_name, external_id) from exc


async def get_person(session: AsyncSession, collection_name: str, person_id: uuid.UUID) -> PersonInfo:
    async with session.begin():
        collection = await _collection(session, collection_name)
        return await _person_info(session, await _person(session, collection, person_id), collection)


async def list_people(session: AsyncSession, collection_name: str, page_size: int, token: str) -> Page[PersonInfo]:
    async with session.begin():
        collection = await _collection(session, collection_name)
        query = (
            select(Person)
            .where(Person.collection_id == collection.id)
            .order_by(Person.created_at, Person.id)
            .limit(page_size + 1)
        )
        if token:
            query = query.where(tuple_(Person.created_at, Person.id) > tuple_(*decode_token(token)))
        rows = list((await session.execute(query)).scalars())
        items = await _people_info(session, rows[:page_size], collection)
        last = rows[page_size - 1] if len(rows) > page_size else None
        return Page(items, encode_token(last.created_at, last.id) if last else "")


async def update_person(
    session: AsyncSession,
    collection_name: str,
    person_id: uuid.UUID,
    name: str | None,
    external_id: str | None,
    metadata: dict[str, Any] | None,
    replace_metadata: bool,
) -> PersonInfo:
    try:
        async with session.begin():
            # A rename is a change search indexes follow (they hold names): the collection's row
            # lock first, as every writer takes it.
            collection = await _collection(session, collection_name, for_update=name is not None)
            person = await _person(session, collection, person_id, lock="update")
            if name is not None and name != person.name:
                person.name = name
                person.seq = await _next_seq(session, collection)
            if external_id is not None:
                person.external_id = external_id or None
            if metadata is not None:
                person.metadata_ = metadata if replace_metadata else {**(person.metadata_ or {}), **metadata}
            await session.flush()
            return await _person_info(session, person, collection)
    except IntegrityError as exc:
        raise _integrity_error(exc, collection_name, external_id) from exc


async def delete_person(session: AsyncSession, collection_name: str, person_id: uuid.UUID, actor: str) -> None:
    async with session.begin():
        collection = await _collection(session, collection_name, for_update=True)
        faces = (
            await session.scalars(
                delete(Face).where(Face.person_id == person_id, Face.collection_id == collection.id).returning(Face.id)
            )
        ).all()
        deleted = await session.scalar(
            delete(Person).where(Person.id == person_id, Person.collection_id == collection.id).returning(Person.id)
        )
        if deleted is None:
            raise PersonNotFound(f"No person {person_id} in collection '{collection_name}'.", person_id=str(person_id))
        await _bury(session, collection, faces)
        _audit(session, actor, "person.delete", collection_name, [str(person_id)])


# -- faces ---------------------------------------------------------------------


async def enroll(
    session: AsyncSession,
    collection_name: str,
    model: ModelRef,
    new: NewFace,
    person_id: uuid.UUID | None = None,
    person_name: str | None = None,
) -> StoredFace:
    """Store a face for person_id, or for the person named person_name (created, with the
    collection, on first use)."""
    async with session.begin():
        if person_id is None:
            # The by-name path (seed API) creates what it needs; the lock below serialises it.
            await session.execute(
                text("INSERT INTO collections (id, name) VALUES (:id, :name) ON CONFLICT (name) DO NOTHING"),
                {"id": uuid.uuid4(), "name": collection_name},
            )
        collection = await _collection(session, collection_name, for_update=True)
        await _bind_model(session, collection, model)
        if person_id is not None:
            person = await _person(session, collection, person_id, lock="key_share")
        else:
            assert person_name
            found = (
                await session.execute(
                    select(Person)
                    .where(Person.collection_id == collection.id, Person.name == person_name)
                    .order_by(Person.created_at)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if found is None:
                found = Person(id=uuid.uuid4(), collection_id=collection.id, name=person_name, metadata_={})
                session.add(found)
                await session.flush()
            person = found
        seq = await _next_seq(session, collection)
        face = Face(
            id=uuid.uuid4(),
            collection_id=collection.id,
            person_id=person.id,
            embedding=new.embedding,
            model_version=model.version,
            box_x=new.box[0],
            box_y=new.box[1],
            box_width=new.box[2],
            box_height=new.box[3],
            detection_score=new.detection_score,
            display_image=new.display_image,
            aligned_pixels=new.aligned_pixels,
            aligned_width=new.aligned_width,
            aligned_height=new.aligned_height,
            seq=seq,
        )
        session.add(face)
        await session.flush()
        await session.refresh(face, ["created_at"])
        return _stored(face, person.name, collection, with_image=False)


async def get_face(session: AsyncSession, collection_name: str, face_id: uuid.UUID, with_image: bool) -> StoredFace:
    async with session.begin():
        collection = await _collection(session, collection_name)
        row = (
            await session.execute(
                select(Face, Person.name)
                .join(Person, Person.id == Face.person_id)
                .where(Face.id == face_id, Face.collection_id == collection.id)
            )
        ).one_or_none()
        if row is None:
            raise FaceNotFound(f"No face {face_id} in collection '{collection_name}'.", face_id=str(face_id))
        return _stored(row[0], row[1], collection, with_image)


async def list_faces(
    session: AsyncSession,
    collection_name: str,
    page_size: int,
    token: str,
    with_images: bool,
    person_id: uuid.UUID | None = None,
) -> Page[StoredFace]:
    """One page, oldest first."""
    async with session.begin():
        collection = await _collection(session, collection_name)
        query = (
            select(Face, Person.name)
            .join(Person, Person.id == Face.person_id)
            .where(Face.collection_id == collection.id)
            .order_by(Face.created_at, Face.id)
            .limit(page_size + 1)
        )
        if person_id is not None:
            await _person(session, collection, person_id)
            query = query.where(Face.person_id == person_id)
        if token:
            query = query.where(tuple_(Face.created_at, Face.id) > tuple_(*decode_token(token)))
        rows = (await session.execute(query)).all()
        faces = [_stored(face, name, collection, with_images) for face, name in rows[:page_size]]
        more = len(rows) > page_size
        return Page(faces, encode_token(faces[-1].created_at, faces[-1].face_id) if more else "")


async def delete_face(
    session: AsyncSession, collection_name: str, face_id: uuid.UUID, actor: str, delete_empty_person: bool = False
) -> None:
    """Delete the face's row, its embedding and images with it. The person stays, unless asked
    to go once it has no face left (in the same transaction)."""
    async with session.begin():
        collection = await _collection(session, collection_name, for_update=True)
        person_id = await session.scalar(
            delete(Face).where(Face.id == face_id, Face.collection_id == collection.id).returning(Face.person_id)
        )
        if person_id is None:
            raise FaceNotFound(f"No face {face_id} in collection '{collection_name}'.", face_id=str(face_id))
        await _bury(session, collection, [face_id])
        _audit(session, actor, "face.delete", collection_name, [str(face_id)])
        if (
            delete_empty_person
            and await session.scalar(select(Face.id).where(Face.person_id == person_id).limit(1)) is None
        ):
            await session.execute(delete(Person).where(Person.id == person_id))
            _audit(session, actor, "person.delete", collection_name, [str(person_id)])


async def delete_faces(
    session: AsyncSession, collection_name: str, face_ids: Sequence[uuid.UUID], actor: str
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(deleted, not found), each in request order."""
    async with session.begin():
        collection = await _collection(session, collection_name, for_update=True)
        deleted = set(
            (
                await session.scalars(
                    delete(Face).where(Face.id.in_(face_ids), Face.collection_id == collection.id).returning(Face.id)
                )
            ).all()
        )
        if deleted:
            await _bury(session, collection, sorted(deleted))
            _audit(session, actor, "face.delete", collection_name, [str(f) for f in face_ids if f in deleted])
        return [f for f in face_ids if f in deleted], [f for f in face_ids if f not in deleted]


# -- matching ------------------------------------------------------------------


async def match(
    session: AsyncSession,
    collection_name: str,
    model: ModelRef,
    embeddings: Sequence[list[float]],
    top_k: int,
    person_id: uuid.UUID | None = None,
    indexes: SearchIndexes | None = None,
    exact: bool = False,
) -> Matches:
    """For each embedding, the best face of each person, most similar first.

    Through the replica's search index when it has one for the collection (it first
    catches up with every change this transaction can see); else by the exact SQL scan.
    """
    async with session.begin():
        collection = await _collection(session, collection_name)
        if person_id is not None:
            await _person(session, collection, person_id)
        if not await _check_model_for_read(session, collection, model):
            return Matches([([], "exact") for _ in embeddings], 0, collection.target_fpir)
        if person_id is None and indexes is not None and collection.model_version is not None:
            state = CollectionState(
                collection.id,
                collection.name,
                collection.model_version,
                collection.dimension or len(embeddings[0]),
                collection.change_seq,
                collection.reload_seq,
            )
            searched = await indexes.search(state, embeddings, top_k, exact)
            if searched is not None:
                found, faces = searched
                return Matches(await _named(session, collection, found), faces, collection.target_fpir)
        exact_found: list[tuple[list[Candidate], Method]] = [
            (await _exact_match(session, collection, model, e, top_k, person_id), "exact") for e in embeddings
        ]
        faces = 0 if person_id is not None else await _face_count(session, collection)
        return Matches(exact_found, faces, collection.target_fpir)


async def match_current(
    connections: SearchConnections,
    indexes: SearchIndexes,
    collection_name: str,
    model: ModelRef,
    embeddings: Sequence[list[float]],
    top_k: int,
    exact: bool,
) -> Matches | None:
    """`match` for the common case of an index that is current: one statement, read while the
    index is searched.

    The statement reads the collection's row, and sees every write answered before it. When that
    row shows no change the searched index had not applied, the index's hits and names are what
    `match` would answer; otherwise None, and the caller takes `match`'s way (also when the
    statement fails: `match` checks its connection first and answers, or says what is wrong).
    """
    try:
        async with connections.connection() as conn:
            reading = asyncio.ensure_future(conn.execute(CURRENT_ROW, {"name": collection_name}, prepare=True))
            await asyncio.sleep(0)  # the statement is sent before the search holds the loop
            try:
                searched = await indexes.search_as_is(collection_name, model.version, embeddings, top_k, exact)
            except BaseException:
                reading.cancel()
                with contextlib.suppress(BaseException):
                    await reading
                raise
            row = await (await reading).fetchone()
    except psycopg.Error:
        return None
    if searched is None or row is None:
        return None  # no index here, or the collection is gone: `match` says so
    collection_id, applied_seq, faces, found, names = searched
    head_id, model_version, change_seq, reload_seq, target_fpir = row
    if head_id != collection_id or model_version != model.version or max(change_seq, reload_seq) > applied_seq:
        return None
    results: list[tuple[list[Candidate], Method]] = []
    for hits, method in found:
        candidates = []
        for hit in hits:
            name = names.get(hit.person_id)
            if name is None:
                return None  # not expected: `match` reads names from the database
            candidates.append(
                Candidate(uuid.UUID(bytes=hit.face_id), uuid.UUID(bytes=hit.person_id), name, hit.similarity)
            )
        results.append((candidates, method))
    return Matches(results, faces, target_fpir)


# Is the index current? Names and deletes are the index's own once it is.
CURRENT_ROW = "SELECT id, model_version, change_seq, reload_seq, target_fpir FROM collections WHERE name = %(name)s"


async def _named(
    session: AsyncSession, collection: Collection, found: list[tuple[list[Hit], Method]]
) -> list[tuple[list[Candidate], Method]]:
    """Candidates with their people's current names. A face deleted since the index last
    caught up is dropped here: this statement sees every committed delete."""
    face_ids = list({uuid.UUID(bytes=h.face_id) for hits, _ in found for h in hits})
    # By primary key alone (an array parameter: one statement, compiled once). With a
    # collection_id condition too, the planner may walk the whole collection's index instead.
    rows = await session.execute(
        text(
            "SELECT f.id, f.person_id, p.name, f.collection_id FROM faces f JOIN people p ON p.id = f.person_id "
            "WHERE f.id = ANY(:ids)"
        ),
        {"ids": face_ids},
    )
    names = {face_id: (person_id, name) for face_id, person_id, name, owner in rows if owner == collection.id}
    return _with_names(found, names)


def _with_names(
    found: list[tuple[list[Hit], Method]], names: dict[uuid.UUID, tuple[uuid.UUID, str]]
) -> list[tuple[list[Candidate], Method]]:
    """Hits as candidates; a hit whose face is not in `names` (deleted) is dropped."""
    results: list[tuple[list[Candidate], Method]] = []
    for hits, method in found:
        candidates = []
        for hit in hits:
            face_id = uuid.UUID(bytes=hit.face_id)
            if face_id in names:
                person_id, name = names[face_id]
                candidates.append(Candidate(face_id, person_id, name, hit.similarity))
        results.append((candidates, method))
    return results


async def _exact_match(
    session: AsyncSession,
    collection: Collection,
    model: ModelRef,
    embedding: list[float],
    top_k: int,
    person_id: uuid.UUID | None,
) -> list[Candidate]:
    """Best face of each person by scanning every face of the collection in SQL."""
    distance = Face.embedding.cosine_distance(embedding).label("distance")
    # The model filter keeps a re-embedding committed between our two statements from
    # mixing vector spaces: faces of another model are simply not compared.
    scope = select(Face.person_id, Face.id.label("face_id"), distance).where(
        Face.collection_id == collection.id, Face.model_version == model.version
    )
    if person_id is not None:
        scope = scope.where(Face.person_id == person_id)
    best_per_person = scope.ext(distinct_on(Face.person_id)).order_by(Face.person_id, distance).subquery()
    rows = await session.execute(
        select(best_per_person.c.face_id, best_per_person.c.person_id, Person.name, best_per_person.c.distance)
        .join(Person, Person.id == best_per_person.c.person_id)
        .order_by(best_per_person.c.distance)
        .limit(top_k)
    )
    return [Candidate(face_id, pid, name, 1.0 - float(dist)) for face_id, pid, name, dist in rows]


# -- re-embedding --------------------------------------------------------------


async def list_aligned_crops(
    session: AsyncSession, collection_name: str, page_size: int, token: str, unstaged_for_version: str
) -> Page[AlignedCrop]:
    async with session.begin():
        collection = await _collection(session, collection_name)
        without_crop = await session.scalar(
            select(func.count())
            .select_from(Face)
            .where(Face.collection_id == collection.id, Face.aligned_pixels.is_(None))
        )
        if without_crop:
            raise ReembeddingIncomplete(
                f"{without_crop} faces of '{collection_name}' were imported without their aligned crop, "
                "so they cannot be re-embedded: import them again with crops, or delete them.",
                missing=str(without_crop),
            )
        query = (
            select(Face.id, Face.created_at, Face.aligned_pixels, Face.aligned_width, Face.aligned_height)
            .where(Face.collection_id == collection.id)
            .order_by(Face.created_at, Face.id)
            .limit(page_size + 1)
        )
        if unstaged_for_version:
            query = query.where(
                (Face.pending_model_version.is_(None)) | (Face.pending_model_version != unstaged_for_version)
            )
        if token:
            query = query.where(tuple_(Face.created_at, Face.id) > tuple_(*decode_token(token)))
        rows = (await session.execute(query)).all()
        crops = [
            AlignedCrop(r.id, r.aligned_pixels or b"", r.aligned_width or 0, r.aligned_height or 0)
            for r in rows[:page_size]
        ]
        last = rows[page_size - 1] if len(rows) > page_size else None
        return Page(crops, encode_token(last.created_at, last.id) if last else "")


async def stage_embeddings(
    session: AsyncSession, collection_name: str, model: ModelRef, vectors: Sequence[tuple[uuid.UUID, list[float]]]
) -> int:
    async with session.begin():
        collection = await _collection(session, collection_name)
        staged = 0
        for face_id, embedding in vectors:
            result = await session.execute(
                update(Face)
                .where(Face.id == face_id, Face.collection_id == collection.id)
                .values(pending_embedding=embedding, pending_model_version=model.version)
            )
            staged += result.rowcount  # type: ignore[attr-defined]
        return staged


async def commit_reembedding(session: AsyncSession, collection_name: str, model: ModelRef) -> CollectionInfo:
    """Swap every face to its staged vector of `model` and bind the collection to it, all at once."""
    async with session.begin():
        collection = await _collection(session, collection_name, for_update=True)
        missing = await session.scalar(
            select(func.count())
            .select_from(Face)
            .where(
                Face.collection_id == collection.id,
                (Face.pending_model_version.is_(None)) | (Face.pending_model_version != model.version),
            )
        )
        if missing:
            raise ReembeddingIncomplete(
                f"{missing} faces of '{collection_name}' have no staged {model.name} embedding yet.",
                missing=str(missing),
            )
        await session.execute(
            update(Face)
            .where(Face.collection_id == collection.id)
            .values(
                embedding=Face.pending_embedding,
                model_version=model.version,
                pending_embedding=None,
                pending_model_version=None,
            )
        )
        collection.model_name, collection.model_version, collection.dimension = (
            model.name,
            model.version,
            model.dimension,
        )
        await session.flush()
        # Every vector changed at once: indexes reload the collection rather than follow the log.
        seq = await _next_seq(session, collection)
        await session.execute(update(Collection).where(Collection.id == collection.id).values(reload_seq=seq))
        await session.refresh(collection)
        return await _collection_info(session, collection)


# -- API keys and audit --------------------------------------------------------


async def create_api_key(
    session: AsyncSession, name: str, scope: str, collections: list[str], key_sha256: str, prefix: str, actor: str
) -> ApiKey:
    try:
        async with session.begin():
            key = ApiKey(
                id=uuid.uuid4(), name=name, scope=scope, collections=collections, key_sha256=key_sha256, prefix=prefix
            )
            session.add(key)
            await session.flush()
            await session.refresh(key, ["created_at"])
            _audit(session, actor, "key.create", None, [str(key.id)])
            return key
    except IntegrityError as exc:
        raise AlreadyExists("A key with this hash exists already.") from exc


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    async with session.begin():
        return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all())


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID, actor: str) -> ApiKey:
    async with session.begin():
        key = (await session.execute(select(ApiKey).where(ApiKey.id == key_id).with_for_update())).scalar_one_or_none()
        if key is None:
            raise ApiKeyNotFound(f"No API key {key_id}.", key_id=str(key_id))
        if key.revoked_at is None:
            key.revoked_at = await session.scalar(select(func.now()))
            _audit(session, actor, "key.revoke", None, [str(key_id)])
        await session.flush()
        return key


async def api_key_by_hash(session: AsyncSession, key_sha256: str) -> ApiKey:
    """The live key with this hash; a revoked or unknown one is not found."""
    async with session.begin():
        key = (
            await session.execute(select(ApiKey).where(ApiKey.key_sha256 == key_sha256, ApiKey.revoked_at.is_(None)))
        ).scalar_one_or_none()
        if key is None:
            raise ApiKeyNotFound("No live API key matches.")
        return key


async def list_audit_events(
    session: AsyncSession, collection: str | None, page_size: int, before_id: int
) -> list[AuditEvent]:
    async with session.begin():
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(page_size)
        if collection:
            query = query.where(AuditEvent.collection == collection)
        if before_id:
            query = query.where(AuditEvent.id < before_id)
        return list((await session.scalars(query)).all())
