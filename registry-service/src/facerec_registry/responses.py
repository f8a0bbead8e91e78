"""gRPC messages built from what the store and matching answer, for the records that `convert`
does not cover: API keys, audit events, aligned crops and match verdicts."""

from __future__ import annotations

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2
from facerec_registry import convert
from facerec_registry.matching import Verdict
from facerec_registry.store.records import AlignedCrop, ApiKeyInfo, AuditEntry


def api_key(key: ApiKeyInfo) -> registry_pb2.ApiKey:
    return registry_pb2.ApiKey(
        key_id=str(key.key_id),
        name=key.name,
        scope=key.scope,
        collections=key.collections,
        prefix=key.prefix,
        created_at=convert.timestamp(key.created_at),
        revoked_at=convert.timestamp(key.revoked_at) if key.revoked_at else None,
    )


def audit_event(event: AuditEntry) -> registry_pb2.AuditEvent:
    return registry_pb2.AuditEvent(
        event_id=event.event_id,
        at=convert.timestamp(event.at),
        actor=event.actor,
        action=event.action,
        collection=event.collection or "",
        targets=event.targets,
    )


def aligned_crop(crop: AlignedCrop) -> registry_pb2.AlignedCrop:
    return registry_pb2.AlignedCrop(
        face_id=str(crop.face_id), aligned=types_pb2.RgbImage(width=crop.width, height=crop.height, pixels=crop.pixels)
    )


def match(verdict: Verdict) -> registry_pb2.MatchFaceResponse:
    threshold = verdict.threshold
    return registry_pb2.MatchFaceResponse(
        candidates=[
            registry_pb2.Candidate(
                face_id=str(c.face_id), person_id=str(c.person_id), person_name=c.person_name, similarity=c.similarity
            )
            for c in verdict.candidates
        ],
        match=verdict.match,
        threshold=threshold.value,
        method=verdict.method,
        threshold_basis=threshold.basis,
        target_fpir=threshold.target_fpir,
        gallery_faces=verdict.gallery_faces,
    )
