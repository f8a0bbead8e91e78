from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from facerec.detector.v1 import detector_pb2_grpc
from facerec_detector.mtcnn_runtime import MtcnnDetector
from facerec_detector.pipeline import FacePipeline
from facerec_detector.server import create_server
from facerec_detector.settings import DetectorSettings


@pytest.fixture(scope="session")
def mtcnn() -> MtcnnDetector:
    """One set of MTCNN networks (ONNX Runtime, the default) for the session."""
    return MtcnnDetector(detect_max_side=1280)


@pytest.fixture(scope="session")
def settings() -> DetectorSettings:
    return DetectorSettings(port=0)


@pytest.fixture(scope="session")
def pipeline(settings: DetectorSettings, mtcnn: MtcnnDetector) -> FacePipeline:
    return FacePipeline(settings, mtcnn)


@pytest.fixture(scope="session")
async def detector_stub(
    settings: DetectorSettings, pipeline: FacePipeline
) -> AsyncIterator[detector_pb2_grpc.DetectorServiceStub]:
    """A real DetectorService on a loopback port."""
    server, port, _, executor = await create_server(settings, pipeline)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield detector_pb2_grpc.DetectorServiceStub(channel)
    await server.stop(None)
    executor.shutdown()
