"""The ONNX detector's box crops against TensorFlow's crop_and_resize, written out plainly."""

from __future__ import annotations

import numpy as np
import pytest

from facerec_detector import mtcnn_onnx


def _reference(image: np.ndarray, box: np.ndarray, side: int) -> np.ndarray:
    """tf.image.crop_and_resize of one box (x1, y1, x2, y2 in pixels): bilinear, zeros outside."""
    height, width = image.shape[:2]
    out = np.zeros((side, side, image.shape[2]), np.float64)
    for i in range(side):
        y = box[1] / height * (height - 1) + i * (box[3] - box[1]) / height * (height - 1) / (side - 1)
        for j in range(side):
            x = box[0] / width * (width - 1) + j * (box[2] - box[0]) / width * (width - 1) / (side - 1)
            if not (0 <= y <= height - 1 and 0 <= x <= width - 1):
                continue
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
            fy, fx = y - y0, x - x0
            top = image[y0, x0] + (image[y0, x1] - image[y0, x0]) * fx
            bottom = image[y1, x0] + (image[y1, x1] - image[y1, x0]) * fx
            out[i, j] = top + (bottom - top) * fy
    return out


@pytest.mark.parametrize("side", [24, 48])
def test_crops_match_tensorflow_inside_across_and_outside_the_image(side: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mtcnn_onnx, "REMAP_MAX_ROWS", side * 3)  # several remap calls
    rng = np.random.default_rng(side)
    image = rng.uniform(-1, 1, (61, 83, 3)).astype(np.float32)
    corners = rng.uniform(-20, 70, (10, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(4, 40, (10, 2)), np.ones((10, 1))], axis=1)
    boxes[0, :4] = [-30, -30, -5, -5]  # wholly outside
    crops = mtcnn_onnx._crops(image, boxes, side)
    assert crops.shape == (10, side, side, 3)
    for crop, box in zip(crops, boxes, strict=True):
        np.testing.assert_allclose(crop, _reference(image, box, side), atol=1e-4)
    assert not crops[0].any()
