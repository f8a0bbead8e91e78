"""API keys through a gateway in keys mode: scopes, collection binding, revocation, audit, rate limits."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc, registry_pb2
from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_common import errors
from facerec_devstack.processes import Service, free_port
from facerec_devstack.stack import Stack
from facerec_gateway.security import new_key

pytestmark = pytest.mark.e2e
V1 = "/api/v1"
PHOTO = "faces/Hugh_Grant/Hugh_Grant_0001.jpg"


@dataclass
class KeyedGateway:
    url: str
    grpc_address: str
    admin: str


def _start_gateway(stack: Stack, name: str, **env: str) -> KeyedGateway:
    port, grpc_port, admin = free_port(), free_port(), new_key()
    stack.group.start(
        Service(
            name,
            "facerec_gateway",
            {
                "FACEREC_GATEWAY_PORT": str(port),
                "FACEREC_GATEWAY_GRPC_PORT": str(grpc_port),
                "FACEREC_GATEWAY_DETECTOR_ADDRESS": stack.address("detector"),
                "FACEREC_GATEWAY_EMBEDDER_ADDRESS": stack.address("embedder"),
                "FACEREC_GATEWAY_REGISTRY_ADDRESS": stack.address("registry"),
                "FACEREC_GATEWAY_AUTH_MODE": "keys",
                "FACEREC_GATEWAY_ADMIN_KEY": admin,
                "FACEREC_GATEWAY_KEY_CACHE_S": "0",
                **env,
            },
        )
    )
    url = f"http://127.0.0.1:{port}"
    stack.group.wait_http(name, f"{url}/healthz", 60)
    return KeyedGateway(url, f"127.0.0.1:{grpc_port}", admin)


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[KeyedGateway]:
    yield _start_gateway(stack, "gateway-keys")
    stack.group.stop("gateway-keys")


def _client(gw: KeyedGateway, key: str | None) -> httpx.Client:
    return httpx.Client(base_url=gw.url, timeout=60, headers={"x-api-key": key} if key else {})


def _make_key(gw: KeyedGateway, scope: str, collections: list[str]) -> dict[str, str]:
    with _client(gw, gw.admin) as admin:
        reply = admin.post(f"{V1}/keys", json={"name": f"{scope}-key", "scope": scope, "collections": collections})
    assert reply.status_code == 201, reply.text
    body: dict[str, str] = reply.json()
    assert body["key"].startswith("frk_")
    return body


def test_keys_scopes_binding_revocation_and_audit(gateway: KeyedGateway, data_dir: Path) -> None:
    photo = (data_dir / PHOTO).read_bytes()
    a, b = f"keys-a-{uuid.uuid4().hex[:6]}", f"keys-b-{uuid.uuid4().hex[:6]}"
    with _client(gateway, None) as anonymous:
        reply = anonymous.post(f"{V1}/detect", files={"file": ("p.jpg", photo)})
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "UNAUTHENTICATED"
        assert "X-API-Key" in reply.headers["www-authenticate"]
        assert anonymous.get("/api/face/").status_code == 401  # the seed API too
        assert anonymous.get("/healthz").status_code == 200
    with _client(gateway, "frk_not-a-real-key") as forged:
        assert forged.get(f"{V1}/collections").status_code == 401

    with _client(gateway, gateway.admin) as admin:
        for name in (a, b):
            assert admin.post(f"{V1}/collections", json={"name": name}).status_code == 201
    reader, writer = _make_key(gateway, "read", [a]), _make_key(gateway, "write", [a])

    with _client(gateway, writer["key"]) as w, _client(gateway, reader["key"]) as r:
        person = w.post(f"{V1}/collections/{a}/people", json={"name": "Hugh"}).json()["person_id"]
        enrolled = w.post(f"{V1}/collections/{a}/people/{person}/faces", files={"file": ("p.jpg", photo)})
        assert enrolled.status_code == 201
        assert w.post(f"{V1}/collections/{b}/people", json={"name": "X"}).status_code == 404  # bound to A

        identified = r.post(f"{V1}/collections/{a}/identify", files={"file": ("p.jpg", photo)})
        assert identified.status_code == 200
        assert identified.json()["faces"][0]["candidates"][0]["name"] == "Hugh"
        refused = r.post(f"{V1}/collections/{a}/people/{person}/faces", files={"file": ("p.jpg", photo)})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
        assert r.get(f"{V1}/collections/{b}").status_code == 404  # as if B did not exist
        assert [c["name"] for c in r.get(f"{V1}/collections").json()["collections"]] == [a]
        assert r.post(f"{V1}/collections", json={"name": "nope"}).status_code == 403
        assert r.get(f"{V1}/keys").status_code == 403
        assert r.get("/api/face/").status_code == 404  # the seed API's collection is not A

        face_id = enrolled.json()["face_id"]
        assert w.delete(f"{V1}/collections/{a}/faces/{face_id}").status_code == 204

    with _client(gateway, gateway.admin) as admin:
        events = admin.get(f"{V1}/audit", params={"collection": a}).json()
        assert events[0]["actor"] == writer["key_id"]
        assert (events[0]["action"], events[0]["targets"]) == ("face.delete", [face_id])
        assert set(events[0]) == {"event_id", "at", "actor", "action", "collection", "targets"}  # nothing biometric
        listed = admin.get(f"{V1}/keys").json()
        assert {reader["key_id"], writer["key_id"]} <= {k["key_id"] for k in listed}
        assert all("key" not in k for k in listed)  # the secret is never shown again
        assert admin.delete(f"{V1}/keys/{reader['key_id']}").status_code == 204
        for name in (a, b):
            admin.delete(f"{V1}/collections/{name}")
    with _client(gateway, reader["key"]) as revoked:
        assert revoked.get(f"{V1}/collections").status_code == 401


def _record_event(stack: Stack, camera: str, collection: str) -> str:
    """An event as the stream service records it (through the registry)."""
    stamp = Timestamp()
    stamp.GetCurrentTime()
    event_id = str(uuid.uuid4())
    event = cameras_pb2.CameraEvent(
        event_id=event_id, camera=camera, collection=collection, first_seen=stamp, last_seen=stamp, track_count=1
    )
    with grpc.insecure_channel(stack.address("registry")) as channel:
        cameras_pb2_grpc.CameraRegistryServiceStub(channel).RecordEvent(
            cameras_pb2.RecordEventRequest(event=event), timeout=10
        )
    return event_id


def test_cameras_need_admin_and_keys_see_their_collections_cameras_and_events(
    gateway: KeyedGateway, stack: Stack
) -> None:
    a, b = f"cams-a-{uuid.uuid4().hex[:6]}", f"cams-b-{uuid.uuid4().hex[:6]}"
    seen_in_a, seen_in_b = _record_event(stack, a, a), _record_event(stack, b, b)
    admin_a, reader_a = _make_key(gateway, "admin", [a]), _make_key(gateway, "read", [a])
    camera = {"source_url": "rtsp://u:p@10.0.0.1/s", "fps": 5}
    with _client(gateway, gateway.admin) as admin, _client(gateway, admin_a["key"]) as bound:
        assert admin.post(f"{V1}/cameras", json={**camera, "name": b, "collection": b}).status_code == 201
        assert bound.post(f"{V1}/cameras", json={**camera, "name": a, "collection": a}).status_code == 201
        refused = bound.post(f"{V1}/cameras", json={**camera, "name": f"{b}-2", "collection": b})
        assert refused.status_code == 404  # bound to A: B is as if absent
        assert [c["name"] for c in bound.get(f"{V1}/cameras").json()] == [a]
        assert bound.get(f"{V1}/cameras/{b}").status_code == 404
        assert bound.delete(f"{V1}/cameras/{b}").status_code == 404
        assert bound.patch(f"{V1}/cameras/{a}", json={"collection": b}).status_code == 404
        with _client(gateway, reader_a["key"]) as reader:
            assert reader.get(f"{V1}/cameras").status_code == 403
            assert reader.post(f"{V1}/cameras", json={**camera, "name": "x", "collection": a}).status_code == 403
            assert reader.get(f"{V1}/events", params={"camera": b}).json()["events"] == []
            assert [e["event_id"] for e in reader.get(f"{V1}/events", params={"camera": a}).json()["events"]] == [
                seen_in_a
            ]
            assert reader.get(f"{V1}/events/{seen_in_b}").status_code == 404
            assert reader.get(f"{V1}/deliveries").status_code == 403
        assert [e["event_id"] for e in admin.get(f"{V1}/events", params={"camera": b}).json()["events"]] == [seen_in_b]
        with _client(gateway, None) as anonymous:
            assert anonymous.get(f"{V1}/events").status_code == 401
        for name in (a, b):
            assert admin.delete(f"{V1}/cameras/{name}").status_code == 204


def test_grpc_api_needs_a_key_too(gateway: KeyedGateway, data_dir: Path) -> None:
    photo = (data_dir / PHOTO).read_bytes()
    reader = _make_key(gateway, "read", [])
    with grpc.insecure_channel(gateway.grpc_address) as channel:
        faces = FaceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            faces.Detect(pb.DetectRequest(image=photo), timeout=30)
        assert type(errors.from_rpc_error(caught.value)) is errors.Unauthenticated
        reply = faces.Detect(pb.DetectRequest(image=photo), timeout=30, metadata=(("x-api-key", reader["key"]),))
        assert len(reply.faces) == 1
        with pytest.raises(grpc.RpcError) as caught:
            faces.CreateCollection(
                registry_pb2.CreateCollectionRequest(name="denied"),
                timeout=10,
                metadata=(("x-api-key", reader["key"]),),
            )
        assert type(errors.from_rpc_error(caught.value)) is errors.PermissionDenied


def test_rate_limit_answers_429_with_retry_after(stack: Stack) -> None:
    gw = _start_gateway(
        stack, "gateway-ratelimited", FACEREC_GATEWAY_RATE_LIMIT_PER_S="1", FACEREC_GATEWAY_RATE_LIMIT_BURST="3"
    )
    try:
        with _client(gw, gw.admin) as admin:
            replies = [admin.get(f"{V1}/collections") for _ in range(6)]
        codes = [r.status_code for r in replies]
        assert codes[:3] == [200, 200, 200]
        limited = [r for r in replies if r.status_code == 429]
        assert limited
        assert int(limited[0].headers["retry-after"]) >= 1
        assert limited[0].json()["error"]["code"] == "RATE_LIMITED"
    finally:
        stack.group.stop("gateway-ratelimited")


def test_production_refuses_to_start_without_keys() -> None:
    env = {**os.environ, "FACEREC_GATEWAY_PRODUCTION": "true", "FACEREC_GATEWAY_PORT": str(free_port())}
    env.pop("FACEREC_GATEWAY_AUTH_MODE", None)
    done = subprocess.run(
        [sys.executable, "-m", "facerec_gateway"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "production needs API keys" in done.stderr
