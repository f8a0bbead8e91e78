"""What the store answers with: plain records, no database objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from facerec_registry.face_arrays import Vector


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    dimension: int


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    model: ModelRef | None
    people_count: int
    face_count: int
    created_at: datetime
    target_fpir: float | None = None


@dataclass(frozen=True)
class CollectionState:
    """A collection's row as the search index follows it: where an index must be to answer."""

    collection_id: uuid.UUID
    name: str
    model_version: str
    dimension: int
    change_seq: int
    reload_seq: int


@dataclass(frozen=True)
class PersonInfo:
    person_id: uuid.UUID
    collection: str
    name: str
    external_id: str | None
    metadata: dict[str, Any]
    face_count: int
    created_at: datetime


@dataclass(frozen=True)
class NewFace:
    embedding: Vector
    box: tuple[float, float, float, float]
    detection_score: float
    display_image: bytes | None
    aligned_pixels: bytes | None
    aligned_width: int | None
    aligned_height: int | None


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


@dataclass(frozen=True)
class AlignedCrop:
    face_id: uuid.UUID
    pixels: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: uuid.UUID
    name: str
    scope: str
    collections: list[str]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    event_id: int
    at: datetime
    actor: str
    action: str
    collection: str | None
    targets: list[str]


@dataclass(frozen=True)
class CameraInfo:
    name: str
    source_url: str  # credentials included: the servicer redacts it for everyone but stream replicas
    collection: str
    fps: float
    min_face_px: float
    enabled: bool
    created_at: datetime
    updated_at: datetime
    holder: str = ""  # the replica whose lease is current; empty: none
    state: dict[str, Any] | None = None  # as its holder last reported
    reported_at: datetime | None = None
    last_frame_jpeg: bytes | None = None


@dataclass(frozen=True)
class EventInfo:
    event_id: uuid.UUID
    camera: str
    collection: str
    person_id: uuid.UUID | None  # None: unknown
    person_name: str | None
    score: float
    threshold: float
    first_seen: datetime
    last_seen: datetime
    crop_jpeg: bytes | None
    track_count: int
    ended: bool


@dataclass(frozen=True)
class DeliveryInfo:
    delivery_id: int
    sink: str
    kind: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime
    event: EventInfo | None
