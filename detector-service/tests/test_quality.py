"""Quality measures: pose from landmark geometry, and sharpness, brightness, size on real photos."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from facerec_detector.align import ARCFACE_TEMPLATE, align_face
from facerec_detector.mtcnn_runtime import MtcnnDetector
from facerec_detector.quality import NOSE_DEPTH, measure
from facerec_devstack.photos import load_rgb

BLANK = np.full((112, 112, 3), 128, dtype=np.uint8)


def _turned(yaw_deg: float) -> np.ndarray:
    """The template's landmarks seen with the head turned: eyes close up, the nose slides."""
    pts = ARCFACE_TEMPLATE.copy()
    eye_mid_x = (pts[0, 0] + pts[1, 0]) / 2
    half_eye = (pts[1, 0] - pts[0, 0]) / 2
    yaw = math.radians(yaw_deg)
    for i in (0, 1, 3, 4):
        pts[i, 0] = eye_mid_x + (pts[i, 0] - eye_mid_x) * math.cos(yaw)
    pts[2, 0] = eye_mid_x + NOSE_DEPTH * half_eye * math.sin(yaw)
    return pts


def test_template_is_frontal() -> None:
    q = measure(ARCFACE_TEMPLATE, BLANK)
    assert abs(q.yaw_deg) < 2
    assert abs(q.pitch_deg) < 2
    assert abs(q.roll_deg) < 1
    assert q.inter_eye_px == pytest.approx(35.2, abs=0.1)


@pytest.mark.parametrize("yaw", [-60, -30, 15, 45, 75])
def test_yaw_is_recovered(yaw: float) -> None:
    assert measure(_turned(yaw), BLANK).yaw_deg == pytest.approx(yaw, abs=1)


def test_roll_follows_the_eye_line() -> None:
    angle = math.radians(20)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    q = measure(ARCFACE_TEMPLATE @ rotation.T, BLANK)
    assert q.roll_deg == pytest.approx(20, abs=0.5)
    assert abs(q.yaw_deg) < 2  # rolling is not turning


def test_degraded_photos_move_the_measures(mtcnn: MtcnnDetector, data_dir: Path) -> None:
    image = load_rgb(data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg")

    def quality(img: np.ndarray):  # type: ignore[no-untyped-def]
        face = mtcnn.detect(np.ascontiguousarray(img), 20.0, 0.5)[0]
        return measure(face.landmarks, align_face(img, face.landmarks))

    sharp = quality(image)
    assert quality(cv2.GaussianBlur(image, (0, 0), 3)).sharpness < sharp.sharpness / 5
    assert quality((image * 0.12).astype(np.uint8)).brightness < 25
    assert quality(cv2.resize(image, (62, 62), interpolation=cv2.INTER_AREA)).inter_eye_px < 15
