"""ArcFace alignment: warp the face so its 5 landmarks land on InsightFace's 112x112 template.

Same transform as `insightface.utils.face_align.norm_crop` (a least-squares
similarity, Umeyama 1991), without importing InsightFace and its runtime into
the detector; tests/test_align.py checks the two agree.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from facerec_common.rgb import RgbArray

CROP_SIZE = 112

ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def similarity_transform(src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """2x3 matrix of the similarity that best maps src points onto dst points."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    d = np.ones(2)
    if np.linalg.det(covariance) < 0:
        d[1] = -1
    rotation = u @ np.diag(d) @ vt
    scale = (singular * d).sum() / src_c.var(axis=0).sum()
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(image: RgbArray, landmarks: npt.NDArray[np.float64]) -> RgbArray:
    """112x112 RGB crop for landmarks ordered left eye, right eye, nose, mouth left, mouth right."""
    matrix = similarity_transform(landmarks.astype(np.float64), ARCFACE_TEMPLATE)
    crop = cv2.warpAffine(image, matrix, (CROP_SIZE, CROP_SIZE), borderValue=0.0)
    return np.ascontiguousarray(crop, dtype=np.uint8)
