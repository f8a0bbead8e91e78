"""gRPC channels and stubs to the three services, with deadlines and error translation.

Created once in the app's lifespan; every call goes through `call()` so a
transport failure or a peer's domain error becomes a FacerecError here.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from facerec.detector.v1 import detector_pb2_grpc
from facerec.embedder.v1 import embedder_pb2_grpc
from facerec.registry.v1 import cameras_pb2_grpc, registry_pb2_grpc
from facerec_common.channels import ServiceStubs
from facerec_common.channels import call as call  # the gateway's calls go through it
from facerec_gateway.settings import GatewaySettings


@dataclass
class Backends:
    settings: GatewaySettings
    channels: dict[str, grpc.aio.Channel]
    detector: detector_pb2_grpc.DetectorServiceStub
    embedder: embedder_pb2_grpc.EmbedderServiceStub
    registry: registry_pb2_grpc.RegistryServiceStub
    # Served by the registry beside RegistryService, on its channel.
    cameras: cameras_pb2_grpc.CameraRegistryServiceStub

    @classmethod
    def connect(cls, settings: GatewaySettings) -> Backends:
        token = settings.service_token.get_secret_value() if settings.service_token is not None else None
        stubs = ServiceStubs.connect(
            settings.detector_address,
            settings.embedder_address,
            settings.registry_address,
            max_message_mb=settings.max_message_mb,
            token=token,
        )
        return cls(settings, stubs.channels, stubs.detector, stubs.embedder, stubs.registry, stubs.cameras)

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
