"""Camera events (one per person seen) and their deliveries to webhooks and MQTT."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from facerec.registry.v1 import cameras_pb2
from facerec_common.errors import EventNotFound, InvalidArgument
from facerec_common.names import COLLECTION_NAME_ANCHORED
from facerec_gateway.dependencies import FacesDep, get_principal
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.security import Principal
from facerec_gateway.v1.schemas import Similarity

router = APIRouter(tags=["events"], responses=ERRORS, route_class=JsonRoute)
Caller = Annotated[Principal, Depends(get_principal)]
EventId = Annotated[uuid.UUID, Path(description="The event's id.")]
SINK_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"  # "mqtt", "webhook:<name>"


class EventPerson(BaseModel):
    id: str
    name: str


class CameraEvent(BaseModel):
    event_id: str = Field(description="Stable across updates: deliveries of one event carry the same id.")
    camera: str
    collection: str
    person: EventPerson | None = Field(description="Null: somebody not enrolled (one event per stranger).")
    score: Similarity = Field(description="Best similarity to the person (or, unknown, to anyone) seen.")
    threshold: float = Field(description="The collection's open-set threshold it was decided at.")
    first_seen: datetime
    last_seen: datetime
    track_count: int = Field(description="Appearances folded into the event (seen again within the cooldown).")
    ended: bool = Field(description="True once the cooldown passed without a sighting: the event is final.")
    crop_url: str = Field(description="The event's best face (JPEG).")


class EventPage(BaseModel):
    events: list[CameraEvent]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class Delivery(BaseModel):
    delivery_id: int
    sink: str = Field(examples=["webhook:hr", "mqtt"])
    kind: Literal["new", "update", "end"]
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime
    event_id: str


def _event(e: cameras_pb2.CameraEvent) -> CameraEvent:
    return CameraEvent(
        event_id=e.event_id,
        camera=e.camera,
        collection=e.collection,
        person=EventPerson(id=e.person_id, name=e.person_name) if e.person_id else None,
        score=round(e.score, 4),
        threshold=round(e.threshold, 4),
        first_seen=e.first_seen.ToDatetime(tzinfo=UTC),
        last_seen=e.last_seen.ToDatetime(tzinfo=UTC),
        track_count=e.track_count,
        ended=e.ended,
        crop_url=f"/api/v1/events/{e.event_id}/crop.jpg",
    )


def _stamp(at: datetime) -> Timestamp:
    if at.tzinfo is None:
        raise InvalidArgument("Times need their zone, e.g. 2026-12-07T09:00:00Z.")
    stamp = Timestamp()
    try:
        stamp.FromDatetime(at)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument("A time is out of range (years 1-9999, in UTC).") from exc
    return stamp


@router.get("/events", response_model=EventPage)
async def list_events(
    faces: FacesDep,
    who: Caller,
    camera: Annotated[str | None, Query(pattern=COLLECTION_NAME_ANCHORED)] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    unknown: Annotated[bool, Query(description="Only events of people not enrolled.")] = False,
    since: Annotated[datetime | None, Query(description="first_seen at or after (RFC 3339, with zone).")] = None,
    until: Annotated[datetime | None, Query(description="first_seen before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> EventPage:
    """Events, newest first (by first_seen), as far back as the retention keeps them."""
    who.require("read")
    request = cameras_pb2.ListEventsRequest(
        camera=camera or "",
        person_id=str(person_id) if person_id else "",
        unknown_only=unknown,
        collections=sorted(who.collections),
        page_size=limit,
        page_token=cursor or "",
    )
    if since is not None:
        request.since.CopyFrom(_stamp(since))
    if until is not None:
        request.until.CopyFrom(_stamp(until))
    reply = await faces.registry(faces.backends.cameras.ListEvents, request)
    return EventPage(events=[_event(e) for e in reply.events], next_cursor=reply.next_page_token or None)


async def _get(faces: FacesDep, who: Principal, event_id: uuid.UUID) -> cameras_pb2.CameraEvent:
    who.require("read")
    request = cameras_pb2.GetEventRequest(event_id=str(event_id))
    event: cameras_pb2.CameraEvent = await faces.registry(faces.backends.cameras.GetEvent, request)
    if not who.sees(event.collection):
        raise EventNotFound(f"No event has the id {event_id}.", event_id=str(event_id))
    return event


@router.get("/events/{event_id}", response_model=CameraEvent)
async def get_event(event_id: EventId, faces: FacesDep, who: Caller) -> CameraEvent:
    return _event(await _get(faces, who, event_id))


@router.get("/events/{event_id}/crop.jpg", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def event_crop(event_id: EventId, faces: FacesDep, who: Caller) -> Response:
    """The event's best face, as the detector cut it (with margin)."""
    event = await _get(faces, who, event_id)
    if not event.crop_jpeg:
        raise EventNotFound(f"Event {event_id} has no face crop.", event_id=str(event_id))
    return Response(event.crop_jpeg, media_type="image/jpeg")


@router.get("/deliveries", response_model=list[Delivery])
async def list_deliveries(
    faces: FacesDep,
    who: Caller,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    sink: Annotated[str | None, Query(pattern=SINK_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Delivery]:
    """Deliveries of events to webhooks and MQTT, newest first; `status=dead` lists the dead letters."""
    who.authorize("admin")
    request = cameras_pb2.ListDeliveriesRequest(status=status or "", sink=sink or "", limit=limit)
    reply = await faces.registry(faces.backends.cameras.ListDeliveries, request)
    return [
        Delivery(
            delivery_id=d.delivery_id,
            sink=d.sink,
            kind=d.kind,  # type: ignore[arg-type]
            status=d.status,  # type: ignore[arg-type]
            attempts=d.attempts,
            last_error=d.last_error,
            created_at=d.created_at.ToDatetime(tzinfo=UTC),
            next_attempt_at=d.next_attempt_at.ToDatetime(tzinfo=UTC),
            event_id=d.event.event_id,
        )
        for d in reply.deliveries
    ]


class Retried(BaseModel):
    retried: int


@router.post("/deliveries/retry", response_model=Retried)
async def retry_deliveries(
    faces: FacesDep, who: Caller, sink: Annotated[str | None, Query(pattern=SINK_PATTERN)] = None
) -> Retried:
    """Dead letters (of one sink, or all) due again now: after a receiver is fixed."""
    who.authorize("admin")
    reply = await faces.registry(
        faces.backends.cameras.RetryDeliveries, cameras_pb2.RetryDeliveriesRequest(sink=sink or ""), who.actor
    )
    return Retried(retried=reply.retried)
