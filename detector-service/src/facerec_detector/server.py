"""gRPC DetectorService: the servicer and the server factory used by __main__ and tests."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor

import grpc
from grpc_health.v1 import health

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec_common import rgb
from facerec_common.metrics import describe_model
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_detector.decode import image_pixels
from facerec_detector.pipeline import DetectedFace, FacePipeline
from facerec_detector.pixel_budget import PixelBudget
from facerec_detector.settings import DetectorSettings

log = logging.getLogger(__name__)

SERVICE_NAME = detector_pb2.DESCRIPTOR.services_by_name["DetectorService"].full_name
LANDMARK_FIELDS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


def face_to_proto(face: DetectedFace) -> detector_pb2.Face:
    raw = face.raw
    points = {
        name: types_pb2.Point(x=float(x), y=float(y))
        for name, (x, y) in zip(LANDMARK_FIELDS, raw.landmarks, strict=True)
    }
    return detector_pb2.Face(
        box=types_pb2.Box(x=raw.x, y=raw.y, width=raw.width, height=raw.height),
        score=raw.score,
        landmarks=types_pb2.Landmarks(**points),
        aligned=rgb.to_proto(face.aligned),
        thumbnail_jpeg=face.thumbnail_jpeg,
        quality=detector_pb2.FaceQuality(**dataclasses.asdict(face.quality)),
    )


class DetectorServicer(detector_pb2_grpc.DetectorServiceServicer):
    def __init__(self, pipeline: FacePipeline, executor: ThreadPoolExecutor, settings: DetectorSettings) -> None:
        self._pipeline = pipeline
        self._executor = executor
        self._settings = settings
        self._budget = PixelBudget(settings.pixel_budget)

    @translate_errors
    async def Detect(self, request: detector_pb2.DetectRequest, context: Context) -> detector_pb2.DetectResponse:
        o = request.options
        options = self._pipeline.resolve(o.min_face_size, o.min_score, o.max_faces, o.include_thumbnails)
        # The header alone says how large the image is (and refuses what is not an image).
        pixels = image_pixels(request.image, self._settings.max_pixels)
        held = await self._budget.acquire(pixels, self._settings.pixel_budget_wait_s)
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._executor, self._pipeline.run, request.image, options)
        # Released when the work ends, not when the caller stops waiting for it.
        work.add_done_callback(lambda _: self._budget.release(held))
        detection = await work
        return detector_pb2.DetectResponse(
            faces=[face_to_proto(f) for f in detection.faces],
            image_width=detection.width,
            image_height=detection.height,
        )


async def create_server(
    settings: DetectorSettings, pipeline: FacePipeline | None = None
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, ThreadPoolExecutor]:
    """Start serving; health turns SERVING only after the model is loaded and warmed up."""
    executor = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="detect")
    server, port, health_servicer = await new_server(settings)
    loop = asyncio.get_running_loop()
    if pipeline is None:
        pipeline = await loop.run_in_executor(executor, FacePipeline, settings)
    detector_pb2_grpc.add_DetectorServiceServicer_to_server(DetectorServicer(pipeline, executor, settings), server)
    describe_model({"name": "mtcnn", "runtime": settings.runtime, "concurrency": str(settings.concurrency)})
    await server.start()
    await loop.run_in_executor(executor, pipeline.warm_up)
    await set_serving(health_servicer, [SERVICE_NAME])
    log.info(
        "detector serving on %s:%d (MTCNN on %s, %d concurrent detections)",
        settings.host,
        port,
        settings.runtime,
        settings.concurrency,
    )
    return server, port, health_servicer, executor
