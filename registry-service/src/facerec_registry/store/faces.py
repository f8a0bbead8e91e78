"""Faces: enrol (a change indexes follow), read, list, delete (tombstoned for the indexes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, text, tuple_

from facerec_common.errors import FaceNotFound
from facerec_registry.store.change_log import bury, next_seq
from facerec_registry.store.connection import Database
from facerec_registry.store.keys import audit
from facerec_registry.store.lookups import bind_model, find_collection, find_person, stored
from facerec_registry.store.paging import Page, decode_token, encode_token
from facerec_registry.store.records import ModelRef, NewFace, StoredFace
from facerec_registry.store.tables import Face, Person


async def enrol(
    db: Database,
    collection_name: str,
    model: ModelRef,
    new: NewFace,
    person_id: uuid.UUID | None = None,
    person_name: str | None = None,
) -> StoredFace:
    """Store a face for person_id, or for the person named person_name (created, with the
    collection, on first use)."""
    async with db.transaction() as session:
        if person_id is None:
            # The by-name path (seed API) creates what it needs; the lock below serialises it.
            await session.execute(
                text("INSERT INTO collections (id, name) VALUES (:id, :name) ON CONFLICT (name) DO NOTHING"),
                {"id": uuid.uuid4(), "name": collection_name},
            )
        collection = await find_collection(session, collection_name, for_update=True)
        await bind_model(session, collection, model)
        if person_id is not None:
            person = await find_person(session, collection, person_id, lock="key_share")
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
        seq = await next_seq(session, collection)
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
        return stored(face, person.name, collection, with_image=False)


async def get_face(db: Database, collection_name: str, face_id: uuid.UUID, with_image: bool) -> StoredFace:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        row = (
            await session.execute(
                select(Face, Person.name)
                .join(Person, Person.id == Face.person_id)
                .where(Face.id == face_id, Face.collection_id == collection.id)
            )
        ).one_or_none()
        if row is None:
            raise FaceNotFound(f"No face {face_id} in collection '{collection_name}'.", face_id=str(face_id))
        return stored(row[0], row[1], collection, with_image)


async def list_faces(
    db: Database,
    collection_name: str,
    page_size: int,
    token: str,
    with_images: bool,
    person_id: uuid.UUID | None = None,
) -> Page[StoredFace]:
    """One page, oldest first."""
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        query = (
            select(Face, Person.name)
            .join(Person, Person.id == Face.person_id)
            .where(Face.collection_id == collection.id)
            .order_by(Face.created_at, Face.id)
            .limit(page_size + 1)
        )
        if person_id is not None:
            await find_person(session, collection, person_id)
            query = query.where(Face.person_id == person_id)
        if token:
            query = query.where(tuple_(Face.created_at, Face.id) > tuple_(*decode_token(token)))
        rows = (await session.execute(query)).all()
        faces = [stored(face, name, collection, with_images) for face, name in rows[:page_size]]
        more = len(rows) > page_size
        return Page(faces, encode_token(faces[-1].created_at, faces[-1].face_id) if more else "")


async def delete_face(
    db: Database, collection_name: str, face_id: uuid.UUID, actor: str, delete_empty_person: bool = False
) -> None:
    """Delete the face's row, its embedding and images with it. The person stays, unless asked
    to go once it has no face left (in the same transaction)."""
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name, for_update=True)
        person_id = await session.scalar(
            delete(Face).where(Face.id == face_id, Face.collection_id == collection.id).returning(Face.person_id)
        )
        if person_id is None:
            raise FaceNotFound(f"No face {face_id} in collection '{collection_name}'.", face_id=str(face_id))
        await bury(session, collection, [face_id])
        audit(session, actor, "face.delete", collection_name, [str(face_id)])
        if (
            delete_empty_person
            and await session.scalar(select(Face.id).where(Face.person_id == person_id).limit(1)) is None
        ):
            await session.execute(delete(Person).where(Person.id == person_id))
            audit(session, actor, "person.delete", collection_name, [str(person_id)])


async def delete_faces(
    db: Database, collection_name: str, face_ids: Sequence[uuid.UUID], actor: str
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(deleted, not found), each in request order."""
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name, for_update=True)
        deleted = set(
            (
                await session.scalars(
                    delete(Face).where(Face.id.in_(face_ids), Face.collection_id == collection.id).returning(Face.id)
                )
            ).all()
        )
        if deleted:
            await bury(session, collection, sorted(deleted))
            audit(session, actor, "face.delete", collection_name, [str(f) for f in face_ids if f in deleted])
        return [f for f in face_ids if f in deleted], [f for f in face_ids if f not in deleted]
