"""The enrolment gate's decisions on given measures (pure logic; the measures are tested on photos)."""

from __future__ import annotations

import pytest

from facerec.detector.v1 import detector_pb2
from facerec_common import errors
from facerec_gateway import quality_gate
from facerec_gateway.quality_gate import QualityThresholds

GOOD = {"inter_eye_px": 40.0, "yaw_deg": 5.0, "pitch_deg": 3.0, "sharpness": 200.0, "brightness": 130.0}


def _face(score: float = 0.99, **quality: float) -> detector_pb2.Face:
    return detector_pb2.Face(score=score, quality=detector_pb2.FaceQuality(**{**GOOD, **quality}))


@pytest.mark.parametrize(
    ("face", "expected"),
    [
        (_face(), []),
        (_face(inter_eye_px=12), [errors.FaceTooSmall]),
        (_face(score=0.85), [errors.LowDetectionScore]),
        (_face(yaw_deg=-80), [errors.ExtremePose]),
        (_face(pitch_deg=60), [errors.ExtremePose]),
        (_face(sharpness=5), [errors.Blurry]),
        (_face(brightness=15), [errors.TooDark]),
        (_face(brightness=240), [errors.TooBright]),
        (_face(brightness=15, sharpness=5, inter_eye_px=10), [errors.FaceTooSmall, errors.TooDark, errors.Blurry]),
    ],
)
def test_problems(face: detector_pb2.Face, expected: list[type[errors.PoorQuality]]) -> None:
    assert quality_gate.problems(face, QualityThresholds()) == expected


def test_check_raises_the_first_and_names_all() -> None:
    with pytest.raises(errors.FaceTooSmall) as caught:
        quality_gate.check(_face(inter_eye_px=10, sharpness=5), QualityThresholds())
    assert caught.value.metadata["reasons"] == "FACE_TOO_SMALL,BLURRY"
    assert caught.value.metadata["sharpness"] == "5.0"


def test_thresholds_are_settings() -> None:
    strict = QualityThresholds(min_sharpness=500)
    assert quality_gate.problems(_face(), strict) == [errors.Blurry]
