"""MTCNN face detection with our fix for its image pyramid, in source-image coordinates."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from facerec_common.rgb import RgbArray

log = logging.getLogger(__name__)

# MTCNN's proposal net looks at 12x12 windows: no pyramid level may be smaller.
PNET_WINDOW = 12


@dataclass(frozen=True)
class RawFace:
    x: float
    y: float
    width: float
    height: float
    score: float
    # 5x2: left eye, right eye, nose, mouth left, mouth right.
    landmarks: npt.NDArray[np.float64]

    @property
    def area(self) -> float:
        return self.width * self.height


def scale_pyramid(
    width: int, height: int, min_face_size: float, scale_factor: float, min_size: int = PNET_WINDOW
) -> npt.NDArray[np.float64]:
    """Scales at which the proposal net sees faces from min_face_size up to the whole image.

    mtcnn 1.0.0 counts the levels from the unscaled image, so with a
    min_face_size above ~24 the last levels shrink below 12 px, TensorFlow
    raises, and detect_faces swallows it and reports no face at all. Counting
    from the first (already scaled) level keeps every level >= 12 px.
    """
    first = min_size / min_face_size
    smallest_side = min(width, height) * first
    if smallest_side < min_size:
        return np.empty(0)
    count = int(np.floor(np.log(min_size / smallest_side) / np.log(scale_factor))) + 1
    return np.asarray(first * scale_factor ** np.arange(count))


def _install_pyramid_fix() -> None:
    from mtcnn.stages import stage_pnet

    stage_pnet.build_scale_pyramid = scale_pyramid  # type: ignore[assignment]


class MtcnnDetector:
    """Holds the three MTCNN networks; one instance per process."""

    def __init__(self, detect_max_side: int) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from mtcnn import MTCNN

        _install_pyramid_fix()
        self._mtcnn = MTCNN(device="CPU:0")
        self._detect_max_side = detect_max_side

    def warm_up(self) -> None:
        """Trace the TensorFlow graphs now, so the first request does not pay ~1 s."""
        self.detect(np.full((160, 160, 3), 127, dtype=np.uint8), min_face_size=20.0, min_score=0.0)

    def detect(self, image: RgbArray, min_face_size: float, min_score: float) -> list[RawFace]:
        height, width = image.shape[:2]
        scale = min(1.0, self._detect_max_side / max(height, width))
        if min(height, width) * scale < PNET_WINDOW:
            return []  # thinner than the smallest face MTCNN can see
        small: npt.NDArray[np.uint8] = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
        size_in_small = max(float(PNET_WINDOW), min_face_size * scale)
        rows = self._mtcnn.detect_faces(small, output_type="numpy", box_format="xywh", min_face_size=size_in_small)
        faces = []
        for row in np.asarray(rows, dtype=np.float64).reshape(-1, 16):
            x, y, w, h, score = row[1:6] / np.array([scale, scale, scale, scale, 1.0])
            landmarks = np.stack([row[6:11], row[11:16]], axis=1) / scale
            if score >= min_score and min(w, h) >= min_face_size:
                faces.append(RawFace(x, y, w, h, float(score), landmarks))
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces
