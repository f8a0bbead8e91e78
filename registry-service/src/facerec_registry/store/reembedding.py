"""Re-embedding a collection with another model: its aligned crops out, new vectors staged, then
swapped in all at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, tuple_, update

from facerec_common.errors import ReembeddingIncomplete
from facerec_registry.face_arrays import Vector
from facerec_registry.store.change_log import next_seq
from facerec_registry.store.connection import Database
from facerec_registry.store.lookups import collection_info, find_collection
from facerec_registry.store.paging import Page, decode_token, encode_token
from facerec_registry.store.records import AlignedCrop, CollectionInfo, ModelRef
from facerec_registry.store.tables import Collection, Face


async def list_aligned_crops(
    db: Database, collection_name: str, page_size: int, token: str, unstaged_for_version: str
) -> Page[AlignedCrop]:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
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
    db: Database, collection_name: str, model: ModelRef, vectors: Sequence[tuple[uuid.UUID, Vector]]
) -> int:
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name)
        staged = 0
        for face_id, embedding in vectors:
            result = await session.execute(
                update(Face)
                .where(Face.id == face_id, Face.collection_id == collection.id)
                .values(pending_embedding=embedding, pending_model_version=model.version)
            )
            staged += result.rowcount  # type: ignore[attr-defined]
        return staged


async def commit_reembedding(db: Database, collection_name: str, model: ModelRef) -> CollectionInfo:
    """Swap every face to its staged vector of `model` and bind the collection to it, all at once."""
    async with db.transaction() as session:
        collection = await find_collection(session, collection_name, for_update=True)
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
        seq = await next_seq(session, collection)
        await session.execute(update(Collection).where(Collection.id == collection.id).values(reload_seq=seq))
        await session.refresh(collection)
        return await collection_info(session, collection)
