"""API keys and the audit log (admin keys bound to no collection)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from facerec.registry.v1 import registry_pb2
from facerec_common.names import COLLECTION_NAME_ANCHORED
from facerec_common.text import MAX_NAME_CHARS
from facerec_gateway.dependencies import Admin, FacesDep
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.security import key_hash, new_key
from facerec_gateway.v1.schemas import CollectionName, Text

router = APIRouter(tags=["admin"], responses=ERRORS, route_class=JsonRoute)


class KeyCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=MAX_NAME_CHARS, examples=["door-kiosk-3"])
    scope: Literal["read", "write", "admin"] = Field(description="read < write < admin; each includes the ones before.")
    collections: list[CollectionName] = Field([], description="Bind the key to these collections; empty: all.")


class Key(BaseModel):
    key_id: str
    name: str
    scope: str
    collections: list[str]
    prefix: str = Field(description="First characters of the key, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None


class CreatedKey(Key):
    key: str = Field(description="The key itself. Shown once: only its hash is stored.")


class AuditEvent(BaseModel):
    event_id: int
    at: datetime
    actor: str = Field(description="Key id of the caller; 'anonymous' in open mode.")
    action: str = Field(examples=["face.delete"])
    collection: str | None
    targets: list[str]


def _key(k: registry_pb2.ApiKey) -> Key:
    return Key(
        key_id=k.key_id,
        name=k.name,
        scope=k.scope,
        collections=list(k.collections),
        prefix=k.prefix,
        created_at=k.created_at.ToDatetime(tzinfo=UTC),
        revoked_at=k.revoked_at.ToDatetime(tzinfo=UTC) if k.HasField("revoked_at") else None,
    )


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=CreatedKey)
async def create_key(body: KeyCreate, faces: FacesDep, who: Admin) -> CreatedKey:
    """Make an API key; send it as the `X-API-Key` header (or gRPC metadata `x-api-key`)."""
    secret = new_key()
    request = registry_pb2.CreateApiKeyRequest(
        name=body.name, scope=body.scope, collections=body.collections, key_sha256=key_hash(secret), prefix=secret[:12]
    )
    created = await faces.registry(faces.backends.registry.CreateApiKey, request, actor=who.actor)
    return CreatedKey(**_key(created).model_dump(), key=secret)


@router.get("/keys", response_model=list[Key])
async def list_keys(faces: FacesDep, _: Admin) -> list[Key]:
    reply = await faces.registry(faces.backends.registry.ListApiKeys, registry_pb2.ListApiKeysRequest())
    return [_key(k) for k in reply.keys]


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, faces: FacesDep, who: Admin) -> None:
    """Revoke a key; gateways stop accepting it within FACEREC_GATEWAY_KEY_CACHE_S (30 s)."""
    await faces.registry(
        faces.backends.registry.RevokeApiKey, registry_pb2.RevokeApiKeyRequest(key_id=key_id), who.actor
    )


@router.get("/audit", response_model=list[AuditEvent])
async def audit_log(
    faces: FacesDep,
    _: Admin,
    collection: Annotated[str | None, Query(pattern=COLLECTION_NAME_ANCHORED)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int, Query(ge=0, description="event_id to page back from")] = 0,
) -> list[AuditEvent]:
    """Deletes and key changes, newest first: who, what, when (never biometric data)."""
    request = registry_pb2.ListAuditEventsRequest(collection=collection or "", page_size=limit, before_event_id=before)
    reply = await faces.registry(faces.backends.registry.ListAuditEvents, request)
    return [
        AuditEvent(
            event_id=e.event_id,
            at=e.at.ToDatetime(tzinfo=UTC),
            actor=e.actor,
            action=e.action,
            collection=e.collection or None,
            targets=list(e.targets),
        )
        for e in reply.events
    ]
