"""Our alignment is InsightFace's norm_crop, to within rounding."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from insightface.utils.face_align import norm_crop

from facerec_detector.align import CROP_SIZE, align_face
from facerec_detector.mtcnn_runtime import MtcnnDetector
from facerec_devstack.photos import load_rgb


def test_matches_insightface_norm_crop(mtcnn: MtcnnDetector, data_dir: Path) -> None:
    portraits = sorted((data_dir / "faces").glob("*/*_0001.jpg"))[:5]
    assert len(portraits) == 5, "the test photos are missing"
    for path in portraits:
        image = load_rgb(path)
        [face] = mtcnn.detect(image, 20.0, 0.9)[:1]
        ours = align_face(image, face.landmarks)
        reference = cv2.cvtColor(norm_crop(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), face.landmarks), cv2.COLOR_BGR2RGB)
        assert ours.shape == (CROP_SIZE, CROP_SIZE, 3)
        assert np.abs(ours.astype(int) - reference.astype(int)).max() <= 1, path.name


def test_eyes_land_on_the_template(mtcnn: MtcnnDetector, data_dir: Path) -> None:
    image = load_rgb(data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg")
    [face] = mtcnn.detect(image, 20.0, 0.9)[:1]
    crop = align_face(image, face.landmarks)
    [again] = mtcnn.detect(np.ascontiguousarray(crop), 12.0, 0.5)[:1]
    # Re-detected in the crop, the eyes sit near the template's (38, 52) and (74, 52).
    np.testing.assert_allclose(again.landmarks[:2], [[38.3, 51.7], [73.5, 51.5]], atol=6)
