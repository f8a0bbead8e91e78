"""Reads every store module makes inside its transaction: a collection or person under the lock
its caller needs, the collection's model, and the info records answers carry.

Domain rules that need the database to decide (a collection's model, existence) are enforced
here, under row locks where two writers could race.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_common.errors import CollectionNotFound, ExternalIdTaken, InvalidArgument, ModelMismatch, PersonNotFound
from facerec_registry.store.records import CollectionInfo, ModelRef, PersonInfo, StoredFace
from facerec_registry.store.tables import Collection, Face, Person


def model_of(collection: Collection) -> ModelRef | None:
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


async def find_collection(session: AsyncSession, name: str, for_update: bool = False) -> Collection:
    query = select(Collection).where(Collection.name == name)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise CollectionNotFound(f"No collection named '{name}'.", collection=name)
    return found


async def face_count(session: AsyncSession, collection: Collection) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Face).where(Face.collection_id == collection.id)) or 0
    )


async def bind_model(session: AsyncSession, collection: Collection, model: ModelRef) -> None:
    """Writes need the collection's model; an empty collection adopts the one it is given."""
    if collection.model_version == model.version:
        return
    if collection.model_version is not None and await face_count(session, collection):
        raise _mismatch(collection, model)
    collection.model_name, collection.model_version, collection.dimension = model.name, model.version, model.dimension


async def check_model_for_read(session: AsyncSession, collection: Collection, model: ModelRef) -> bool:
    """False when the collection has nothing to compare with; raises on another model's vectors."""
    if collection.model_version == model.version:
        if collection.dimension is not None and collection.dimension != model.dimension:
            raise InvalidArgument(
                f"The embedding has {model.dimension} values; the collection's model makes {collection.dimension}."
            )
        return True
    if collection.model_version is None or not await face_count(session, collection):
        return False
    raise _mismatch(collection, model)


async def find_person(
    session: AsyncSession, collection: Collection, person_id: uuid.UUID, lock: str | None = None
) -> Person:
    """The person; lock="update" to change them, "key_share" to add rows that point at them."""
    query = select(Person).where(Person.id == person_id, Person.collection_id == collection.id)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "key_share":
        # Blocks a concurrent delete of the person until our face row is in.
        query = query.with_for_update(read=True, key_share=True)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise PersonNotFound(f"No person {person_id} in collection '{collection.name}'.", person_id=str(person_id))
    return found


def integrity_error(exc: IntegrityError, collection_name: str, external_id: str | None) -> Exception:
    """Name the rule a write broke: the external id's uniqueness, or a parent deleted meanwhile."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", "") or ""
    if "external_id" in constraint:
        return ExternalIdTaken(f"external_id '{external_id}' is taken in '{collection_name}'.")
    return CollectionNotFound(f"No collection named '{collection_name}'.", collection=collection_name)


def stored(face: Face, person_name: str, collection: Collection, with_image: bool) -> StoredFace:
    model = model_of(collection)
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


async def person_info(session: AsyncSession, person: Person, collection: Collection) -> PersonInfo:
    count = await session.scalar(select(func.count()).select_from(Face).where(Face.person_id == person.id))
    return person_info_with(person, collection, int(count or 0))


async def people_info(session: AsyncSession, people: list[Person], collection: Collection) -> list[PersonInfo]:
    """A page of people with their face counts in one query, not one per person."""
    counted = select(Face.person_id, func.count()).where(Face.person_id.in_([p.id for p in people]))
    rows = (await session.execute(counted.group_by(Face.person_id))).all() if people else []
    counts: dict[uuid.UUID, int] = {person_id: count for person_id, count in rows}
    return [person_info_with(p, collection, counts.get(p.id, 0)) for p in people]


def person_info_with(person: Person, collection: Collection, count: int) -> PersonInfo:
    return PersonInfo(
        person_id=person.id,
        collection=collection.name,
        name=person.name,
        external_id=person.external_id,
        metadata=dict(person.metadata_ or {}),
        face_count=count,
        created_at=person.created_at,
    )


async def collection_info(session: AsyncSession, collection: Collection) -> CollectionInfo:
    people = await session.scalar(select(func.count()).select_from(Person).where(Person.collection_id == collection.id))
    return CollectionInfo(
        name=collection.name,
        model=model_of(collection),
        people_count=int(people or 0),
        face_count=await face_count(session, collection),
        created_at=collection.created_at,
        target_fpir=collection.target_fpir,
    )
