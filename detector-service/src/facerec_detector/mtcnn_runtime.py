"""MTCNN face detection on ONNX Runtime or TensorFlow, with our fix for its image pyramid, in
source-image coordinates."""

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
# Each pyramid level is this much smaller than the one before (mtcnn's default).
SCALE_FACTOR = 0.709


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
    """Holds the three MTCNN networks on the chosen runtime; one instance per process.

    "onnx" (the default) runs the `mtcnn` wheel's weights on ONNX Runtime (mtcnn_onnx.py);
    "tensorflow" runs the `mtcnn` package itself. Both find the same faces.
    """

    def __init__(self, detect_max_side: int, runtime: str = "onnx", threads: int = 1) -> None:
        self._detect_max_side = detect_max_side
        self.runtime = runtime
        if runtime == "onnx":
            from facerec_detector.mtcnn_onnx import OnnxMtcnn

            self._onnx = OnnxMtcnn(threads)
        elif runtime == "tensorflow":
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            from mtcnn import MTCNN

            _install_pyramid_fix()
            self._mtcnn = MTCNN(device="CPU:0")
        else:
            raise ValueError(f"unknown MTCNN runtime {runtime!r}: onnx or tensorflow")

    def warm_up(self) -> None:
        """Trace the graphs now, so the first request does not pay for it (~1 s on TensorFlow)."""
        self.detect(np.full((160, 160, 3), 127, dtype=np.uint8), min_face_size=20.0, min_score=0.0)

    def _rows(self, image: RgbArray, min_face_size: float) -> npt.NDArray[np.float64]:
        """Rows of x, y, width, height, score, 5 landmark x, 5 landmark y."""
        if self.runtime == "onnx":
            height, width = image.shape[:2]
            rows = self._onnx.detect(image, scale_pyramid(width, height, min_face_size, SCALE_FACTOR))
            rows[:, 2:4] -= rows[:, 0:2]
            return rows
        found = self._mtcnn.detect_faces(image, output_type="numpy", box_format="xywh", min_face_size=min_face_size)
        return np.asarray(found, dtype=np.float64).reshape(-1, 16)[:, 1:]

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
        faces = []
        for row in self._rows(small, size_in_small):
            x, y, w, h, score = row[0:5] / np.array([scale, scale, scale, scale, 1.0])
            landmarks = np.stack([row[5:10], row[10:15]], axis=1) / scale
            if score >= min_score and min(w, h) >= min_face_size:
                faces.append(RawFace(x, y, w, h, float(score), landmarks))
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces
