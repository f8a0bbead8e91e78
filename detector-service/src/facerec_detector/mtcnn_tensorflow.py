"""MTCNN on TensorFlow: the `mtcnn` package itself (the `[tensorflow]` extra), with our pyramid.

The package's proposal stage builds its pyramid inside its `__call__`; ours is a stage whose
pyramid is `pyramid.scale_pyramid`, passed to the package's MTCNN as its first stage, so the
package is used as published and nothing of it is patched.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from facerec_common.rgb import RgbArray
from facerec_detector.pyramid import scale_pyramid

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mtcnn import MTCNN
from mtcnn.stages import StageONet, StagePNet, StageRNet
from mtcnn.utils.bboxes import (
    generate_bounding_box,
    resize_to_square,
    smart_nms_from_bboxes,
    upscale_bboxes,
)
from mtcnn.utils.images import apply_scales


class PyramidFixedPNet(StagePNet):  # type: ignore[misc]
    """mtcnn 1.0.0's proposal stage, step for step, with `scale_pyramid` for its pyramid."""

    def __call__(
        self,
        images_normalized: Any,
        images_oshapes: Any,
        min_face_size: float = 20,
        min_size: int = 12,
        scale_factor: float = 0.709,
        threshold_pnet: float = 0.6,
        nms_pnet1: float = 0.5,
        nms_pnet2: float = 0.7,
        **kwargs: Any,
    ) -> npt.NDArray[np.float64]:
        groups = [scale_pyramid(s[1], s[0], min_face_size, scale_factor, min_size) for s in images_oshapes]
        scaled, scales = apply_scales(images_normalized, groups)
        batch = images_normalized.shape[0]
        outputs = [self._model(s) for s in scaled]
        proposals = [generate_bounding_box(out[0], out[1], threshold_pnet) for out in outputs]
        upscaled = [upscale_bboxes(b, np.asarray([scale] * batch)) for b, scale in zip(proposals, scales, strict=True)]
        kept = [smart_nms_from_bboxes(b, threshold=nms_pnet1, method="union", initial_sort=False) for b in upscaled]
        rows = np.concatenate(kept, axis=0) if kept else np.empty((0, 6))
        rows = smart_nms_from_bboxes(rows, threshold=nms_pnet2, method="union", initial_sort=True)
        squared: npt.NDArray[np.float64] = resize_to_square(rows)
        return squared


class TensorflowMtcnn:
    def __init__(self) -> None:
        self._mtcnn = MTCNN(stages=[PyramidFixedPNet(), StageRNet(), StageONet()], device="CPU:0")

    def rows(self, image: RgbArray, min_face_size: float) -> npt.NDArray[np.float64]:
        found = self._mtcnn.detect_faces(image, output_type="numpy", box_format="xywh", min_face_size=min_face_size)
        return np.asarray(found, dtype=np.float64).reshape(-1, 16)[:, 1:]
