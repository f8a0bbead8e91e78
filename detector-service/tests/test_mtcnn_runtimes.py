"""The ONNX Runtime MTCNN finds the same faces as the mtcnn package on TensorFlow, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facerec_detector.mtcnn_runtime import MtcnnDetector, RawFace
from facerec_devstack.photos import iou, load_rgb


def _dev_photos(data_dir: Path) -> list[Path]:
    """Every group and no-face photo and every fourth portrait: TensorFlow's pace bounds the CI time."""
    portraits = sorted((data_dir / "faces").rglob("*.jpg"))[::4]
    others = sorted(p for folder in ("group", "no-face") for p in (data_dir / folder).iterdir() if p.is_file())
    assert len(portraits) >= 50, "the test photos are missing"
    assert len(others) >= 10, "the test photos are missing"
    return portraits + others


def _box(face: RawFace) -> tuple[float, float, float, float]:
    return (face.x, face.y, face.width, face.height)


@pytest.fixture(scope="module")
def tensorflow_mtcnn() -> MtcnnDetector:
    return MtcnnDetector(detect_max_side=1280, runtime="tensorflow")


def test_onnx_and_tensorflow_find_the_same_faces(
    mtcnn: MtcnnDetector, tensorflow_mtcnn: MtcnnDetector, data_dir: Path
) -> None:
    assert mtcnn.runtime == "onnx"
    photos = _dev_photos(data_dir)
    assert len(photos) >= 80
    faces_seen = 0
    for path in photos:
        image = load_rgb(path)
        ours = mtcnn.detect(image, min_face_size=20.0, min_score=0.0)
        reference = tensorflow_mtcnn.detect(image, min_face_size=20.0, min_score=0.0)
        assert len(ours) == len(reference), path.name
        for a, b in zip(ours, reference, strict=True):
            assert iou(_box(a), _box(b)) >= 0.95, path.name
            assert np.abs(a.landmarks - b.landmarks).max() <= 2.0, path.name
            assert a.score == pytest.approx(b.score, abs=0.01), path.name
        faces_seen += len(ours)
    assert faces_seen >= 100  # portraits and group photos, not a run of empty answers


@pytest.mark.parametrize("min_face_size", [40, 90])
def test_tensorflow_runs_our_pyramid(tensorflow_mtcnn: MtcnnDetector, data_dir: Path, min_face_size: int) -> None:
    # The package's own pyramid goes below 12 px from 24 px up and then finds no face at all.
    image = load_rgb(data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg")
    faces = tensorflow_mtcnn.detect(image, min_face_size=float(min_face_size), min_score=0.9)
    assert len(faces) == 1


def test_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="onnx or tensorflow"):
        MtcnnDetector(detect_max_side=1280, runtime="torch")
