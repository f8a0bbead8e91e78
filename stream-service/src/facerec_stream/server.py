"""gRPC StreamService: the servicer and the server factory, which starts a worker per camera."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import httpx
from grpc_health.v1 import health

from facerec.registry.v1 import cameras_pb2
from facerec.stream.v1 import stream_pb2, stream_pb2_grpc
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_stream.backends import StreamBackends
from facerec_stream.camera import same_face_via
from facerec_stream.delivery import Deliverer, Sink
from facerec_stream.events import EventBook
from facerec_stream.fleet import CameraFleet, holder_name
from facerec_stream.mqtt import MqttSink
from facerec_stream.recorder import EventRecorder, event_message
from facerec_stream.settings import StreamSettings
from facerec_stream.webhooks import WebhookSink

log = logging.getLogger(__name__)
SERVICE_NAME = "facerec.stream.v1.StreamService"
DEFAULT_EVENTS = 100


class StreamServicer(stream_pb2_grpc.StreamServiceServicer):
    def __init__(self, fleet: CameraFleet, events: EventBook) -> None:
        self._fleet = fleet
        self._events = events

    @translate_errors
    async def ListCameras(
        self, request: stream_pb2.ListCamerasRequest, context: Context
    ) -> stream_pb2.ListCamerasResponse:
        cameras = []
        for worker in self._fleet.workers:
            cameras.append(
                stream_pb2.Camera(**worker.describe(), fps=worker.config.fps, lag_seconds=worker.stats.lag_s)  # type: ignore[arg-type]
            )
        return stream_pb2.ListCamerasResponse(cameras=cameras)

    @translate_errors
    async def ListEvents(
        self, request: stream_pb2.ListEventsRequest, context: Context
    ) -> stream_pb2.ListEventsResponse:
        events = sorted(self._events.events.values(), key=lambda e: e.last_seen, reverse=True)
        if request.camera:
            events = [e for e in events if e.camera == request.camera]
        return stream_pb2.ListEventsResponse(
            events=[event_message(e) for e in events[: request.limit or DEFAULT_EVENTS]]
        )

    async def WatchEvents(
        self, request: stream_pb2.WatchEventsRequest, context: Context
    ) -> AsyncIterator[cameras_pb2.CameraEvent]:
        async for event in self._events.watch():
            yield event_message(event)


@dataclass
class Resources:
    backends: StreamBackends
    fleet: CameraFleet
    recorder: EventRecorder
    tasks: list[asyncio.Task[None]]
    http: httpx.AsyncClient
    mqtt: MqttSink | None

    async def close(self) -> None:
        """The heartbeat stopped first (it would start the cameras again), then the cameras
        stopped and handed back, their open events ended, and what waits written and delivered."""
        heartbeat, *others = self.tasks
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)
        await self.fleet.close()
        if not await self.recorder.flush():
            log.error("events not recorded at stop: the registry did not answer")
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self.http.aclose()
        if self.mqtt is not None:
            await asyncio.to_thread(self.mqtt.close)
        await self.backends.close()


async def create_server(settings: StreamSettings) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Resources]:
    """Serve, then watch the cameras this replica's leases give it; SERVING at once (cameras
    come and go with the leases, not with readiness)."""
    server, port, health_servicer = await new_server(settings)
    backends = StreamBackends.connect(settings)
    holder = holder_name()
    http = httpx.AsyncClient(follow_redirects=False)
    mqtt = MqttSink(settings.mqtt_url, settings.mqtt_prefix, f"facerec-{holder}") if settings.mqtt_url else None
    sinks: dict[str, Sink] = {f"webhook:{w.name}": WebhookSink(w, http) for w in settings.webhooks}
    if mqtt is not None:
        sinks[mqtt.name] = mqtt
    deliverer = Deliverer(
        sinks, backends.claim, backends.settle, settings.delivery_max_attempts, settings.delivery_backoff_max_s
    )
    recorder = EventRecorder(backends.record, list(sinks), recorded=deliverer.wake)
    events = EventBook(cooldown_s=settings.cooldown_s, same_face=same_face_via(backends), on_change=recorder.changed)
    fleet = CameraFleet(settings, backends, events, mqtt, holder)
    stream_pb2_grpc.add_StreamServiceServicer_to_server(StreamServicer(fleet, events), server)
    await server.start()
    tasks = [
        asyncio.create_task(fleet.run(), name="camera leases"),
        asyncio.create_task(recorder.run(), name="event recorder"),
        asyncio.create_task(deliverer.run(), name="event delivery"),
    ]
    await set_serving(health_servicer, [SERVICE_NAME])
    log.info("stream service %s on %s:%d, delivering to %s", holder, settings.host, port, ", ".join(sinks) or "nobody")
    return server, port, health_servicer, Resources(backends, fleet, recorder, tasks, http, mqtt)
