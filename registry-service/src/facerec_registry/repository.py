"""All SQL of the registry. Handlers call these; nothing else touches the database."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_common.errors import FaceNotFound, InvalidArgument, ModelMismatch
from facerec_registry.tables import Collection, Face, Person


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    dimension: int


@dataclass(frozen=True)
class NewFace:
    person_name: str
    embedding: list[float]
    box: tuple[float, float, float, float]
    detection_score: float
    display_image: bytes
    aligned_pixels: bytes
    aligned_width: int
    aligned_height: int


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


def _stored(face: Face, person_name: str, collection: Collection, with_image: bool) -> StoredFace:
    return StoredFace(
        face_id=face.id,
        person_id=face.person_id,
        person_name=person_name,
        collection=collection.name,
        model=ModelRef(collection.model_name, face.model_version, collection.dimension),
        box=(face.box_x, face.box_y, face.box_width, face.box_height),
        detection_score=face.detection_score,
        created_at=face.created_at,
        display_image=face.display_image if with_image else b"",
    )


async def _collection_for_write(session: AsyncSession, name: str, model: ModelRef) -> Collection:
    """The collection, created on first use and locked for this transaction.

    An empty collection adopts the model it is given; one holding faces refuses another model.
    """
    await session.execute(
        text(
            "INSERT INTO collections (id, name, model_name, model_version, dimension) "
            "VALUES (:id, :name, :model_name, :version, :dimension) ON CONFLICT (name) DO NOTHING"
        ),
        {
            "id": uuid.uuid4(),
            "name": name,
            "model_name": model.name,
            "version": model.version,
            "dimension": model.dimension,
        },
    )
    collection = (
        await session.execute(select(Collection).where(Collection.name == name).with_for_update())
    ).scalar_one()
    if collection.model_version != model.version:
        has_faces = await session.scalar(
            select(func.count()).select_from(Face).where(Face.collection_id == collection.id)
        )
        if has_faces:
            raise _mismatch(collection, model)
        collection.model_name, collection.model_version, collection.dimension = (
            model.name,
            model.version,
            model.dimension,
        )
    return collection


def _mismatch(collection: Collection, model: ModelRef) -> ModelMismatch:
    return ModelMismatch(
        f"Collection '{collection.name}' holds embeddings of {collection.model_name}@{collection.model_version}; "
        f"this request uses {model.name}@{model.version}. Re-embed the collection or switch the model back.",
        collection_model=f"{collection.model_name}@{collection.model_version}",
        request_model=f"{model.name}@{model.version}",
    )


async def enroll(session: AsyncSession, collection_name: str, model: ModelRef, new: NewFace) -> StoredFace:
    async with session.begin():
        collection = await _collection_for_write(session, collection_name, model)
        person = (
            await session.execute(
                select(Person).where(Person.collection_id == collection.id, Person.name == new.person_name).limit(1)
            )
        ).scalar_one_or_none()
        if person is None:
            person = Person(id=uuid.uuid4(), collection_id=collection.id, name=new.person_name)
            session.add(person)
            await session.flush()
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
        )
        session.add(face)
        await session.flush()
        await session.refresh(face, ["created_at"])
        return _stored(face, person.name, collection, with_image=False)


async def match(
    session: AsyncSession, collection_name: str, model: ModelRef, embedding: list[float], top_k: int
) -> list[Candidate]:
    """Best face of each person, most similar first (exact cosine search)."""
    async with session.begin():
        collection = (
            await session.execute(select(Collection).where(Collection.name == collection_name))
        ).scalar_one_or_none()
        if collection is None:
            return []
        if collection.model_version != model.version:
            has_faces = await session.scalar(
                select(func.count()).select_from(Face).where(Face.collection_id == collection.id)
            )
            if not has_faces:
                return []
            raise _mismatch(collection, model)
        distance = Face.embedding.cosine_distance(embedding).label("distance")
        best_per_person = (
            select(Face.person_id, Face.id.label("face_id"), distance)
            .where(Face.collection_id == collection.id)
            .ext(distinct_on(Face.person_id))
            .order_by(Face.person_id, distance)
            .subquery()
        )
        rows = await session.execute(
            select(best_per_person.c.face_id, best_per_person.c.person_id, Person.name, best_per_person.c.distance)
            .join(Person, Person.id == best_per_person.c.person_id)
            .order_by(best_per_person.c.distance)
            .limit(top_k)
        )
        return [Candidate(face_id, person_id, name, 1.0 - float(dist)) for face_id, person_id, name, dist in rows]


def _encode_token(created_at: datetime, face_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{face_id}".encode()).decode()


def _decode_token(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, face_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(face_id)
    except ValueError as exc:
        raise InvalidArgument("The page token is not valid.") from exc


async def list_faces(
    session: AsyncSession, collection_name: str, page_size: int, page_token: str, with_images: bool
) -> tuple[list[StoredFace], str]:
    """One page, oldest first, with the token of the next page ('' after the last)."""
    async with session.begin():
        collection = (
            await session.execute(select(Collection).where(Collection.name == collection_name))
        ).scalar_one_or_none()
        if collection is None:
            return [], ""
        query = (
            select(Face, Person.name)
            .join(Person, Person.id == Face.person_id)
            .where(Face.collection_id == collection.id)
            .order_by(Face.created_at, Face.id)
            .limit(page_size + 1)
        )
        if page_token:
            query = query.where(tuple_(Face.created_at, Face.id) > tuple_(*_decode_token(page_token)))
        rows = (await session.execute(query)).all()
        faces = [_stored(face, name, collection, with_images) for face, name in rows[:page_size]]
        more = len(rows) > page_size
        return faces, _encode_token(faces[-1].created_at, faces[-1].face_id) if more else ""


async def delete_face(session: AsyncSession, collection_name: str, face_id: uuid.UUID) -> None:
    """Delete the face's row, its embedding and images with it. The person stays."""
    async with session.begin():
        collection_id = select(Collection.id).where(Collection.name == collection_name).scalar_subquery()
        person_id = await session.scalar(
            delete(Face).where(Face.id == face_id, Face.collection_id == collection_id).returning(Face.person_id)
        )
        if person_id is None:
            raise FaceNotFound(f"No face with id {face_id}.", face_id=str(face_id))
