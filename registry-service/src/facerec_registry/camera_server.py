"""gRPC CameraRegistryService's servicer: cameras, their leases, their events and the events'
delivery outbox, validated here and kept by the store (store.cameras, store.events)."""

from __future__ import annotations

import asyncio
import logging
import math
import re
from datetime import UTC, datetime

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc
from facerec_common.errors import InvalidArgument
from facerec_common.server import Context, translate_errors
from facerec_common.urls import redacted
from facerec_registry import convert
from facerec_registry.server import actor_of
from facerec_registry.settings import RegistrySettings
from facerec_registry.store import cameras, events
from facerec_registry.store.connection import Database
from facerec_registry.store.records import CameraInfo, DeliveryInfo, EventInfo

log = logging.getLogger(__name__)

EVENT_KINDS = ("new", "update", "end")
MAX_SOURCE_URL = 2048
# A sink is "mqtt" or "webhook:<name>"; never text PostgreSQL would refuse (NUL) or a log could not show.
SINK = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MAX_CLAIM = 100


def _time(value: Timestamp) -> datetime:
    try:
        return value.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument("A time is out of range (years 1-9999).") from exc


# Who acts, for the audit log: the stream service names itself; otherwise the gateway's metadata.
ACTOR = re.compile(r"[\x21-\x7e]{1,64}")


def _actor(named: str, context: Context) -> str:
    if not named:
        return actor_of(context)
    if not ACTOR.fullmatch(named):
        raise InvalidArgument("actor is 1-64 printable ASCII characters.", field="actor")
    return named


def camera_message(info: CameraInfo, *, with_source_url: bool = False) -> cameras_pb2.Camera:
    message = cameras_pb2.Camera(
        name=info.name,
        source=redacted(info.source_url),
        collection=info.collection,
        fps=info.fps,
        min_face_px=info.min_face_px,
        enabled=info.enabled,
        created_at=convert.timestamp(info.created_at),
        updated_at=convert.timestamp(info.updated_at),
        holder=info.holder,
        source_url=info.source_url if with_source_url else "",
    )
    if not info.enabled:
        message.state.state = "disabled"
    elif info.state is None:
        message.state.state = "unassigned"
    else:
        json_format.ParseDict(info.state, message.state, ignore_unknown_fields=True)
        if info.reported_at is not None:
            message.state.reported_at.CopyFrom(convert.timestamp(info.reported_at))
        if info.last_frame_jpeg:
            message.state.last_frame_jpeg = info.last_frame_jpeg
    return message


def event_message(info: EventInfo) -> cameras_pb2.CameraEvent:
    return cameras_pb2.CameraEvent(
        event_id=str(info.event_id),
        camera=info.camera,
        collection=info.collection,
        person_id=str(info.person_id) if info.person_id else "",
        person_name=info.person_name or "",
        score=info.score,
        threshold=info.threshold,
        first_seen=convert.timestamp(info.first_seen),
        last_seen=convert.timestamp(info.last_seen),
        crop_jpeg=info.crop_jpeg or b"",
        track_count=info.track_count,
        ended=info.ended,
    )


def delivery_message(info: DeliveryInfo) -> cameras_pb2.Delivery:
    message = cameras_pb2.Delivery(
        delivery_id=info.delivery_id,
        sink=info.sink,
        kind=info.kind,
        status=info.status,
        attempts=info.attempts,
        last_error=info.last_error,
        created_at=convert.timestamp(info.created_at),
        next_attempt_at=convert.timestamp(info.next_attempt_at),
    )
    if info.event is not None:
        message.event.CopyFrom(event_message(info.event))
    return message


def _event(message: cameras_pb2.CameraEvent) -> EventInfo:
    if not message.HasField("first_seen") or not message.HasField("last_seen"):
        raise InvalidArgument("An event needs first_seen and last_seen.")
    return EventInfo(
        convert.uuid_arg(message.event_id, "event_id"),
        convert.collection_name(message.camera),
        convert.collection_name(message.collection),
        convert.uuid_arg(message.person_id, "person_id") if message.person_id else None,
        convert.stored_text(message.person_name, "person_name") if message.person_name else None,
        message.score,
        message.threshold,
        _time(message.first_seen),
        _time(message.last_seen),
        message.crop_jpeg or None,
        message.track_count,
        message.ended,
    )


def _source_url(url: str) -> str:
    if not url or len(url) > MAX_SOURCE_URL or any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidArgument(f"source_url must be a URL of 1-{MAX_SOURCE_URL} printable characters, no spaces.")
    return url


def _sink(name: str) -> str:
    if not SINK.fullmatch(name):
        raise InvalidArgument("A sink is 'mqtt' or 'webhook:<name>' (letters, digits, _ . : -).", field="sink")
    return name


def _between(value: float, field: str, least: float, most: float) -> float:
    if not math.isfinite(value) or not least <= value <= most:
        raise InvalidArgument(f"{field} must be from {least:g} to {most:g}.", field=field)
    return value


def _positive(value: float, field: str, most: float) -> float:
    if not math.isfinite(value) or not 0 < value <= most:
        raise InvalidArgument(f"{field} must be more than 0 and at most {most:g}.", field=field)
    return value


class CameraRegistryServicer(cameras_pb2_grpc.CameraRegistryServiceServicer):
    def __init__(self, db: Database, settings: RegistrySettings) -> None:
        self._db = db
        self._settings = settings

    # -- cameras

    @translate_errors
    async def PutCamera(self, request: cameras_pb2.PutCameraRequest, context: Context) -> cameras_pb2.Camera:
        info = await cameras.put_camera(
            self._db,
            convert.collection_name(request.name),
            _source_url(request.source_url) if request.source_url else "",
            convert.collection_name(request.collection),
            _positive(request.fps, "fps", 30.0),
            _between(request.min_face_px, "min_face_px", 12.0, 4096.0),
            request.enabled,
            _actor(request.actor, context),
            create_only=request.create_only,
        )
        return camera_message(info)

    @translate_errors
    async def GetCamera(self, request: cameras_pb2.GetCameraRequest, context: Context) -> cameras_pb2.Camera:
        name = convert.collection_name(request.name)
        return camera_message(await cameras.get_camera(self._db, name, frame=request.include_frame))

    @translate_errors
    async def ListCameras(
        self, request: cameras_pb2.ListCamerasRequest, context: Context
    ) -> cameras_pb2.ListCamerasResponse:
        return cameras_pb2.ListCamerasResponse(
            cameras=[camera_message(c) for c in await cameras.list_cameras(self._db)]
        )

    @translate_errors
    async def DeleteCamera(
        self, request: cameras_pb2.DeleteCameraRequest, context: Context
    ) -> cameras_pb2.DeleteCameraResponse:
        name = convert.collection_name(request.name)
        await cameras.delete_camera(self._db, name, _actor(request.actor, context))
        return cameras_pb2.DeleteCameraResponse()

    # -- leases

    @translate_errors
    async def LeaseCameras(
        self, request: cameras_pb2.LeaseCamerasRequest, context: Context
    ) -> cameras_pb2.LeaseCamerasResponse:
        if not request.holder or len(request.holder) > 200:
            raise InvalidArgument("holder must be 1-200 characters.")
        lease_s = _positive(request.lease_seconds, "lease_seconds", 300.0)
        reports = {}
        for report in request.reports:
            state = json_format.MessageToDict(report.state, preserving_proto_field_name=True)
            state.pop("last_frame_jpeg", None)
            state.pop("reported_at", None)
            reports[report.name] = (state, report.state.last_frame_jpeg or None)
        held, replicas = await cameras.lease_cameras(self._db, request.holder, lease_s, reports)
        return cameras_pb2.LeaseCamerasResponse(
            cameras=[camera_message(c, with_source_url=True) for c in held], replicas=replicas
        )

    @translate_errors
    async def ReleaseCameras(
        self, request: cameras_pb2.ReleaseCamerasRequest, context: Context
    ) -> cameras_pb2.ReleaseCamerasResponse:
        await cameras.release_cameras(self._db, request.holder)
        return cameras_pb2.ReleaseCamerasResponse()

    # -- events

    @translate_errors
    async def RecordEvent(
        self, request: cameras_pb2.RecordEventRequest, context: Context
    ) -> cameras_pb2.RecordEventResponse:
        if request.deliver_to and request.kind not in EVENT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(EVENT_KINDS)}.", field="kind")
        sinks = list(request.deliver_to)
        for sink in sinks:
            _sink(sink)
        await events.record_event(self._db, _event(request.event), sinks, request.kind)
        return cameras_pb2.RecordEventResponse()

    @translate_errors
    async def GetEvent(self, request: cameras_pb2.GetEventRequest, context: Context) -> cameras_pb2.CameraEvent:
        return event_message(await events.get_event(self._db, convert.uuid_arg(request.event_id, "event_id")))

    @translate_errors
    async def ListEvents(
        self, request: cameras_pb2.ListEventsRequest, context: Context
    ) -> cameras_pb2.ListEventsResponse:
        page = await events.list_events(
            self._db,
            camera=convert.collection_name(request.camera) if request.camera else "",
            person_id=convert.uuid_arg(request.person_id, "person_id") if request.person_id else None,
            unknown_only=request.unknown_only,
            since=_time(request.since) if request.HasField("since") else None,
            until=_time(request.until) if request.HasField("until") else None,
            collections=[convert.collection_name(c) for c in request.collections],
            page_size=min(request.page_size or self._settings.page_size_default, self._settings.page_size_max),
            page_token=request.page_token,
            crops=request.include_crops,
        )
        return cameras_pb2.ListEventsResponse(
            events=[event_message(e) for e in page.items], next_page_token=page.next_token
        )

    # -- delivery

    @translate_errors
    async def ClaimDeliveries(
        self, request: cameras_pb2.ClaimDeliveriesRequest, context: Context
    ) -> cameras_pb2.ClaimDeliveriesResponse:
        lease_s = _positive(request.lease_seconds, "lease_seconds", 600.0)
        limit = min(request.limit or 10, MAX_CLAIM)
        sinks = [_sink(s) for s in request.sinks]
        claimed = await events.claim_deliveries(self._db, sinks, limit, lease_s)
        return cameras_pb2.ClaimDeliveriesResponse(deliveries=[delivery_message(d) for d in claimed])

    @translate_errors
    async def SettleDelivery(
        self, request: cameras_pb2.SettleDeliveryRequest, context: Context
    ) -> cameras_pb2.SettleDeliveryResponse:
        retry_after = request.retry_after_seconds if math.isfinite(request.retry_after_seconds) else 0.0
        await events.settle_delivery(
            self._db,
            request.delivery_id,
            delivered=request.delivered,
            error=request.error,
            retry_after_s=max(0.0, min(retry_after, 86400.0)),
            dead=request.dead,
        )
        return cameras_pb2.SettleDeliveryResponse()

    @translate_errors
    async def ListDeliveries(
        self, request: cameras_pb2.ListDeliveriesRequest, context: Context
    ) -> cameras_pb2.ListDeliveriesResponse:
        if request.status and request.status not in events.STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(events.STATUSES)}.", field="status")
        limit = min(request.limit or self._settings.page_size_default, self._settings.page_size_max)
        found = await events.list_deliveries(
            self._db, request.status, _sink(request.sink) if request.sink else "", limit
        )
        return cameras_pb2.ListDeliveriesResponse(deliveries=[delivery_message(d) for d in found])

    @translate_errors
    async def RetryDeliveries(
        self, request: cameras_pb2.RetryDeliveriesRequest, context: Context
    ) -> cameras_pb2.RetryDeliveriesResponse:
        sink = _sink(request.sink) if request.sink else ""
        return cameras_pb2.RetryDeliveriesResponse(retried=await events.retry_dead(self._db, sink))


async def purge_events_forever(db: Database, settings: RegistrySettings) -> None:
    """Events past the retention go, every purge interval, for as long as the registry runs."""
    while True:
        try:
            purged = await events.purge_events(db, settings.event_retention_days)
            if purged:
                log.info("purged %d camera events older than %g days", purged, settings.event_retention_days)
        except Exception:  # the database away for a while: the next round purges
            log.warning("camera events not purged this round", exc_info=True)
        await asyncio.sleep(settings.event_purge_interval_s)
