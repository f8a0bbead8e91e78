from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from facerec.embedder.v1 import embedder_pb2_grpc
from facerec_common.rgb import RgbArray
from facerec_devstack.photos import load_rgb
from facerec_embedder.arcface import ArcFaceModel
from facerec_embedder.server import create_server
from facerec_embedder.settings import EmbedderSettings


@pytest.fixture(scope="session")
def model(model_path: Path) -> ArcFaceModel:
    return ArcFaceModel(model_path, ["CPUExecutionProvider"], max_batch=8)


@pytest.fixture(scope="session")
def crops(data_dir: Path) -> dict[str, RgbArray]:
    """Aligned crops of real photos, keyed by file stem (aligned by the detector's own code)."""
    from facerec_detector.align import align_face
    from facerec_detector.mtcnn_runtime import MtcnnDetector

    detector = MtcnnDetector(detect_max_side=1280)
    out = {}
    for person in ("Hugh_Grant", "Naomi_Watts", "Vicente_Fox", "Jiang_Zemin"):
        for path in sorted((data_dir / "faces" / person).glob("*.jpg"))[:2]:
            image = load_rgb(path)
            face = detector.detect(image, 20.0, 0.9)[0]
            out[path.stem] = align_face(image, face.landmarks)
    return out


@pytest.fixture(scope="session")
async def embedder_stub(model_path: Path) -> AsyncIterator[embedder_pb2_grpc.EmbedderServiceStub]:
    settings = EmbedderSettings(port=0, model_path=model_path, max_faces_per_request=16)
    server, port, _, resources = await create_server(settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield embedder_pb2_grpc.EmbedderServiceStub(channel)
    await server.stop(None)
    await resources.close()


def stack(crops: dict[str, RgbArray], names: list[str]) -> RgbArray:
    return np.stack([crops[n] for n in names])
