"""Cameras, and their leases to stream-service replicas.

A replica's heartbeat (`lease_cameras`) is one transaction under an advisory lock, so two
replicas never reason about the same leases at once: it renews the replica's leases, drops
replicas silent for longer than their lease, takes free or lapsed cameras up to the replica's
fair share (ceil(cameras / live replicas)) and lets go of those over it. A replica killed stops
renewing: its cameras are free once its leases lapse. A replica that joins raises the count, the
others hand back their surplus on their next heartbeat and it takes them.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from facerec_common.errors import CameraExists, CameraNotFound, InvalidArgument
from facerec_registry.store.clock import database_now
from facerec_registry.store.connection import Database
from facerec_registry.store.keys import audit
from facerec_registry.store.records import CameraInfo
from facerec_registry.store.tables import Camera, CameraLease, CameraStateRow, StreamReplica

# pg_advisory_xact_lock key of lease rounds ("FCAM").
LEASE_LOCK = 0x4643414D


def _info(
    camera: Camera, lease: CameraLease | None, state: CameraStateRow | None, now: datetime, *, frame: bool
) -> CameraInfo:
    current = lease is not None and lease.expires_at >= now
    holder = lease.holder if current and lease is not None else ""
    reported = state is not None and state.holder == holder and holder != ""
    return CameraInfo(
        camera.name,
        camera.source_url,
        camera.collection,
        camera.fps,
        camera.min_face_px,
        camera.enabled,
        camera.created_at,
        camera.updated_at,
        holder,
        state.state if reported and state is not None else None,
        state.reported_at if reported and state is not None else None,
        state.last_frame_jpeg if frame and reported and state is not None else None,
    )


async def put_camera(
    db: Database,
    name: str,
    source_url: str,
    collection: str,
    fps: float,
    min_face_px: float,
    enabled: bool,
    actor: str,
    *,
    create_only: bool = False,
) -> CameraInfo:
    """Create the camera, or replace the one of that name; an empty source_url keeps its source
    (nobody but stream replicas can read it back to send it again)."""
    values: dict[str, Any] = {"collection": collection, "fps": fps, "min_face_px": min_face_px, "enabled": enabled}
    try:
        return await _put(db, name, source_url, values, actor, create_only=create_only)
    except IntegrityError as exc:  # created meanwhile by another call (the row did not exist to lock)
        if create_only:
            raise CameraExists(f"A camera is named '{name}' already.", camera=name) from exc
        return await _put(db, name, source_url, values, actor, create_only=False)


async def _put(
    db: Database, name: str, source_url: str, values: dict[str, Any], actor: str, *, create_only: bool
) -> CameraInfo:
    async with db.transaction() as session:
        # Under the lease lock: a heartbeat never renews a lease of a camera changing under it.
        await session.execute(select(func.pg_advisory_xact_lock(LEASE_LOCK)))
        now = await database_now(session)
        camera = await session.scalar(select(Camera).where(Camera.name == name).with_for_update())
        if camera is not None and create_only:
            raise CameraExists(f"A camera is named '{name}' already.", camera=name)
        if camera is None:
            if not source_url:
                raise InvalidArgument("A new camera needs its source_url.", field="source_url")
            camera = Camera(id=uuid.uuid4(), name=name, source_url=source_url, **values)
            session.add(camera)
        else:
            for field, value in values.items():
                setattr(camera, field, value)
            if source_url:
                camera.source_url = source_url
            camera.updated_at = now
        await session.flush()
        await session.refresh(camera, ["created_at", "updated_at"])
        if not values["enabled"]:
            await session.execute(delete(CameraLease).where(CameraLease.camera_id == camera.id))
        audit(session, actor, "camera.put", values["collection"], [name])
        return await _view(session, camera, now, frame=False)


async def get_camera(db: Database, name: str, *, frame: bool = False) -> CameraInfo:
    async with db.transaction() as session:
        camera = await session.scalar(select(Camera).where(Camera.name == name))
        if camera is None:
            raise CameraNotFound(f"No camera is named '{name}'.", camera=name)
        return await _view(session, camera, await database_now(session), frame=frame)


async def list_cameras(db: Database) -> list[CameraInfo]:
    async with db.transaction() as session:
        now = await database_now(session)
        leases = {lease.camera_id: lease for lease in await session.scalars(select(CameraLease))}
        states = {
            row.camera_id: row
            for row in await session.scalars(select(CameraStateRow).options(defer(CameraStateRow.last_frame_jpeg)))
        }
        return [
            _info(c, leases.get(c.id), states.get(c.id), now, frame=False)
            for c in await session.scalars(select(Camera).order_by(Camera.name))
        ]


async def delete_camera(db: Database, name: str, actor: str) -> None:
    async with db.transaction() as session:
        await session.execute(select(func.pg_advisory_xact_lock(LEASE_LOCK)))
        camera = await session.scalar(select(Camera).where(Camera.name == name))
        if camera is None:
            raise CameraNotFound(f"No camera is named '{name}'.", camera=name)
        await session.delete(camera)
        audit(session, actor, "camera.delete", camera.collection, [name])


async def _view(session: AsyncSession, camera: Camera, now: datetime, *, frame: bool) -> CameraInfo:
    lease = await session.get(CameraLease, camera.id)
    state = await session.get(CameraStateRow, camera.id)
    return _info(camera, lease, state, now, frame=frame)


async def lease_cameras(
    db: Database, holder: str, lease_s: float, reports: dict[str, tuple[dict[str, Any], bytes | None]]
) -> tuple[list[CameraInfo], int]:
    """One heartbeat of `holder`: the cameras it holds after it, and how many replicas share them."""
    async with db.transaction() as session:
        await session.execute(select(func.pg_advisory_xact_lock(LEASE_LOCK)))
        now = await database_now(session)
        until = now + timedelta(seconds=lease_s)
        await session.execute(
            insert(StreamReplica)
            .values(holder=holder, seen_at=now, lease_seconds=lease_s)
            .on_conflict_do_update(
                index_elements=[StreamReplica.holder], set_={"seen_at": now, "lease_seconds": lease_s}
            )
        )
        replicas = list(await session.scalars(select(StreamReplica)))
        for silent in [r for r in replicas if r.seen_at + timedelta(seconds=r.lease_seconds) < now]:
            await session.delete(silent)
        live = sum(1 for r in replicas if r.seen_at + timedelta(seconds=r.lease_seconds) >= now)

        cameras = list(await session.scalars(select(Camera).where(Camera.enabled).order_by(Camera.name)))
        leases = {lease.camera_id: lease for lease in await session.scalars(select(CameraLease))}
        mine = [leases[c.id] for c in cameras if c.id in leases and leases[c.id].holder == holder]
        free = [
            c
            for c in cameras
            if c.id not in leases or (leases[c.id].expires_at < now and leases[c.id].holder != holder)
        ]
        share = math.ceil(len(cameras) / max(live, 1))

        # Over the share: the most recently taken go back (the longest-held stay where they run).
        mine.sort(key=lambda lease: lease.acquired_at)
        for surplus in mine[share:]:
            await session.delete(surplus)
        mine = mine[:share]
        for lease in mine:
            lease.expires_at = until
        for camera in free[: max(0, share - len(mine))]:
            taken = leases.get(camera.id)
            if taken is not None:
                await session.delete(taken)
                await session.flush()
            lease = CameraLease(camera_id=camera.id, holder=holder, expires_at=until, acquired_at=now)
            session.add(lease)
            mine.append(lease)

        held = {lease.camera_id for lease in mine}
        by_name = {c.name: c for c in cameras}
        for name, (state, frame) in reports.items():
            reported = by_name.get(name)
            if reported is None or reported.id not in held:
                continue  # no longer this replica's: its report is stale
            await session.execute(
                insert(CameraStateRow)
                .values(camera_id=reported.id, holder=holder, state=state, last_frame_jpeg=frame, reported_at=now)
                .on_conflict_do_update(
                    index_elements=[CameraStateRow.camera_id],
                    set_={"holder": holder, "state": state, "last_frame_jpeg": frame, "reported_at": now},
                )
            )
        await session.flush()
        return [_info(c, None, None, now, frame=False) for c in cameras if c.id in held], live


async def release_cameras(db: Database, holder: str) -> None:
    """A replica stopping: its cameras free now, itself no longer counted."""
    async with db.transaction() as session:
        await session.execute(select(func.pg_advisory_xact_lock(LEASE_LOCK)))
        await session.execute(delete(CameraLease).where(CameraLease.holder == holder))
        await session.execute(delete(StreamReplica).where(StreamReplica.holder == holder))
