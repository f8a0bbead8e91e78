"""gRPC StreamService: the servicer and the server factory, which starts a worker per camera."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health

from facerec.stream.v1 import stream_pb2, stream_pb2_grpc
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_stream.backends import StreamBackends
from facerec_stream.camera import CameraWorker, same_face_via
from facerec_stream.events import Event, EventBook
from facerec_stream.settings import StreamSettings

log = logging.getLogger(__name__)
SERVICE_NAME = "facerec.stream.v1.StreamService"
DEFAULT_EVENTS = 100


def _timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def event_message(event: Event) -> stream_pb2.Event:
    return stream_pb2.Event(
        event_id=event.event_id,
        camera=event.camera,
        collection=event.collection,
        person_id=event.person_id or "",
        person_name=event.person_name or "",
        score=event.score,
        threshold=event.threshold,
        first_seen=_timestamp(event.first_seen),
        last_seen=_timestamp(event.last_seen),
        crop_jpeg=event.crop_jpeg,
        track_count=event.track_count,
    )


class StreamServicer(stream_pb2_grpc.StreamServiceServicer):
    def __init__(self, workers: list[CameraWorker], events: EventBook) -> None:
        self._workers = workers
        self._events = events

    @translate_errors
    async def ListCameras(
        self, request: stream_pb2.ListCamerasRequest, context: Context
    ) -> stream_pb2.ListCamerasResponse:
        cameras = []
        for worker in self._workers:
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
    ) -> AsyncIterator[stream_pb2.Event]:
        async for event in self._events.watch():
            yield event_message(event)


@dataclass
class Resources:
    backends: StreamBackends
    tasks: list[asyncio.Task[None]]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.backends.close()


async def create_server(settings: StreamSettings) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Resources]:
    """Serve, and watch every configured camera; SERVING once the cameras' workers run."""
    server, port, health_servicer = await new_server(settings)
    backends = StreamBackends.connect(settings)
    events = EventBook(cooldown_s=settings.cooldown_s, same_face=same_face_via(backends))
    workers = [CameraWorker(camera, backends, events) for camera in settings.cameras]
    stream_pb2_grpc.add_StreamServiceServicer_to_server(StreamServicer(workers, events), server)
    await server.start()
    tasks = [asyncio.create_task(w.run(), name=f"camera {w.config.name}") for w in workers]
    await set_serving(health_servicer, [SERVICE_NAME])
    log.info("stream service on %s:%d watching %d cameras", settings.host, port, len(workers))
    return server, port, health_servicer, Resources(backends, tasks)
