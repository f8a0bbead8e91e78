"""Bytes in, faces out: decode, detect, align. Blocking; the server runs it in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass

from facerec_common.rgb import RgbArray
from facerec_detector import metrics
from facerec_detector.align import align_face
from facerec_detector.decode import decode_image
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
        image = decode_image(data, self._settings.max_pixels)
        with metrics.DETECT_SECONDS.time():
            raw_faces = self._detector.detect(image, options.min_face_size, options.min_score)
        metrics.PHOTOS.inc()
        if options.max_faces:
            raw_faces = raw_faces[: options.max_faces]
        faces = []
        for raw in raw_faces:
            aligned = align_face(image, raw.landmarks)
            thumbnail = b""
            if options.include_thumbnails:
                thumbnail = face_thumbnail(image, raw.x, raw.y, raw.width, raw.height, self._settings.thumbnail_side)
            faces.append(DetectedFace(raw, aligned, thumbnail, measure(raw.landmarks, aligned)))
        metrics.FACES.inc(len(faces))
        height, width = image.shape[:2]
        return Detection(width=width, height=height, faces=faces)
