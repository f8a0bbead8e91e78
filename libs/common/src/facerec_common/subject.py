"""Which face of a photo is its subject, when one face is taken.

The largest face is not always the subject: a bystander cut by the border can be bigger than
the person in the centre. Each face is scored by how fully it is inside the frame (all five
landmarks in the image, share of the box inside), its size relative to the largest, nearness
to the centre, pose and detection score. A photo is ambiguous only when the best two are
comparable, both fully visible and both frontal: then nothing tells them apart.
Calibrated on the crowd photos by bench/accuracy.py (see docs/face-choice.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A runner-up scoring at least this share of the best makes the photo ambiguous
# (when both are fully visible and frontal).
AMBIGUOUS_RATIO = 0.75
# Faces turned further than this are not "frontal" for the ambiguity rule.
FRONTAL_YAW_DEG = 35.0
# A face with a landmark outside the image is cut by the border: its score is scaled by this.
CUT_FACE_FACTOR = 0.25
# How much being off centre costs (a face in a corner keeps 1 - this), and how much a turned
# head does (cos(yaw) to this power). Chosen on half the crowd's people by the strict judge (the
# face each framed photo is centred on) and checked on the other half: 0.6 and 1.0 before took
# turned subjects over frontal bystanders (3 of ~2,450 photos wrong on the held-out half, 0 now).
CENTRE_WEIGHT = 0.7
POSE_EXPONENT = 0.5


@dataclass(frozen=True)
class FaceGeometry:
    """What the choice looks at, from the detector's answer (source pixels)."""

    x: float
    y: float
    width: float
    height: float
    score: float
    landmarks: Sequence[tuple[float, float]]  # left eye, right eye, nose, mouth left, mouth right
    yaw_deg: float


@dataclass(frozen=True)
class Choice:
    index: int  # into the faces as given
    ambiguous: bool  # two comparable, fully visible, frontal faces: a caller should say which
    reason: str
    scores: tuple[float, ...]  # each face's subject score, 0..1, in the order given


def fully_visible(face: FaceGeometry, width: int, height: int) -> bool:
    return all(0 <= x < width and 0 <= y < height for x, y in face.landmarks)


def _inside_share(face: FaceGeometry, width: int, height: int) -> float:
    w = max(0.0, min(face.x + face.width, width) - max(face.x, 0.0))
    h = max(0.0, min(face.y + face.height, height) - max(face.y, 0.0))
    return (w * h) / max(face.width * face.height, 1e-9)


def subject_scores(faces: Sequence[FaceGeometry], width: int, height: int) -> list[float]:
    if not faces:
        return []
    largest = max(f.width for f in faces)
    half_diagonal = math.hypot(width, height) / 2
    scores = []
    for f in faces:
        size = f.width / largest
        visible = _inside_share(f, width, height) * (1.0 if fully_visible(f, width, height) else CUT_FACE_FACTOR)
        off_centre = math.hypot(f.x + f.width / 2 - width / 2, f.y + f.height / 2 - height / 2) / half_diagonal
        central = 1.0 - CENTRE_WEIGHT * min(off_centre, 1.0)
        pose = max(0.2, math.cos(math.radians(min(abs(f.yaw_deg), 90.0)))) ** POSE_EXPONENT
        scores.append(size * visible * central * pose * min(max(f.score, 0.0), 1.0))
    return scores


def choose(faces: Sequence[FaceGeometry], width: int, height: int) -> Choice:
    """The most likely subject of a photo with at least one face."""
    if not faces:
        raise ValueError("no face to choose from")
    scores = subject_scores(faces, width, height)
    order = sorted(range(len(faces)), key=lambda i: -scores[i])
    best = order[0]
    if len(faces) == 1:
        return Choice(best, False, "the only face", tuple(scores))

    # Rivals: faces comparable to the best that are fully visible and frontal. Two of them
    # (the best may be one) and nothing in the photo tells which is meant.
    rivals = [
        i
        for i in order
        if scores[i] >= AMBIGUOUS_RATIO * scores[best]
        and fully_visible(faces[i], width, height)
        and abs(faces[i].yaw_deg) <= FRONTAL_YAW_DEG
    ]
    ambiguous = len(rivals) > 1
    if ambiguous:
        reason = f"faces {', '.join(map(str, sorted(rivals)))} are comparable, fully visible and frontal"
    else:
        reason = f"most likely subject of {len(faces)} faces (inside the frame, size, centre, pose)"
    return Choice(best, ambiguous, reason, tuple(scores))
