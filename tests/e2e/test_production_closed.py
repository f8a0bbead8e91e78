"""Production closes what it should: the services refuse calls without the shared service token
(health stays open for probes), a gateway given the token works through them, and its /metrics
answers only the metrics token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_devstack.processes import Service, free_port
from facerec_devstack.stack import Stack
from facerec_gateway.security import new_key

pytestmark = pytest.mark.e2e
SERVICE_TOKEN = "service-" + new_key()
METRICS_TOKEN = "metrics-" + new_key()


@dataclass
class Guarded:
    addresses: dict[str, str]
    gateway: str
    public_grpc: str
    admin: str


@pytest.fixture(scope="module")
def guarded(stack: Stack, model_path: Path) -> Iterator[Guarded]:
    """Token-guarded copies of the three services (on the stack's database) behind a production gateway."""
    ports = {name: free_port() for name in ("detector", "embedder", "registry")}
    common = {"PYTHONUNBUFFERED": "1", "FACEREC_SERVICE_TOKEN": SERVICE_TOKEN}
    services = [
        Service(
            "guarded-detector",
            "facerec_detector",
            {**common, "FACEREC_DETECTOR_PORT": str(ports["detector"]), "FACEREC_DETECTOR_METRICS_PORT": "-1"},
        ),
        Service(
            "guarded-embedder",
            "facerec_embedder",
            {
                **common,
                "FACEREC_EMBEDDER_PORT": str(ports["embedder"]),
                "FACEREC_EMBEDDER_METRICS_PORT": "-1",
                "FACEREC_EMBEDDER_MODEL_PATH": str(model_path.resolve()),
            },
        ),
        Service(
            "guarded-registry",
            "facerec_registry",
            {
                **common,
                "DATABASE_URL": stack.database_url,
                "FACEREC_REGISTRY_PORT": str(ports["registry"]),
                "FACEREC_REGISTRY_METRICS_PORT": "-1",
            },
        ),
    ]
    addresses = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    gateway_port, grpc_port, admin = free_port(), free_port(), new_key()
    names = [s.name for s in services]
    try:
        for service in services:
            stack.group.start(service)
        for service in services:
            stack.group.wait_grpc(service.name, addresses[service.name.removeprefix("guarded-")], 120)
        stack.group.start(
            Service(
                "guarded-gateway",
                "facerec_gateway",
                {
                    **common,
                    "FACEREC_GATEWAY_PORT": str(gateway_port),
                    "FACEREC_GATEWAY_GRPC_PORT": str(grpc_port),
                    "FACEREC_GATEWAY_PRODUCTION": "true",
                    "FACEREC_GATEWAY_AUTH_MODE": "keys",
                    "FACEREC_GATEWAY_ADMIN_KEY": admin,
                    "FACEREC_GATEWAY_METRICS_TOKEN": METRICS_TOKEN,
                    **{f"FACEREC_GATEWAY_{n.upper()}_ADDRESS": a for n, a in addresses.items()},
                },
            )
        )
        names.append("guarded-gateway")
        url = f"http://127.0.0.1:{gateway_port}"
        stack.group.wait_http("guarded-gateway", f"{url}/readyz", 60)
        yield Guarded(addresses, url, f"127.0.0.1:{grpc_port}", admin)
    finally:
        for name in reversed(names):
            if name in stack.group.services:
                stack.group.stop(name)


def test_services_refuse_calls_without_the_token(guarded: Guarded, data_dir: Path) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    calls = {
        "detector": lambda ch: detector_pb2_grpc.DetectorServiceStub(ch).Detect(
            detector_pb2.DetectRequest(image=photo), timeout=30
        ),
        "embedder": lambda ch: embedder_pb2_grpc.EmbedderServiceStub(ch).GetModel(
            embedder_pb2.GetModelRequest(), timeout=30
        ),
        "registry": lambda ch: registry_pb2_grpc.RegistryServiceStub(ch).ListCollections(
            registry_pb2.ListCollectionsRequest(), timeout=30
        ),
    }
    for name, call in calls.items():
        with grpc.insecure_channel(guarded.addresses[name]) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                call(channel)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, name  # type: ignore[attr-defined]
            # Probes carry no token: health stays open.
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_a_gateway_with_the_token_works_through_them(guarded: Guarded, data_dir: Path) -> None:
    photo = data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg"
    with photo.open("rb") as f:
        reply = httpx.post(
            f"{guarded.gateway}/api/v1/detect", files={"file": f}, headers={"X-API-Key": guarded.admin}, timeout=60
        )
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["faces"]) == 1


def test_the_public_grpc_api_takes_api_keys_not_the_service_token(guarded: Guarded, data_dir: Path) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    with grpc.insecure_channel(guarded.public_grpc) as channel:
        faces = FaceServiceStub(channel)
        found = faces.Detect(pb.DetectRequest(image=photo), metadata=[("x-api-key", guarded.admin)], timeout=30)
        assert len(found.faces) == 1
        with pytest.raises(grpc.RpcError) as refused:
            faces.Detect(pb.DetectRequest(image=photo), timeout=30)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]


def test_production_metrics_answer_only_the_metrics_token(guarded: Guarded) -> None:
    url = f"{guarded.gateway}/metrics"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": guarded.admin}):
        refused = httpx.get(url, headers=headers, timeout=30)
        assert refused.status_code == 401, headers
        assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
    served = httpx.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert served.status_code == 200
    assert "facerec_http_requests_total" in served.text
