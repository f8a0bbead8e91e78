"""Which faces are fit to enrol: checks on the detector's quality measures, with reasons.

Defaults accept every photo of the dev set (../shared/data/faces) and refuse
blurred, tiny, near-black or strongly turned faces; see docs/quality.md.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from facerec.detector.v1 import detector_pb2
from facerec_common import errors


class QualityThresholds(BaseModel):
    min_inter_eye_px: float = Field(20.0, ge=0, description="FACE_TOO_SMALL below this eye distance.")
    min_detection_score: float = Field(0.9, ge=0, le=1, description="LOW_DETECTION_SCORE below this.")
    max_yaw_deg: float = Field(70.0, ge=0, le=90, description="EXTREME_POSE beyond this head turn.")
    max_pitch_deg: float = Field(55.0, ge=0, le=90, description="EXTREME_POSE beyond this tilt up or down.")
    min_sharpness: float = Field(20.0, ge=0, description="BLURRY below this Laplacian variance.")
    min_brightness: float = Field(40.0, ge=0, le=255, description="TOO_DARK below this mean grey level.")
    max_brightness: float = Field(225.0, ge=0, le=255, description="TOO_BRIGHT above this mean grey level.")


def problems(face: detector_pb2.Face, limits: QualityThresholds) -> list[type[errors.PoorQuality]]:
    """Every check the face fails, the root cause first."""
    q = face.quality
    found: list[type[errors.PoorQuality]] = []
    if q.inter_eye_px < limits.min_inter_eye_px:
        found.append(errors.FaceTooSmall)
    if face.score < limits.min_detection_score:
        found.append(errors.LowDetectionScore)
    # Light before blur: a dark or washed-out face also loses the contrast sharpness measures.
    if q.brightness < limits.min_brightness:
        found.append(errors.TooDark)
    if q.brightness > limits.max_brightness:
        found.append(errors.TooBright)
    if abs(q.yaw_deg) > limits.max_yaw_deg or abs(q.pitch_deg) > limits.max_pitch_deg:
        found.append(errors.ExtremePose)
    if q.sharpness < limits.min_sharpness:
        found.append(errors.Blurry)
    return found


def check(face: detector_pb2.Face, limits: QualityThresholds) -> None:
    """Raise the first failed check as its error, naming all of them."""
    failed = problems(face, limits)
    if failed:
        q = face.quality
        raise failed[0](
            f"{failed[0].default_message} Failed checks: {', '.join(f.code for f in failed)}.",
            reasons=",".join(f.code for f in failed),
            inter_eye_px=f"{q.inter_eye_px:.1f}",
            detection_score=f"{face.score:.3f}",
            yaw_deg=f"{q.yaw_deg:.1f}",
            pitch_deg=f"{q.pitch_deg:.1f}",
            sharpness=f"{q.sharpness:.1f}",
            brightness=f"{q.brightness:.1f}",
        )
