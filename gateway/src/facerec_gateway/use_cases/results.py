"""What the use cases answer: internal protobuf messages gathered per question; each API
converts them to its own shape at its edge."""

from __future__ import annotations

from dataclasses import dataclass

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.registry.v1 import registry_pb2


@dataclass(frozen=True)
class Recognition:
    match: bool
    name: str | None
    face_id: str | None
    similarity: float | None
    threshold: float
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class FaceMatches:
    """One face of a photo and its best candidates."""

    face: detector_pb2.Face
    result: registry_pb2.MatchFaceResponse


@dataclass(frozen=True)
class Verification:
    similarity: float
    match: bool
    threshold: float
    face_a: detector_pb2.Face
    face_b: detector_pb2.Face
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class PersonVerification:
    face: detector_pb2.Face
    result: registry_pb2.MatchFaceResponse
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class FaceChoice:
    """Which face of the photo was taken (index in the detector's order, largest first), and why."""

    index: int
    reason: str
    # Its embedding and model, when choosing already computed them (no second embed).
    embedded: tuple[types_pb2.Embedding, types_pb2.ModelInfo] | None = None


@dataclass(frozen=True)
class Enrolment:
    record: registry_pb2.FaceRecord
    face: detector_pb2.Face
    faces_in_photo: int
    # Another person this face already matches closely: a likely mix-up, reported not refused.
    possible_duplicate: registry_pb2.Candidate | None
    choice: FaceChoice
