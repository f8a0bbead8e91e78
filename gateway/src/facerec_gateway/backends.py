"""gRPC channels and stubs to the three services, with deadlines and error translation.

Created once in the app's lifespan; every call goes through `call()` so a
transport failure or a peer's domain error becomes a FacerecError here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from facerec.detector.v1 import detector_pb2_grpc
from facerec.embedder.v1 import embedder_pb2_grpc
from facerec.registry.v1 import registry_pb2_grpc
from facerec_common.errors import from_rpc_error
from facerec_common.server import message_options
from facerec_common.service_auth import token_metadata
from facerec_common.telemetry import client_interceptors
from facerec_gateway.settings import GatewaySettings

T = TypeVar("T")

# Calls that change nothing are retried by gRPC itself when a replica is briefly
# unreachable (restart, rollout); writes never are, so nothing is applied twice.
IDEMPOTENT_METHODS = {
    "facerec.detector.v1.DetectorService": ["Detect"],
    "facerec.embedder.v1.EmbedderService": ["Embed", "GetModel"],
    "facerec.registry.v1.RegistryService": [
        "GetCollection",
        "ListCollections",
        "GetPerson",
        "ListPeople",
        "GetFace",
        "ListFaces",
        "MatchFace",
        "MatchFaces",
        "CompareEmbeddings",
        "ListAlignedCrops",
    ],
}
# gRPC's most attempts (5); backoffs are drawn up to 0.1, 0.2, 0.4, 0.8 s, so the retries span at
# most 1.5 s: time for a killed replica to drop out of the pick list, and still well inside a
# call's deadline, so a service that is down answers 503 (UNAVAILABLE), not a 504 timeout.
RETRY_POLICY = {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "0.8s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def _service_config(service: str) -> str:
    names = [{"service": service, "method": m} for m in IDEMPOTENT_METHODS[service]]
    return json.dumps(
        {
            "loadBalancingConfig": [{"round_robin": {}}],
            # Client-side health checking: a replica gets calls only while its health service
            # says SERVING, so one that is still loading its model after a restart, or draining
            # after SIGTERM, is skipped instead of being sent calls that wait or fail.
            "healthCheckConfig": {"serviceName": ""},
            "methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}],
        }
    )


async def call(pending: Awaitable[T]) -> T:
    try:
        return await pending
    except grpc.RpcError as exc:
        raise from_rpc_error(exc) from exc


@dataclass
class Backends:
    settings: GatewaySettings
    channels: dict[str, grpc.aio.Channel]
    detector: detector_pb2_grpc.DetectorServiceStub
    embedder: embedder_pb2_grpc.EmbedderServiceStub
    registry: registry_pb2_grpc.RegistryServiceStub

    @classmethod
    def connect(cls, settings: GatewaySettings) -> Backends:
        # Round-robin (in the service config) over every address the name resolves to: with
        # headless Services (deploy/k8s) each call can go to another replica instead of one.
        options = message_options(settings.max_message_mb)

        token = settings.service_token
        sent = [token_metadata(token.get_secret_value())] if token is not None else []

        def channel(address: str, service: str) -> grpc.aio.Channel:
            config = [("grpc.enable_retries", 1), ("grpc.service_config", _service_config(service))]
            return grpc.aio.insecure_channel(
                address, options=[*options, *config], interceptors=client_interceptors(sent)
            )

        channels = {
            "detector": channel(settings.detector_address, "facerec.detector.v1.DetectorService"),
            "embedder": channel(settings.embedder_address, "facerec.embedder.v1.EmbedderService"),
            "registry": channel(settings.registry_address, "facerec.registry.v1.RegistryService"),
        }
        return cls(
            settings=settings,
            channels=channels,
            detector=detector_pb2_grpc.DetectorServiceStub(channels["detector"]),
            embedder=embedder_pb2_grpc.EmbedderServiceStub(channels["embedder"]),
            registry=registry_pb2_grpc.RegistryServiceStub(channels["registry"]),
        )

    async def health(self) -> dict[str, str]:
        """Standard gRPC health status of each service ('UNREACHABLE' when it does not answer)."""
        result = {}
        for name, channel in self.channels.items():
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=self.settings.health_timeout_s)
                result[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError:
                result[name] = "UNREACHABLE"
        return result

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
