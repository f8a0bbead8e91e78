"""Camera events and their delivery outbox.

An event is written with its deliveries in one transaction, so whatever is recorded is delivered
at least once, across any restart; deliveries are claimed with FOR UPDATE SKIP LOCKED, so stream
replicas share the work and never send one delivery twice at the same time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import defer

from facerec_common.errors import EventNotFound
from facerec_registry.store.clock import database_now
from facerec_registry.store.connection import Database
from facerec_registry.store.paging import Page, decode_token, encode_token
from facerec_registry.store.records import DeliveryInfo, EventInfo
from facerec_registry.store.tables import CameraEvent, OutboxRow

STATUSES = ("pending", "delivered", "dead")
PURGE_BATCH = 10_000
# pg_try_advisory_xact_lock key of the retention purge ("FEVP").
PURGE_LOCK = 0x46455650


def _info(row: CameraEvent, *, crop: bool = True) -> EventInfo:
    return EventInfo(
        row.id,
        row.camera,
        row.collection,
        row.person_id,
        row.person_name,
        row.score,
        row.threshold,
        row.first_seen,
        row.last_seen,
        row.crop_jpeg if crop else None,
        row.track_count,
        row.ended,
    )


async def record_event(db: Database, event: EventInfo, deliver_to: list[str], kind: str) -> None:
    """Create or update the event; a later write never moves last_seen back or loses the crop."""
    values = {
        "camera": event.camera,
        "collection": event.collection,
        "person_id": event.person_id,
        "person_name": event.person_name,
        "score": event.score,
        "threshold": event.threshold,
        "first_seen": event.first_seen,
        "last_seen": event.last_seen,
        "crop_jpeg": event.crop_jpeg or None,
        "track_count": event.track_count,
        "ended": event.ended,
    }
    statement = insert(CameraEvent).values(id=event.event_id, **values)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[CameraEvent.id],
        set_={
            "person_id": func.coalesce(new.person_id, CameraEvent.person_id),
            "person_name": func.coalesce(new.person_name, CameraEvent.person_name),
            "score": func.greatest(new.score, CameraEvent.score),
            "threshold": new.threshold,
            "last_seen": func.greatest(new.last_seen, CameraEvent.last_seen),
            "crop_jpeg": func.coalesce(new.crop_jpeg, CameraEvent.crop_jpeg),
            "track_count": func.greatest(new.track_count, CameraEvent.track_count),
            # Once ended, ended: a late write of an older state never reopens it.
            "ended": CameraEvent.ended | new.ended,
        },
    )
    async with db.transaction() as session:
        await session.execute(statement)
        if deliver_to:
            # One delivery per event, sink and kind: a write retried after a lost answer queues
            # nothing twice.
            rows = [{"event_id": event.event_id, "sink": sink, "kind": kind} for sink in dict.fromkeys(deliver_to)]
            await session.execute(insert(OutboxRow).values(rows).on_conflict_do_nothing())


async def get_event(db: Database, event_id: uuid.UUID) -> EventInfo:
    async with db.transaction() as session:
        row = await session.get(CameraEvent, event_id)
        if row is None:
            raise EventNotFound(f"No event has the id {event_id}.", event_id=str(event_id))
        return _info(row)


async def list_events(
    db: Database,
    *,
    camera: str,
    person_id: uuid.UUID | None,
    unknown_only: bool,
    since: datetime | None,
    until: datetime | None,
    collections: list[str],
    page_size: int,
    page_token: str,
    crops: bool,
) -> Page[EventInfo]:
    """Newest first by first_seen (which never changes, so pages stay stable while events grow)."""
    query = select(CameraEvent).order_by(CameraEvent.first_seen.desc(), CameraEvent.id.desc()).limit(page_size + 1)
    if not crops:
        query = query.options(defer(CameraEvent.crop_jpeg))
    if camera:
        query = query.where(CameraEvent.camera == camera)
    if person_id is not None:
        query = query.where(CameraEvent.person_id == person_id)
    if unknown_only:
        query = query.where(CameraEvent.person_id.is_(None))
    if since is not None:
        query = query.where(CameraEvent.first_seen >= since)
    if until is not None:
        query = query.where(CameraEvent.first_seen < until)
    if collections:
        query = query.where(CameraEvent.collection.in_(collections))
    if page_token:
        first_seen, event_id = decode_token(page_token)
        query = query.where(tuple_(CameraEvent.first_seen, CameraEvent.id) < tuple_(first_seen, event_id))
    async with db.transaction() as session:
        rows = list(await session.scalars(query))
    more = len(rows) > page_size
    rows = rows[:page_size]
    token = encode_token(rows[-1].first_seen, rows[-1].id) if more and rows else ""
    return Page([_info(r, crop=crops) for r in rows], token)


async def purge_events(db: Database, older_than_days: float) -> int:
    """Events last seen before the retention, with their deliveries (cascade), a batch per
    transaction; one registry replica at a time (the others find the lock taken and skip)."""
    purged = 0
    while True:
        async with db.transaction() as session:
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(PURGE_LOCK))):
                return purged
            cutoff = await database_now(session) - timedelta(days=older_than_days)
            batch = select(CameraEvent.id).where(CameraEvent.last_seen < cutoff).limit(PURGE_BATCH)
            result = await session.execute(delete(CameraEvent).where(CameraEvent.id.in_(batch.scalar_subquery())))
            done = int(result.rowcount or 0)  # type: ignore[attr-defined]
        purged += done
        if done < PURGE_BATCH:
            return purged


def _delivery(row: OutboxRow, event: CameraEvent | None, *, crop: bool = True) -> DeliveryInfo:
    return DeliveryInfo(
        row.id,
        row.sink,
        row.kind,
        row.status,
        row.attempts,
        row.last_error,
        row.created_at,
        row.next_attempt_at,
        _info(event, crop=crop) if event is not None else None,
    )


async def claim_deliveries(db: Database, sinks: list[str], limit: int, lease_s: float) -> list[DeliveryInfo]:
    """Due deliveries of these sinks, oldest first, each kept from other claimers for lease_s."""
    async with db.transaction() as session:
        now = await database_now(session)
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, OutboxRow.sink.in_(sinks))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(
            await session.scalars(
                update(OutboxRow)
                .where(OutboxRow.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + timedelta(seconds=lease_s))
                .returning(OutboxRow)
            )
        )
        events = {
            e.id: e
            for e in await session.scalars(select(CameraEvent).where(CameraEvent.id.in_({r.event_id for r in rows})))
        }
        rows.sort(key=lambda r: r.id)
        return [_delivery(r, events.get(r.event_id)) for r in rows]


async def settle_delivery(
    db: Database, delivery_id: int, *, delivered: bool, error: str, retry_after_s: float, dead: bool
) -> None:
    async with db.transaction() as session:
        now = await database_now(session)
        row = await session.get(OutboxRow, delivery_id, with_for_update=True)
        if row is None or row.status != "pending":
            return  # settled already (a lapsed claim retried elsewhere), or purged with its event
        row.attempts += 1
        row.last_error = "" if delivered else error[:2000]
        if delivered:
            row.status, row.delivered_at = "delivered", now
        elif dead:
            row.status = "dead"
        else:
            row.next_attempt_at = now + timedelta(seconds=retry_after_s)


async def list_deliveries(db: Database, status: str, sink: str, limit: int) -> list[DeliveryInfo]:
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxRow.status == status)
    if sink:
        query = query.where(OutboxRow.sink == sink)
    async with db.transaction() as session:
        rows = list(await session.scalars(query))
        events = {
            e.id: e
            for e in await session.scalars(
                select(CameraEvent)
                .where(CameraEvent.id.in_({r.event_id for r in rows}))
                .options(defer(CameraEvent.crop_jpeg))
            )
        }
        return [_delivery(r, events.get(r.event_id), crop=False) for r in rows]


async def retry_dead(db: Database, sink: str) -> int:
    """Dead deliveries (of one sink, or all) due again now, their attempts counted afresh."""
    async with db.transaction() as session:
        now = await database_now(session)
        query = update(OutboxRow).where(OutboxRow.status == "dead")
        if sink:
            query = query.where(OutboxRow.sink == sink)
        result = await session.execute(query.values(status="pending", attempts=0, next_attempt_at=now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
