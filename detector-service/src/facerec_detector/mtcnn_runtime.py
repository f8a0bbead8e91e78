"""MTCNN face detection in source-image coordinates, on either runtime behind one interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from facerec_common.rgb import RgbArray
from facerec_detector.pyramid import PNET_WINDOW


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


class MtcnnNetworks(Protocol):
    """One runtime's MTCNN cascade."""

    def rows(self, image: RgbArray, min_face_size: float) -> npt.NDArray[np.float64]:
        """Rows of x, y, width, height, score, 5 landmark x, 5 landmark y."""
        ...


def load_networks(runtime: str, threads: int = 1) -> MtcnnNetworks:
    """The cascade on `runtime`: "onnx" (the default) runs the `mtcnn` wheel's weights on ONNX
    Runtime (mtcnn_onnx.py), "tensorflow" the `mtcnn` package itself (mtcnn_tensorflow.py).
    Both find the same faces (tests/test_mtcnn_runtimes.py)."""
    if runtime == "onnx":
        from facerec_detector.mtcnn_onnx import OnnxMtcnn

        return OnnxMtcnn(threads)
    if runtime == "tensorflow":
        from facerec_detector.mtcnn_tensorflow import TensorflowMtcnn  # imports TensorFlow: only when asked

        return TensorflowMtcnn()
    raise ValueError(f"unknown MTCNN runtime {runtime!r}: onnx or tensorflow")


class MtcnnDetector:
    """Faces in source-image coordinates, largest first: the image downscaled to at most
    `detect_max_side`, the cascade run on it, faces below the minimum size or score dropped.
    One instance per process (it holds the networks)."""

    def __init__(self, detect_max_side: int, runtime: str = "onnx", threads: int = 1) -> None:
        self._detect_max_side = detect_max_side
        self.runtime = runtime
        self._networks = load_networks(runtime, threads)

    def warm_up(self) -> None:
        """Trace the graphs now, so the first request does not pay for it (~1 s on TensorFlow)."""
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
        faces = []
        for row in self._networks.rows(small, size_in_small):
            x, y, w, h, score = row[0:5] / np.array([scale, scale, scale, scale, 1.0])
            landmarks = np.stack([row[5:10], row[10:15]], axis=1) / scale
            if score >= min_score and min(w, h) >= min_face_size:
                faces.append(RawFace(x, y, w, h, float(score), landmarks))
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces
