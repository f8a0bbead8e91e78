"""Protobuf messages -> v1 response bodies."""

from __future__ import annotations

from datetime import UTC
from typing import Any, Literal

from google.protobuf import json_format

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.packed import unpack
from facerec_gateway import quality_gate
from facerec_gateway.quality_gate import QualityThresholds
from facerec_gateway.v1 import schemas as s

DECIMALS = 4


def model(info: types_pb2.ModelInfo) -> s.Model:
    return s.Model(name=info.name, version=info.version)


def numbers(embedding: types_pb2.Embedding) -> list[float]:
    """A packed embedding as the JSON numbers REST answers with (the one place it is unpacked)."""
    values: list[float] = unpack(embedding.vector).tolist()
    return values


def box(b: types_pb2.Box) -> s.Box:
    return s.Box(x=round(b.x, 1), y=round(b.y, 1), width=round(b.width, 1), height=round(b.height, 1))


def _point(p: types_pb2.Point) -> s.Point:
    return s.Point(x=round(p.x, 1), y=round(p.y, 1))


def detected(face: detector_pb2.Face) -> s.DetectedFace:
    lm = face.landmarks
    return s.DetectedFace(
        box=box(face.box),
        landmarks=s.Landmarks(
            left_eye=_point(lm.left_eye),
            right_eye=_point(lm.right_eye),
            nose=_point(lm.nose),
            mouth_left=_point(lm.mouth_left),
            mouth_right=_point(lm.mouth_right),
        ),
        detection_score=round(face.score, DECIMALS),
    )


def qualified(face: detector_pb2.Face, limits: QualityThresholds) -> s.QualifiedFace:
    q = face.quality
    failed = [p.code for p in quality_gate.problems(face, limits)]
    return s.QualifiedFace(
        **detected(face).model_dump(),
        quality=s.Quality(
            inter_eye_px=round(q.inter_eye_px, 1),
            yaw_deg=round(q.yaw_deg, 1),
            pitch_deg=round(q.pitch_deg, 1),
            roll_deg=round(q.roll_deg, 1),
            sharpness=round(q.sharpness, 1),
            brightness=round(q.brightness, 1),
            enrollable=not failed,
            problems=failed,
        ),
    )


def cursor(token: str) -> str | None:
    return token or None


def collection(c: registry_pb2.Collection) -> s.Collection:
    return s.Collection(
        name=c.name,
        people_count=c.people_count,
        face_count=c.face_count,
        model=model(c.model) if c.HasField("model") else None,
        created_at=c.created_at.ToDatetime(tzinfo=UTC),
        target_fpir=c.target_fpir if c.HasField("target_fpir") else None,
    )


def target_fpir(result: registry_pb2.MatchFaceResponse) -> float | None:
    return result.target_fpir if result.threshold_basis == "open_set" else None


def threshold_basis(result: registry_pb2.MatchFaceResponse) -> Literal["open_set", "one_to_one", "request"]:
    basis = result.threshold_basis
    if basis not in ("open_set", "one_to_one", "request"):
        return "one_to_one"  # a registry from before open-set thresholds
    return basis  # type: ignore[return-value]


def _json_numbers(value: Any) -> Any:
    """Struct stores every number as a double: give whole numbers back as integers, as sent."""
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def person(p: registry_pb2.Person) -> s.Person:
    return s.Person(
        person_id=p.person_id,
        name=p.name,
        external_id=p.external_id or None,
        metadata=_json_numbers(json_format.MessageToDict(p.metadata)),
        face_count=p.face_count,
        created_at=p.created_at.ToDatetime(tzinfo=UTC),
    )


def face(f: registry_pb2.FaceRecord) -> s.Face:
    return s.Face(
        face_id=f.face_id,
        person_id=f.person_id,
        name=f.person_name,
        box=box(f.box),
        detection_score=round(f.detection_score, DECIMALS),
        model=model(f.model),
        created_at=f.created_at.ToDatetime(tzinfo=UTC),
    )


def candidate(c: registry_pb2.Candidate) -> s.Candidate:
    return s.Candidate(
        person_id=c.person_id, name=c.person_name, similarity=round(c.similarity, DECIMALS), face_id=c.face_id
    )


def search_method(method: str) -> s.SearchMethod:
    return "index" if method == "index" else "exact"


def search_result(result: registry_pb2.MatchFaceResponse, info: types_pb2.ModelInfo) -> s.SearchResult:
    return s.SearchResult(
        match=result.match,
        threshold=round(result.threshold, DECIMALS),
        target_fpir=target_fpir(result),
        threshold_basis=threshold_basis(result),
        candidates=[candidate(c) for c in result.candidates],
        model=model(info),
        search_method=search_method(result.method),
    )
