"""The stream service's calls to the detector, embedder and registry: the same channels as every
client in the product (facerec_common.channels), each call with its deadline."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common.channels import call, service_channel
from facerec_stream.settings import StreamSettings


@dataclass
class StreamBackends:
    settings: StreamSettings
    channels: list[grpc.aio.Channel]
    detector: detector_pb2_grpc.DetectorServiceStub
    embedder: embedder_pb2_grpc.EmbedderServiceStub
    registry: registry_pb2_grpc.RegistryServiceStub

    @classmethod
    def connect(cls, settings: StreamSettings) -> StreamBackends:
        token = settings.service_token.get_secret_value() if settings.service_token is not None else None

        def channel(address: str, service: str) -> grpc.aio.Channel:
            return service_channel(address, service, max_message_mb=settings.max_message_mb, token=token)

        detector = channel(settings.detector_address, "facerec.detector.v1.DetectorService")
        embedder = channel(settings.embedder_address, "facerec.embedder.v1.EmbedderService")
        registry = channel(settings.registry_address, "facerec.registry.v1.RegistryService")
        return cls(
            settings,
            [detector, embedder, registry],
            detector_pb2_grpc.DetectorServiceStub(detector),
            embedder_pb2_grpc.EmbedderServiceStub(embedder),
            registry_pb2_grpc.RegistryServiceStub(registry),
        )

    async def detect(self, request: detector_pb2.DetectRequest) -> detector_pb2.DetectResponse:
        reply: detector_pb2.DetectResponse = await call(
            self.detector.Detect(request, timeout=self.settings.detect_timeout_s)
        )
        return reply

    async def embed(self, request: embedder_pb2.EmbedRequest) -> embedder_pb2.EmbedResponse:
        reply: embedder_pb2.EmbedResponse = await call(
            self.embedder.Embed(request, timeout=self.settings.embed_timeout_s)
        )
        return reply

    async def match(self, request: registry_pb2.MatchFaceRequest) -> registry_pb2.MatchFaceResponse:
        reply: registry_pb2.MatchFaceResponse = await call(
            self.registry.MatchFace(request, timeout=self.settings.registry_timeout_s)
        )
        return reply

    async def compare(self, request: registry_pb2.CompareEmbeddingsRequest) -> registry_pb2.CompareEmbeddingsResponse:
        reply: registry_pb2.CompareEmbeddingsResponse = await call(
            self.registry.CompareEmbeddings(request, timeout=self.settings.registry_timeout_s)
        )
        return reply

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
