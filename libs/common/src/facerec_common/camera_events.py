"""A camera event as JSON: one shape for REST answers, webhooks and MQTT messages."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2


def iso(stamp: Timestamp) -> str:
    """RFC 3339 in UTC, as the REST API writes every time."""
    return stamp.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def event_document(event: cameras_pb2.CameraEvent) -> dict[str, Any]:
    """The event without its crop (REST links it, webhooks inline it, MQTT publishes it apart)."""
    return {
        "event_id": event.event_id,
        "camera": event.camera,
        "collection": event.collection,
        "person": {"id": event.person_id, "name": event.person_name} if event.person_id else None,
        "score": round(event.score, 4),
        "threshold": round(event.threshold, 4),
        "first_seen": iso(event.first_seen),
        "last_seen": iso(event.last_seen),
        "track_count": event.track_count,
        "ended": event.ended,
    }
