"""API keys (stored by hash) and the audit log of who did what."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from facerec_common.errors import AlreadyExists, ApiKeyNotFound
from facerec_registry.store.connection import Database
from facerec_registry.store.records import ApiKeyInfo, AuditEntry
from facerec_registry.store.tables import ApiKey, AuditEvent


def _key_info(key: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(key.id, key.name, key.scope, list(key.collections), key.prefix, key.created_at, key.revoked_at)


def audit(session: AsyncSession, actor: str, action: str, collection: str | None, targets: list[str]) -> None:
    """Record who did what, in the caller's transaction: no delete without its audit row."""
    session.add(AuditEvent(actor=actor, action=action, collection=collection, targets=targets))


async def create_api_key(
    db: Database, name: str, scope: str, collections: list[str], key_sha256: str, prefix: str, actor: str
) -> ApiKeyInfo:
    try:
        async with db.transaction() as session:
            key = ApiKey(
                id=uuid.uuid4(), name=name, scope=scope, collections=collections, key_sha256=key_sha256, prefix=prefix
            )
            session.add(key)
            await session.flush()
            await session.refresh(key, ["created_at"])
            audit(session, actor, "key.create", None, [str(key.id)])
            return _key_info(key)
    except IntegrityError as exc:
        raise AlreadyExists("A key with this hash exists already.") from exc


async def list_api_keys(db: Database) -> list[ApiKeyInfo]:
    async with db.transaction() as session:
        return [_key_info(k) for k in await session.scalars(select(ApiKey).order_by(ApiKey.created_at))]


async def revoke_api_key(db: Database, key_id: uuid.UUID, actor: str) -> ApiKeyInfo:
    async with db.transaction() as session:
        key = (await session.execute(select(ApiKey).where(ApiKey.id == key_id).with_for_update())).scalar_one_or_none()
        if key is None:
            raise ApiKeyNotFound(f"No API key {key_id}.", key_id=str(key_id))
        if key.revoked_at is None:
            key.revoked_at = await session.scalar(select(func.now()))
            audit(session, actor, "key.revoke", None, [str(key_id)])
        await session.flush()
        return _key_info(key)


async def api_key_by_hash(db: Database, key_sha256: str) -> ApiKeyInfo:
    """The live key with this hash; a revoked or unknown one is not found."""
    async with db.transaction() as session:
        key = (
            await session.execute(select(ApiKey).where(ApiKey.key_sha256 == key_sha256, ApiKey.revoked_at.is_(None)))
        ).scalar_one_or_none()
        if key is None:
            raise ApiKeyNotFound("No live API key matches.")
        return _key_info(key)


async def list_audit_events(db: Database, collection: str | None, page_size: int, before_id: int) -> list[AuditEntry]:
    async with db.transaction() as session:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(page_size)
        if collection:
            query = query.where(AuditEvent.collection == collection)
        if before_id:
            query = query.where(AuditEvent.id < before_id)
        return [
            AuditEntry(e.id, e.at, e.actor, e.action, e.collection, list(e.targets))
            for e in await session.scalars(query)
        ]
