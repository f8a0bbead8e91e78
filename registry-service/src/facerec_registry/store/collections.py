"""Collections: create, read, list, set their target FPIR, delete (with everything in them)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, text, tuple_

from facerec_common.errors import CollectionExists, CollectionNotFound
from facerec_registry.store.connection import Database
from facerec_registry.store.keys import audit
from facerec_registry.store.lookups import collection_info, find_collection
from facerec_registry.store.paging import Page, decode_token, encode_token
from facerec_registry.store.records import CollectionInfo
from facerec_registry.store.tables import Collection


async def create_collection(db: Database, name: str, target_fpir: float | None = None) -> CollectionInfo:
    async with db.transaction() as session:
        inserted = await session.scalar(
            text(
                "INSERT INTO collections (id, name, target_fpir) VALUES (:id, :name, :fpir) "
                "ON CONFLICT (name) DO NOTHING RETURNING id"
            ),
            {"id": uuid.uuid4(), "name": name, "fpir": target_fpir},
        )
        if inserted is None:
            raise CollectionExists(f"Collection '{name}' exists already.", collection=name)
        return await collection_info(session, await find_collection(session, name))


async def set_target_fpir(db: Database, name: str, target_fpir: float | None, actor: str) -> CollectionInfo:
    async with db.transaction() as session:
        collection = await find_collection(session, name, for_update=True)
        collection.target_fpir = target_fpir
        audit(session, actor, "collection.update", name, [name])
        return await collection_info(session, collection)


async def get_collection(db: Database, name: str) -> CollectionInfo:
    async with db.transaction() as session:
        return await collection_info(session, await find_collection(session, name))


async def list_collections(db: Database, page_size: int, token: str) -> Page[CollectionInfo]:
    async with db.transaction() as session:
        query = select(Collection).order_by(Collection.created_at, Collection.id).limit(page_size + 1)
        if token:
            query = query.where(tuple_(Collection.created_at, Collection.id) > tuple_(*decode_token(token)))
        rows = list((await session.execute(query)).scalars())
        items = [await collection_info(session, c) for c in rows[:page_size]]
        last = rows[page_size - 1] if len(rows) > page_size else None
        return Page(items, encode_token(last.created_at, last.id) if last else "")


async def delete_collection(db: Database, name: str, actor: str) -> None:
    async with db.transaction() as session:
        # People and faces go with it (ON DELETE CASCADE), embeddings and images included.
        deleted = await session.scalar(delete(Collection).where(Collection.name == name).returning(Collection.id))
        if deleted is None:
            raise CollectionNotFound(f"No collection named '{name}'.", collection=name)
        audit(session, actor, "collection.delete", name, [name])
