"""The gateway's unit tier: its three backends faked at one seam, the `Backends` the use cases
call (in-memory stubs answering as the services would), so a use case runs without a network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common import packed
from facerec_gateway.backends import Backends
from facerec_gateway.settings import GatewaySettings

MODEL = types_pb2.ModelInfo(name="w600k_mbf", version="9cc6e4a75f0e", dimension=4)


def face(x: float, y: float, size: float, identity: int, *, yaw: float = 0.0) -> detector_pb2.Face:
    """A frontal, sharp, well-lit face at (x, y); `identity` picks the vector the embedder gives it."""
    eye_y, eye_dx = y + 0.4 * size, 0.2 * size
    cx = x + size / 2

    def point(px: float, py: float) -> types_pb2.Point:
        return types_pb2.Point(x=px, y=py)

    return detector_pb2.Face(
        box=types_pb2.Box(x=x, y=y, width=size, height=size),
        score=0.999,
        landmarks=types_pb2.Landmarks(
            left_eye=point(cx - eye_dx, eye_y),
            right_eye=point(cx + eye_dx, eye_y),
            nose=point(cx, y + 0.55 * size),
            mouth_left=point(cx - 0.15 * size, y + 0.75 * size),
            mouth_right=point(cx + 0.15 * size, y + 0.75 * size),
        ),
        aligned=types_pb2.RgbImage(width=112, height=112, pixels=bytes([identity]) * 16),
        quality=detector_pb2.FaceQuality(inter_eye_px=2 * eye_dx, yaw_deg=yaw, sharpness=500.0, brightness=120.0),
    )


def vector(identity: int) -> list[float]:
    """A unit vector per identity; identities 1 and 2 are similar (cosine 0.6), others orthogonal."""
    v = np.zeros(4, np.float32)
    v[identity % 4] = 1.0
    if identity == 2:
        v = np.array([0.0, 0.6, 0.8, 0.0], np.float32)
    return [float(a) for a in v]


@dataclass
class FakeDetector:
    """Answers each photo (its bytes) with the faces it was given; largest first, as the service."""

    photos: dict[bytes, list[detector_pb2.Face]] = field(default_factory=dict)
    width: int = 640
    height: int = 480

    async def Detect(self, request: detector_pb2.DetectRequest, **_: Any) -> detector_pb2.DetectResponse:
        faces = sorted(self.photos.get(request.image, []), key=lambda f: -f.box.width)
        if request.options.max_faces:
            faces = faces[: request.options.max_faces]
        return detector_pb2.DetectResponse(faces=faces, image_width=self.width, image_height=self.height)


@dataclass
class FakeEmbedder:
    model: types_pb2.ModelInfo = field(default_factory=lambda: MODEL)
    embedded: int = 0

    async def Embed(self, request: embedder_pb2.EmbedRequest, **_: Any) -> embedder_pb2.EmbedResponse:
        self.embedded += len(request.faces)
        vectors = [vector(crop.pixels[0]) for crop in request.faces]
        return embedder_pb2.EmbedResponse(
            embeddings=[packed.message(v) for v in vectors],
            model=self.model,
        )

    async def GetModel(self, request: embedder_pb2.GetModelRequest, **_: Any) -> embedder_pb2.GetModelResponse:
        return embedder_pb2.GetModelResponse(model=self.model)


class FakeRegistry:
    """Records every request by method; answers with what a test scripted for the method
    (a reply, or a function of the request), else an empty reply of the right type."""

    def __init__(self) -> None:
        self.requests: dict[str, list[Any]] = {}
        self.answers: dict[str, Any] = {}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if not method[:1].isupper():
            raise AttributeError(method)

        async def rpc(request: Any, **_: Any) -> Any:
            self.requests.setdefault(method, []).append(request)
            answer = self.answers.get(method)
            if callable(answer):
                return answer(request)
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
            return getattr(registry_pb2, f"{method}Response", registry_pb2.FaceRecord)()

        return rpc


@dataclass
class Fakes:
    detector: FakeDetector
    embedder: FakeEmbedder
    registry: FakeRegistry
    backends: Backends

    @staticmethod
    def vector(identity: int) -> list[float]:
        return vector(identity)

    @staticmethod
    def values(embedding: types_pb2.Embedding) -> list[float]:
        """What a packed embedding the gateway sent holds."""
        found: list[float] = packed.unpack(embedding.vector).tolist()
        return found


@pytest.fixture
def face_of() -> Callable[..., detector_pb2.Face]:
    return face


@pytest.fixture
def fakes() -> Fakes:
    detector, embedder, registry = FakeDetector(), FakeEmbedder(), FakeRegistry()
    settings = GatewaySettings(grpc_port=-1)  # type: ignore[call-arg]
    backends = Backends(settings, {}, detector, embedder, registry, None)  # type: ignore[arg-type]
    return Fakes(detector, embedder, registry, backends)
