"""The change numbers search indexes follow (search.indexes says how they use them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_registry.store.tables import Collection, FaceTombstone


async def next_seq(session: AsyncSession, collection: Collection) -> int:
    """The collection's next change number. Writers hold the collection's row lock until they
    commit, so change numbers become visible in order: what search indexes rely on."""
    seq = await session.scalar(
        text("UPDATE collections SET change_seq = change_seq + 1 WHERE id = :id RETURNING change_seq"),
        {"id": collection.id},
    )
    return int(seq)


async def bury(session: AsyncSession, collection: Collection, face_ids: Sequence[uuid.UUID]) -> None:
    """Record deleted faces' ids under one change number, for every replica's index to drop."""
    if face_ids:
        seq = await next_seq(session, collection)
        await session.execute(
            insert(FaceTombstone), [{"collection_id": collection.id, "seq": seq, "face_id": f} for f in face_ids]
        )
