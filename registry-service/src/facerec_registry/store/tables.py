"""ORM mapping of the registry's tables; the schema itself is defined by the Alembic migrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # Unset until the first face is enrolled.
    model_name: Mapped[str | None] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64))
    dimension: Mapped[int | None] = mapped_column(Integer)
    # Every write bumps change_seq under this row's lock; search indexes follow it (see search.indexes).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    reload_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Share of strangers an identify may match to someone; unset: the registry's default.
    target_fpir: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Person(Base):
    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The change number of the last rename (0: never renamed), for the search indexes' names.
    seq: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Face(Base):
    __tablename__ = "faces"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    embedding: Mapped[list[float]] = mapped_column(Vector())
    model_version: Mapped[str] = mapped_column(String(64))
    box_x: Mapped[float] = mapped_column(Float)
    box_y: Mapped[float] = mapped_column(Float)
    box_width: Mapped[float] = mapped_column(Float)
    box_height: Mapped[float] = mapped_column(Float)
    detection_score: Mapped[float] = mapped_column(Float)
    # Both optional: faces imported without images have neither.
    display_image: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Raw 8-bit RGB of the aligned crop, kept so a collection can be re-embedded.
    aligned_pixels: Mapped[bytes | None] = mapped_column(LargeBinary)
    aligned_width: Mapped[int | None] = mapped_column(Integer)
    aligned_height: Mapped[int | None] = mapped_column(Integer)
    # The collection's change_seq of the write that added it.
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Re-embedding stages the new model's vector here, then swaps it in atomically.
    pending_embedding: Mapped[list[float] | None] = mapped_column(Vector())
    pending_model_version: Mapped[str | None] = mapped_column(String(64))


class FaceTombstone(Base):
    """A deleted face's id (nothing biometric), so replicas drop it from their indexes."""

    __tablename__ = "face_tombstones"

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    face_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ImportReceipt(Base):
    """What an import with an idempotency key did, committed with it: the same key again gets
    this answer instead of a second copy of the file."""

    __tablename__ = "import_receipts"

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The file's header line and new_ids, hashed: the same key with another file is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    people_imported: Mapped[int] = mapped_column(BigInteger)
    faces_imported: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))
    collections: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    collection: Mapped[str | None] = mapped_column(String(64))
    targets: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    source_url: Mapped[str] = mapped_column(Text)
    collection: Mapped[str] = mapped_column(String(64))
    fps: Mapped[float] = mapped_column(Float)
    min_face_px: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StreamReplica(Base):
    __tablename__ = "stream_replicas"

    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_seconds: Mapped[float] = mapped_column(Float)


class CameraLease(Base):
    __tablename__ = "camera_leases"

    camera_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CameraStateRow(Base):
    __tablename__ = "camera_states"

    camera_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    state: Mapped[dict[str, Any]] = mapped_column(JSONB)
    last_frame_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CameraEvent(Base):
    __tablename__ = "camera_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    camera: Mapped[str] = mapped_column(String(64))
    collection: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[uuid.UUID | None] = mapped_column()
    person_name: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crop_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    track_count: Mapped[int] = mapped_column(Integer)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxRow(Base):
    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("camera_events.id", ondelete="CASCADE"))
    sink: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
