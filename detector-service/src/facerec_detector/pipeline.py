"""Bytes in, faces out: decode, detect, align. Blocking; the server runs it in a worker thread."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from facerec_common.rgb import RgbArray
from facerec_detector import metrics
from facerec_detector.align import align_face
from facerec_detector.decode import Decoded, decode_reduced
from facerec_detector.mtcnn_runtime import MtcnnDetector, RawFace
from facerec_detector.quality import Quality, measure
from facerec_detector.settings import DetectorSettings
from facerec_detector.thumbnail import face_thumbnail


@dataclass(frozen=True)
class DetectOptions:
    min_face_size: float
    min_score: float
    max_faces: int
    include_thumbnails: bool


@dataclass(frozen=True)
class DetectedFace:
    raw: RawFace
    aligned: RgbArray
    thumbnail_jpeg: bytes
    quality: Quality


@dataclass(frozen=True)
class Detection:
    width: int
    height: int
    faces: list[DetectedFace]


class FacePipeline:
    def __init__(self, settings: DetectorSettings, detector: MtcnnDetector | None = None) -> None:
        self._settings = settings
        self._detector = detector or MtcnnDetector(settings.detect_max_side, settings.runtime, settings.threads)

    def warm_up(self) -> None:
        self._detector.warm_up()

    def resolve(
        self, min_face_size: float, min_score: float, max_faces: int, include_thumbnails: bool
    ) -> DetectOptions:
        """Request options, with zero meaning the service default."""
        s = self._settings
        return DetectOptions(
            min_face_size=max(min_face_size or s.min_face_size, 12.0),
            min_score=min_score or s.min_score,
            max_faces=max_faces or s.max_faces,
            include_thumbnails=include_thumbnails,
        )

    def run(self, data: bytes, options: DetectOptions) -> Detection:
        decoded = decode_reduced(data, self._settings.max_pixels, self._settings.decode_max_side)
        large = decoded.width * decoded.height > LARGE_IMAGE_PIXELS
        try:
            return self._detect(decoded, options)
        finally:
            del decoded
            if large:
                release_free_memory()

    def _detect(self, decoded: Decoded, options: DetectOptions) -> Detection:
        image = decoded.image
        # Faces are sought and reported in full-size pixels; the decoded image may be smaller.
        shrink = 1.0 / max(decoded.scale_x, decoded.scale_y)
        with metrics.DETECT_SECONDS.time():
            raw_faces = self._detector.detect(image, options.min_face_size * shrink, options.min_score)
        metrics.PHOTOS.inc()
        if options.max_faces:
            raw_faces = raw_faces[: options.max_faces]
        faces = []
        for raw in raw_faces:
            aligned = align_face(image, raw.landmarks)
            thumbnail = b""
            if options.include_thumbnails:
                thumbnail = face_thumbnail(image, raw.x, raw.y, raw.width, raw.height, self._settings.thumbnail_side)
            full = _to_full_size(raw, decoded.scale_x, decoded.scale_y)
            faces.append(DetectedFace(full, aligned, thumbnail, measure(full.landmarks, aligned)))
        metrics.FACES.inc(len(faces))
        return Detection(width=decoded.width, height=decoded.height, faces=faces)


def _to_full_size(raw: RawFace, sx: float, sy: float) -> RawFace:
    if sx == sy == 1.0:
        return raw
    return RawFace(raw.x * sx, raw.y * sy, raw.width * sx, raw.height * sy, raw.score, raw.landmarks * (sx, sy))


# After a large image, hand the freed memory back to the system: glibc keeps it (in per-thread
# arenas) for reuse otherwise, and a replica that once decoded 40 MP would hold ~1.5 GB idle.
LARGE_IMAGE_PIXELS = 8_000_000


def release_free_memory() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return
    libc.malloc_trim(0)
