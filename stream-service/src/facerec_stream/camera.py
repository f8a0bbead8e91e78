"""One camera watched: its newest frame at the analysis rate, faces detected and tracked,
each track identified once from its best faces, and its event opened or extended."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import CollectionNotFound, FacerecError
from facerec_common.urls import redacted
from facerec_stream import metrics
from facerec_stream.backends import StreamBackends
from facerec_stream.events import EventBook, SameFace
from facerec_stream.settings import CameraSettings
from facerec_stream.source import LiveSource
from facerec_stream.tracking import LOST_AFTER_S, CutDetector, FaceTracker
from facerec_stream.tracks import Known, Track

log = logging.getLogger(__name__)
JPEG_QUALITY = 90
# Larger frames (4K) are sent at this size: a 4K frame costs ~50 ms to encode and as much to
# decode, 5 times a second, and the detector finds faces at 1280 px anyway; 1920 keeps the detail
# its aligned crops are cut from.
ANALYSIS_MAX_SIDE = 1920


# The last analysed frame as the console shows it: this wide at most, boxes drawn.
VIEW_MAX_SIDE = 640


@dataclass(frozen=True)
class Prepared:
    image: npt.NDArray[np.uint8]  # RGB, as analysed
    jpeg: bytes
    scale: float  # analysed / source pixels
    cut: bool


@dataclass
class CameraStats:
    frames_analysed: int = 0
    detections: int = 0
    embeddings: int = 0
    tracks: int = 0
    lag_s: float = 0.0


@dataclass
class CameraWorker:
    config: CameraSettings
    backends: StreamBackends
    events: EventBook
    allow_files: bool = False
    stats: CameraStats = field(default_factory=CameraStats)
    _tracks: dict[int, Track] = field(default_factory=dict)
    _last_view: tuple[npt.NDArray[np.uint8], list[tuple[float, float, float, float, bool]]] | None = None

    def __post_init__(self) -> None:
        self.source = LiveSource(self.config.url, self.config.fps, allow_files=self.allow_files)
        self._tracker = FaceTracker(self.config.fps)
        self._cuts = CutDetector()

    async def run(self) -> None:
        """Until cancelled: every analysed frame, then the tracks it ends."""
        self.source.start()
        frames = self.source.frames()
        try:
            while True:
                frame = await asyncio.to_thread(next, frames, None)
                if frame is None:
                    return
                now = time.time()
                try:
                    await self._analyse(await asyncio.to_thread(self._prepare, frame.image), now)
                except FacerecError as exc:  # a service down or slow: this frame is lost, not the camera
                    log.warning("camera %s: frame not analysed: %s", self.config.name, exc.message)
                except Exception:  # a bug: logged with its trace, and the camera goes on watching
                    log.exception("camera %s: frame not analysed", self.config.name)
                self.stats.frames_analysed += 1
                self.stats.lag_s = time.monotonic() - frame.read_at
                metrics.FRAMES_ANALYSED.labels(self.config.name).inc()
                metrics.LAG_SECONDS.labels(self.config.name).set(self.stats.lag_s)
                metrics.LIVE.labels(self.config.name).set(1 if self.source.status.state == "live" else 0)
                await self._end_tracks(now)
        finally:
            await asyncio.to_thread(self.source.stop)
            await self._end_tracks(float("inf"))

    def _prepare(self, image: npt.NDArray[np.uint8]) -> Prepared:
        """Blocking, in a worker thread: the frame at most ANALYSIS_MAX_SIDE wide or high, as JPEG
        for the detector, and whether it starts another shot."""
        height, width = image.shape[:2]
        scale = min(1.0, ANALYSIS_MAX_SIDE / max(height, width))
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        return Prepared(image, jpeg.tobytes() if ok else b"", scale, self._cuts.is_cut(image))

    async def _analyse(self, frame: Prepared, now: float) -> None:
        if frame.cut:
            self._tracker.reset()
            await self._end_tracks(float("inf"))
        faces = await self._detect(frame) if frame.jpeg else []
        boxes = []
        for face, track_id in zip(faces, self._tracker.update(faces), strict=True):
            known = track_id is not None and track_id in self._tracks and self._tracks[track_id].decision is not None
            box = face.box
            boxes.append((box.x, box.y, box.x + box.width, box.y + box.height, known))
            if track_id is None:
                continue
            track = self._tracks.get(track_id)
            if track is None:
                track = self._tracks[track_id] = Track(track_id, now, now)
                self.stats.tracks += 1
            track.saw(face, now)
            if track.decision is not None:
                self.events.seen_again(track)
        self._last_view = (frame.image, boxes)
        pending = [t for t in self._tracks.values() if t.last_seen == now and t.wants_embedding()]
        await asyncio.gather(*(self._identify(t) for t in pending))

    async def _detect(self, frame: Prepared) -> list[detector_pb2.Face]:
        """Faces in the analysed frame's coordinates (tracks live in them too)."""
        min_face = max(12.0, self.config.min_face_px * frame.scale)
        options = detector_pb2.DetectOptions(min_face_size=min_face, include_thumbnails=True)
        reply = await self.backends.detect(detector_pb2.DetectRequest(image=frame.jpeg, options=options))
        self.stats.detections += len(reply.faces)
        return list(reply.faces)

    async def _identify(self, track: Track) -> None:
        """Embed the track's best face and match it; a match decides the track (known)."""
        face = track.best
        assert face is not None
        track.embeddings += 1
        track.embedded_quality = track.best_quality
        self.stats.embeddings += 1
        metrics.EMBEDDINGS.labels(self.config.name).inc()
        embedded = await self.backends.embed(embedder_pb2.EmbedRequest(faces=[face.aligned]))
        embedding = embedded.embeddings[0]
        request = registry_pb2.MatchFaceRequest(
            collection=self.config.collection, embedding=embedding, model=embedded.model, top_k=1
        )
        try:
            reply = await self.backends.match(request)
        except CollectionNotFound:
            reply = registry_pb2.MatchFaceResponse(match=False)
        best = reply.candidates[0] if reply.candidates else None
        score = best.similarity if best else -1.0
        if score >= track.best_score:
            track.embedding, track.best_score, track.threshold = embedding, score, reply.threshold
            track.model = embedded.model
        if reply.match and best is not None:
            track.decision = Known(best.person_id, best.person_name, best.similarity, reply.threshold)
            await self.events.decided(self.config.name, self.config.collection, track)

    async def _end_tracks(self, now: float) -> None:
        """Tracks out of view for longer than the tracker keeps them: an undecided one is unknown."""
        for track_id, track in list(self._tracks.items()):
            if now - track.last_seen <= LOST_AFTER_S:
                continue
            del self._tracks[track_id]
            if track.decision is None and track.embedding is not None:
                await self.events.decided(self.config.name, self.config.collection, track)

    def view_jpeg(self) -> bytes:
        """Blocking (a worker thread): the last analysed frame, small, its faces boxed (green:
        identified)."""
        if self._last_view is None:
            return b""
        image, boxes = self._last_view
        scale = min(1.0, VIEW_MAX_SIDE / max(image.shape[:2]))
        small = cv2.resize(
            image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA
        )
        bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        for x1, y1, x2, y2, known in boxes:
            corner = (round(x1 * scale), round(y1 * scale))
            colour = (80, 200, 80) if known else (40, 170, 255)
            cv2.rectangle(bgr, corner, (round(x2 * scale), round(y2 * scale)), colour, 2)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 75])
        return jpeg.tobytes() if ok else b""

    def describe(self) -> dict[str, object]:
        """The camera as its state answers say it (the source URL without credentials)."""
        status = self.source.status
        return {
            "name": self.config.name,
            "source": redacted(self.config.url),
            "collection": self.config.collection,
            "state": status.state,
            "reason": status.reason,
            "frames_read": status.frames_read,
            "frames_dropped": status.frames_dropped,
            "frames_analysed": self.stats.frames_analysed,
            "detections": self.stats.detections,
            "tracks": self.stats.tracks,
            "embeddings": self.stats.embeddings,
        }


def same_face_via(backends: StreamBackends) -> SameFace:
    """Whether two embeddings are one face, at the model's 1:1 threshold (the registry decides)."""

    async def same(a: types_pb2.Embedding, b: types_pb2.Embedding, model: types_pb2.ModelInfo) -> bool:
        reply = await backends.compare(registry_pb2.CompareEmbeddingsRequest(embedding_a=a, embedding_b=b, model=model))
        return bool(reply.match)

    return same
