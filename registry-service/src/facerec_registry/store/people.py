"""People of a collection: create, read, list, update (a rename is a change indexes follow), delete."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.exc import IntegrityError

from facerec_common.errors import PersonNotFound
from facerec_registry.store.change_log import bury, next_seq
from facerec_registry.store.connection import Database
from facerec_registry.store.keys import audit
from facerec_registry.store.lookups import find_collection, find_person, integrity_error, people_info, person_info
from facerec_registry.store.paging import Page, decode_token, encode_token
from facerec_registry.store.records import PersonInfo
from facerec_registry.store.tables import Face, Person


async def create_person(
    db: Database, collection_name: str, name: str, external_id: str | None, metadata: dict[str, Any]
) -> PersonInfo:
    try:
        async with db.transaction() as session:
            collection = await find_collection(session, collection_name)
            person = Person(
                id=uuid.uuid4(), collection_id=collection.id, name=name, external_id=external_id, metadata_=metadata
            )
            session.add(person)
            await session.flush()
            await session.refresh(person, ["created_at"])
            return await person_info(session, person, collection)
    except IntegrityError as exc:
        raise integrity_error(exc, collection_name, external_id) from exc


async def get_person(db: Database, collection_name: str, person_id: uuid.UUID) -> PersonInfo:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        return await person_info(session, await find_person(session, collection, person_id), collection)


async def list_people(db: Database, collection_name: str, page_size: int, token: str) -> Page[PersonInfo]:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        query = (
            select(Person)
            .where(Person.collection_id == collection.id)
            .order_by(Person.created_at, Person.id)
            .limit(page_size + 1)
        )
        if token:
            query = query.where(tuple_(Person.created_at, Person.id) > tuple_(*decode_token(token)))
        rows = list((await session.execute(query)).scalars())
        items = await people_info(session, rows[:page_size], collection)
        last = rows[page_size - 1] if len(rows) > page_size else None
        return Page(items, encode_token(last.created_at, last.id) if last else "")


async def update_person(
    db: Database,
    collection_name: str,
    person_id: uuid.UUID,
    name: str | None,
    external_id: str | None,
    metadata: dict[str, Any] | None,
    replace_metadata: bool,
) -> PersonInfo:
    try:
        async with db.transaction() as session:
            # A rename is a change search indexes follow (they hold names): the collection's row
            # lock first, as every writer takes it.
            collection = await find_collection(session, collection_name, for_update=name is not None)
            person = await find_person(session, collection, person_id, lock="update")
            if name is not None and name != person.name:
                person.name = name
                person.seq = await next_seq(session, collection)
            if external_id is not None:
                person.external_id = external_id or None
            if metadata is not None:
                person.metadata_ = metadata if replace_metadata else {**(person.metadata_ or {}), **metadata}
            await session.flush()
            return await person_info(session, person, collection)
    except IntegrityError as exc:
        raise integrity_error(exc, collection_name, external_id) from exc


async def delete_person(db: Database, collection_name: str, person_id: uuid.UUID, actor: str) -> None:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name, for_update=True)
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
        await bury(session, collection, faces)
        audit(session, actor, "person.delete", collection_name, [str(person_id)])
