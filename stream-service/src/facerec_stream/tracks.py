"""What is known about each track: its best faces by the product's quality measures, how many
were embedded, and its decision (a known person, or unknown) once there is one."""

from __future__ import annotations

import math
from dataclasses import dataclass

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2

# A face smaller or more turned than this is never identified (the enrolment gate's spirit).
MIN_INTER_EYE_PX = 12.0
MAX_YAW_DEG = 50.0
# At most this many embeddings per track; a new face is embedded only when clearly better.
MAX_EMBEDDINGS = 3
BETTER_BY = 1.25


def quality(face: detector_pb2.Face) -> float:
    """How good a face is to identify, 0 when unusable: larger, sharper and more frontal is better."""
    q = face.quality
    if q.inter_eye_px < MIN_INTER_EYE_PX or abs(q.yaw_deg) > MAX_YAW_DEG:
        return 0.0
    size = min(q.inter_eye_px, 60.0) / 60.0
    sharp = min(q.sharpness, 300.0) / 300.0
    frontal = math.cos(math.radians(q.yaw_deg))
    return size * (0.5 + 0.5 * sharp) * frontal


@dataclass(frozen=True)
class Known:
    person_id: str
    name: str
    score: float
    threshold: float


@dataclass
class Track:
    track_id: int
    first_seen: float  # wall-clock seconds
    last_seen: float
    best: detector_pb2.Face | None = None
    best_quality: float = 0.0
    embedded_quality: float = 0.0  # of the last face embedded
    embeddings: int = 0
    # The best try so far, for an unknown: its embedding, and its best candidate's score.
    embedding: types_pb2.Embedding | None = None
    model: types_pb2.ModelInfo | None = None
    best_score: float = -1.0
    threshold: float = 0.0
    decision: Known | None = None
    event_id: str | None = None

    def saw(self, face: detector_pb2.Face, at: float) -> None:
        self.last_seen = at
        q = quality(face)
        if q > self.best_quality:
            self.best, self.best_quality = face, q

    def wants_embedding(self) -> bool:
        """Undecided, with a usable face clearly better than the last one tried, and tries left."""
        return (
            self.decision is None
            and self.best is not None
            and self.embeddings < MAX_EMBEDDINGS
            and self.best_quality > self.embedded_quality * BETTER_BY
        )
