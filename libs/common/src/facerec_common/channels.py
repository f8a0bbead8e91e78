"""gRPC channels from one service to another, as every client in the product opens them.

Round-robin over every address the name resolves to (with headless Services each call can go to
another replica); only to replicas whose health says SERVING (client-side health checking: a
replica still loading its model after a restart, or draining after SIGTERM, is skipped); and the
calls that change nothing retried on another replica when one dies mid-call. Writes are never
retried, so nothing is applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from facerec.detector.v1 import detector_pb2_grpc
from facerec.embedder.v1 import embedder_pb2_grpc
from facerec.registry.v1 import cameras_pb2_grpc, registry_pb2_grpc
from facerec_common.errors import from_rpc_error
from facerec_common.server import message_options
from facerec_common.service_auth import token_metadata
from facerec_common.telemetry import client_interceptors

# The calls that change nothing, by service: retried by gRPC itself when a replica is briefly
# unreachable (restart, rollout).
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
    # Served by the registry beside RegistryService, on the same channel.
    "facerec.registry.v1.CameraRegistryService": [
        "GetCamera",
        "ListCameras",
        "GetEvent",
        "ListEvents",
        "ListDeliveries",
    ],
}

# gRPC's most attempts (5); backoffs are drawn up to 0.1, 0.2, 0.4, 0.8 s, so the retries span at
# most 1.5 s: time for a killed replica to drop out of the pick list, and still well inside a
# call's deadline, so a service that is down answers UNAVAILABLE, not a deadline.
RETRY_POLICY = {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "0.8s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def service_config(service: str) -> str:
    """Round robin over SERVING replicas; retries for the idempotent calls of every service of
    `service`'s package (a process serves its package's services on one port)."""
    package = service.rsplit(".", 1)[0]
    names = [
        {"service": name, "method": m}
        for name, methods in IDEMPOTENT_METHODS.items()
        if name.rsplit(".", 1)[0] == package
        for m in methods
    ]
    return json.dumps(
        {
            "loadBalancingConfig": [{"round_robin": {}}],
            "healthCheckConfig": {"serviceName": ""},
            "methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}],
        }
    )


def service_channel(address: str, service: str, *, max_message_mb: int, token: str | None) -> grpc.aio.Channel:
    """A channel to `service` at `address`, sending the service token when there is one."""
    options = [
        *message_options(max_message_mb),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", service_config(service)),
    ]
    sent = [token_metadata(token)] if token is not None else []
    return grpc.aio.insecure_channel(address, options=options, interceptors=client_interceptors(sent))


T = TypeVar("T")


async def call(pending: Awaitable[T]) -> T:
    """A call's answer; a transport failure or the peer's domain error as a FacerecError."""
    try:
        return await pending
    except grpc.RpcError as exc:
        raise from_rpc_error(exc) from exc


@dataclass
class ServiceStubs:
    """The detector, embedder and registry, one channel each: what the gateway and the stream
    service call."""

    channels: dict[str, grpc.aio.Channel]
    detector: detector_pb2_grpc.DetectorServiceStub
    embedder: embedder_pb2_grpc.EmbedderServiceStub
    registry: registry_pb2_grpc.RegistryServiceStub
    cameras: cameras_pb2_grpc.CameraRegistryServiceStub

    @classmethod
    def connect(
        cls, detector: str, embedder: str, registry: str, *, max_message_mb: int, token: str | None
    ) -> ServiceStubs:
        def channel(address: str, service: str) -> grpc.aio.Channel:
            return service_channel(address, service, max_message_mb=max_message_mb, token=token)

        channels = {
            "detector": channel(detector, "facerec.detector.v1.DetectorService"),
            "embedder": channel(embedder, "facerec.embedder.v1.EmbedderService"),
            "registry": channel(registry, "facerec.registry.v1.RegistryService"),
        }
        return cls(
            channels,
            detector_pb2_grpc.DetectorServiceStub(channels["detector"]),
            embedder_pb2_grpc.EmbedderServiceStub(channels["embedder"]),
            registry_pb2_grpc.RegistryServiceStub(channels["registry"]),
            cameras_pb2_grpc.CameraRegistryServiceStub(channels["registry"]),
        )

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
