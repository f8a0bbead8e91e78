"""MTCNN's image pyramid: every level at least 12 px, and larger minimum face sizes still find faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facerec_detector.mtcnn_runtime import MtcnnDetector
from facerec_detector.pyramid import PNET_WINDOW, scale_pyramid
from facerec_devstack.photos import load_rgb


@pytest.mark.parametrize("min_face_size", [12, 20, 24, 40, 100, 249])
@pytest.mark.parametrize(("width", "height"), [(250, 250), (500, 375), (4000, 3000)])
def test_every_level_is_at_least_one_window(width: int, height: int, min_face_size: int) -> None:
    scales = scale_pyramid(width, height, min_face_size, 0.709)
    assert len(scales) > 0
    assert min(width, height) * scales.min() >= PNET_WINDOW
    # The first level maps min_face_size onto the 12 px window.
    assert scales[0] == pytest.approx(PNET_WINDOW / min_face_size)


def test_face_larger_than_image_has_no_level() -> None:
    assert len(scale_pyramid(50, 50, 100, 0.709)) == 0


@pytest.mark.parametrize("min_face_size", [20, 40, 60, 90])
def test_raised_min_face_size_still_finds_the_face(mtcnn: MtcnnDetector, data_dir: Path, min_face_size: int) -> None:
    # mtcnn 1.0.0 alone returns no face from 24 px up (its pyramid goes below 12 px).
    image = load_rgb(data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg")
    faces = mtcnn.detect(image, min_face_size=float(min_face_size), min_score=0.9)
    assert len(faces) == 1
    assert faces[0].width >= min_face_size


def test_faces_smaller_than_minimum_are_dropped(mtcnn: MtcnnDetector, data_dir: Path) -> None:
    image = load_rgb(data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg")
    assert mtcnn.detect(image, min_face_size=200.0, min_score=0.9) == []


def test_downscaled_detection_reports_source_coordinates(data_dir: Path, mtcnn: MtcnnDetector) -> None:
    image = load_rgb(data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg")
    big = np.repeat(np.repeat(image, 4, axis=0), 4, axis=1)  # 1000x1000, detected at 640
    small_detector = MtcnnDetector(detect_max_side=640)
    [face_small] = mtcnn.detect(image, 20.0, 0.9)
    [face_big] = small_detector.detect(big, 20.0, 0.9)
    # Detection at another scale moves points by a few percent of the face, never by a scale factor.
    tolerance = 0.05 * face_small.width * 4
    assert face_big.x == pytest.approx(face_small.x * 4, abs=tolerance)
    assert face_big.width == pytest.approx(face_small.width * 4, rel=0.1)
    np.testing.assert_allclose(face_big.landmarks, face_small.landmarks * 4, atol=tolerance)
