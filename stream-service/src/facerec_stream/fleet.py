"""The cameras this replica watches: whatever its leases in the registry say.

Every heartbeat renews the leases, reports each camera's state (and its last frame, for the
console), and starts or stops camera workers to match the answer: cameras another replica took,
deleted, disabled or changed stop here; new ones start. Should the registry stay unreachable
for longer than a lease, the leases may have gone to other replicas: every camera stops here
until the registry answers again, so a camera is never watched twice for long.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from facerec.registry.v1 import cameras_pb2
from facerec_common.errors import CameraExists, FacerecError, InvalidArgument
from facerec_stream import metrics
from facerec_stream.backends import StreamBackends
from facerec_stream.camera import CameraWorker
from facerec_stream.events import EventBook
from facerec_stream.mqtt import MqttSink
from facerec_stream.settings import CameraSettings, StreamSettings

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Unique per process: a restarted replica is a new holder, never its former self."""
    return f"{socket.gethostname()[:120]}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class _Running:
    worker: CameraWorker
    task: asyncio.Task[None]
    analysed_before: int = 0
    reported_at: float = field(default_factory=time.monotonic)


@dataclass
class CameraFleet:
    settings: StreamSettings
    backends: StreamBackends
    events: EventBook
    mqtt: MqttSink | None = None
    holder: str = field(default_factory=holder_name)
    running: dict[str, _Running] = field(default_factory=dict)
    replicas: int = 0
    # Workers told to stop, finishing (their source's reader may take seconds to let go): never
    # awaited by the heartbeat, which must stay on time or the other leases lapse.
    _stopping: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def workers(self) -> list[CameraWorker]:
        return [r.worker for r in self.running.values()]

    async def run(self) -> None:
        """Until cancelled: declare the configured cameras once, then heartbeat."""
        declared = not self.settings.cameras
        # The leases run from when the heartbeat was sent (the registry's transaction began later).
        held_until = time.monotonic()
        while True:
            if self.running and time.monotonic() >= held_until:
                log.warning("leases lapsed: stopping %d cameras until the registry answers", len(self.running))
                self._apply([])
            try:
                if not declared:
                    await self._declare()
                    declared = True
                reports = [await self._report(name, running) for name, running in self.running.items()]
                sent = time.monotonic()
                request = cameras_pb2.LeaseCamerasRequest(
                    holder=self.holder, lease_seconds=self.settings.lease_s, reports=reports
                )
                # Never waiting past the current leases: a late answer would find them taken.
                wait_s = max(0.5, min(self.settings.registry_timeout_s, held_until - sent))
                reply = await self.backends.lease(request, timeout_s=wait_s if self.running else None)
                held_until = sent + self.settings.lease_s
                self.replicas = reply.replicas
                self._apply(list(reply.cameras))
            except FacerecError as exc:
                log.warning("camera leases not renewed: %s", exc.message)
            except Exception:  # a bug: logged, and the heartbeat goes on (its leases depend on it)
                log.exception("camera heartbeat failed")
            self.events.expire(time.time())
            if self.mqtt is not None:
                self.mqtt.still_online()
            await asyncio.sleep(self.settings.heartbeat_s)

    async def close(self) -> None:
        """Stop every camera (the heartbeat must be stopped first) and hand the leases back, so
        others take them over at once; the events still open end here."""
        self._apply([])
        await asyncio.gather(*self._stopping, return_exceptions=True)
        self.events.expire(float("inf"))
        try:
            await self.backends.release(self.holder)
        except FacerecError as exc:
            log.warning("camera leases not released (they lapse instead): %s", exc.message)

    async def _declare(self) -> None:
        """Cameras of the settings that are not stored yet; stored ones stay as the API left them."""
        for camera in self.settings.cameras:
            request = cameras_pb2.PutCameraRequest(
                name=camera.name,
                source_url=camera.url,
                collection=camera.collection,
                fps=camera.fps,
                min_face_px=camera.min_face_px,
                enabled=True,
                actor="stream-service",
                create_only=True,
            )
            try:
                await self.backends.put_camera(request)
            except CameraExists:
                pass
            except InvalidArgument as exc:
                log.error("declared camera %s not stored: %s", camera.name, exc.message)

    def _apply(self, held: list[cameras_pb2.Camera]) -> None:
        """Start and stop workers to match `held`; stopping ones finish in the background."""
        wanted: dict[str, CameraSettings] = {}
        for c in held:
            try:
                wanted[c.name] = CameraSettings(
                    name=c.name, url=c.source_url, collection=c.collection, fps=c.fps, min_face_px=c.min_face_px
                )
            except ValidationError as exc:
                log.error("camera %s not watched: %s", c.name, exc.errors(include_url=False, include_input=False))
        for name, running in list(self.running.items()):
            if wanted.get(name) != running.worker.config:
                running.task.cancel()
                self._stopping.add(running.task)
                running.task.add_done_callback(self._stopping.discard)
                del self.running[name]
                metrics.forget_camera(name)
                if self.mqtt is not None:
                    self.mqtt.forget_camera(name)
                log.info("camera %s stopped here", name)
        for name, config in wanted.items():
            if name not in self.running:
                worker = CameraWorker(config, self.backends, self.events, allow_files=self.settings.allow_files)
                self.running[name] = _Running(worker, asyncio.create_task(worker.run(), name=f"camera {name}"))
                log.info("camera %s watched here", name)

    async def _report(self, name: str, running: _Running) -> cameras_pb2.CameraReport:
        worker = running.worker
        described = worker.describe()
        now = time.monotonic()
        analysed = worker.stats.frames_analysed
        fps = (analysed - running.analysed_before) / max(now - running.reported_at, 1e-3)
        running.analysed_before, running.reported_at = analysed, now
        state = cameras_pb2.CameraState(
            state=str(described["state"]),
            reason=str(described["reason"]),
            frames_read=int(described["frames_read"]),  # type: ignore[call-overload]
            frames_analysed=analysed,
            frames_dropped=int(described["frames_dropped"]),  # type: ignore[call-overload]
            analysed_fps=fps,
            lag_seconds=worker.stats.lag_s,
            tracks=worker.stats.tracks,
            embeddings=worker.stats.embeddings,
            last_frame_jpeg=await asyncio.to_thread(worker.view_jpeg),
        )
        if self.mqtt is not None:
            self.mqtt.camera_state(name, {"state": state.state, "reason": state.reason})
        return cameras_pb2.CameraReport(name=name, state=state)
