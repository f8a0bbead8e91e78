"""The stream service's calls to the detector, embedder and registry: the same channels as every
client in the product (facerec_common.channels), each call with its deadline."""

from __future__ import annotations

from dataclasses import dataclass

from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import cameras_pb2, registry_pb2
from facerec_common.channels import ServiceStubs, call
from facerec_stream.settings import StreamSettings


@dataclass
class StreamBackends:
    settings: StreamSettings
    stubs: ServiceStubs

    @classmethod
    def connect(cls, settings: StreamSettings) -> StreamBackends:
        token = settings.service_token.get_secret_value() if settings.service_token is not None else None
        stubs = ServiceStubs.connect(
            settings.detector_address,
            settings.embedder_address,
            settings.registry_address,
            max_message_mb=settings.max_message_mb,
            token=token,
        )
        return cls(settings, stubs)

    async def detect(self, request: detector_pb2.DetectRequest) -> detector_pb2.DetectResponse:
        reply: detector_pb2.DetectResponse = await call(
            self.stubs.detector.Detect(request, timeout=self.settings.detect_timeout_s)
        )
        return reply

    async def embed(self, request: embedder_pb2.EmbedRequest) -> embedder_pb2.EmbedResponse:
        reply: embedder_pb2.EmbedResponse = await call(
            self.stubs.embedder.Embed(request, timeout=self.settings.embed_timeout_s)
        )
        return reply

    async def match(self, request: registry_pb2.MatchFaceRequest) -> registry_pb2.MatchFaceResponse:
        reply: registry_pb2.MatchFaceResponse = await call(
            self.stubs.registry.MatchFace(request, timeout=self.settings.registry_timeout_s)
        )
        return reply

    async def compare(self, request: registry_pb2.CompareEmbeddingsRequest) -> registry_pb2.CompareEmbeddingsResponse:
        reply: registry_pb2.CompareEmbeddingsResponse = await call(
            self.stubs.registry.CompareEmbeddings(request, timeout=self.settings.registry_timeout_s)
        )
        return reply

    async def put_camera(self, request: cameras_pb2.PutCameraRequest) -> cameras_pb2.Camera:
        reply: cameras_pb2.Camera = await call(
            self.stubs.cameras.PutCamera(request, timeout=self.settings.registry_timeout_s)
        )
        return reply

    async def lease(
        self, request: cameras_pb2.LeaseCamerasRequest, timeout_s: float | None = None
    ) -> cameras_pb2.LeaseCamerasResponse:
        reply: cameras_pb2.LeaseCamerasResponse = await call(
            self.stubs.cameras.LeaseCameras(request, timeout=timeout_s or self.settings.registry_timeout_s)
        )
        return reply

    async def release(self, holder: str) -> None:
        request = cameras_pb2.ReleaseCamerasRequest(holder=holder)
        await call(self.stubs.cameras.ReleaseCameras(request, timeout=self.settings.registry_timeout_s))

    async def record(self, request: cameras_pb2.RecordEventRequest) -> None:
        await call(self.stubs.cameras.RecordEvent(request, timeout=self.settings.registry_timeout_s))

    async def claim(self, request: cameras_pb2.ClaimDeliveriesRequest) -> list[cameras_pb2.Delivery]:
        reply: cameras_pb2.ClaimDeliveriesResponse = await call(
            self.stubs.cameras.ClaimDeliveries(request, timeout=self.settings.registry_timeout_s)
        )
        return list(reply.deliveries)

    async def settle(self, request: cameras_pb2.SettleDeliveryRequest) -> None:
        await call(self.stubs.cameras.SettleDelivery(request, timeout=self.settings.registry_timeout_s))

    async def close(self) -> None:
        await self.stubs.close()
