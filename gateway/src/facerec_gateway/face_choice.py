"""The detector's answer as the geometry subject choice (facerec_common.subject) looks at."""

from __future__ import annotations

from facerec.detector.v1 import detector_pb2
from facerec_common.subject import Choice, FaceGeometry, choose


def geometry(face: detector_pb2.Face) -> FaceGeometry:
    m = face.landmarks
    points = (m.left_eye, m.right_eye, m.nose, m.mouth_left, m.mouth_right)
    return FaceGeometry(
        x=face.box.x,
        y=face.box.y,
        width=face.box.width,
        height=face.box.height,
        score=face.score,
        landmarks=[(p.x, p.y) for p in points],
        yaw_deg=face.quality.yaw_deg,
    )


def choose_subject(detection: detector_pb2.DetectResponse) -> Choice:
    """The photo's most likely subject; the detection holds at least one face."""
    return choose([geometry(f) for f in detection.faces], detection.image_width, detection.image_height)
