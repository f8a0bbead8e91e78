"""gRPC EmbedderService: the servicer and the server factory used by __main__ and tests."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import numpy as np
from grpc_health.v1 import health

from facerec.common.v1 import types_pb2
from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc
from facerec_common import packed, rgb
from facerec_common.errors import InvalidArgument
from facerec_common.metrics import describe_model
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_embedder import metrics
from facerec_embedder.arcface import INPUT_SIZE, ArcFaceModel
from facerec_embedder.batcher import Batcher, BatchSettings
from facerec_embedder.settings import EmbedderSettings

log = logging.getLogger(__name__)

# On CPU a batch costs as much per face as single runs, or more: small batches keep the wait
# short (bench/embedder.py, 16 clients: x1.20 faces/s at 8, x1.08 and a longer p95 at 64; with
# PReLU rewritten, MBF per face on one thread is flat from 1 to 4 and 10 % slower at 8, and 16
# clients' p95 was 194-206 ms at 4 vs 197-241 ms at 8, same faces/s).
CPU_BATCH_FACES = 4

SERVICE_NAME = embedder_pb2.DESCRIPTOR.services_by_name["EmbedderService"].full_name


class EmbedderServicer(embedder_pb2_grpc.EmbedderServiceServicer):
    def __init__(
        self, model: ArcFaceModel, executor: ThreadPoolExecutor, max_faces: int, batcher: Batcher | None
    ) -> None:
        self._model = model
        self._executor = executor
        self._max_faces = max_faces
        self._batcher = batcher
        identity = model.identity
        self._info = types_pb2.ModelInfo(name=identity.name, version=identity.version, dimension=identity.dimension)

    @translate_errors
    async def Embed(self, request: embedder_pb2.EmbedRequest, context: Context) -> embedder_pb2.EmbedResponse:
        if len(request.faces) > self._max_faces:
            raise InvalidArgument(f"At most {self._max_faces} faces per call; got {len(request.faces)}.")
        crops = [rgb.from_proto(face) for face in request.faces]
        if any(crop.shape != (INPUT_SIZE, INPUT_SIZE, 3) for crop in crops):
            raise InvalidArgument(f"Every face must be an aligned {INPUT_SIZE}x{INPUT_SIZE} RGB crop.")
        batch = np.stack(crops) if crops else np.empty((0, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
        if not len(batch):
            vectors = np.empty((0, self._info.dimension), np.float32)
        elif self._batcher is not None:
            vectors = await self._batcher.embed(batch)
        else:
            vectors = await asyncio.get_running_loop().run_in_executor(self._executor, self._model.embed, batch)
        return embedder_pb2.EmbedResponse(embeddings=[packed.message(v) for v in vectors], model=self._info)

    @translate_errors
    async def GetModel(self, request: embedder_pb2.GetModelRequest, context: Context) -> embedder_pb2.GetModelResponse:
        return embedder_pb2.GetModelResponse(model=self._info, provider=self._model.provider)


@dataclass
class Resources:
    """What the server holds besides itself, released after it stops."""

    executor: ThreadPoolExecutor
    batcher: Batcher | None

    async def close(self) -> None:
        if self.batcher is not None:
            await self.batcher.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


async def create_server(
    settings: EmbedderSettings,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Resources]:
    """Start serving; health turns SERVING only after the model is loaded and has run once."""
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="embed")
    loop = asyncio.get_running_loop()
    model = await loop.run_in_executor(
        executor,
        lambda: ArcFaceModel(settings.model_path, settings.providers, settings.max_batch, settings.runtime),
    )
    identity = model.identity
    describe_model(
        {
            "name": identity.name,
            "version": identity.version,
            "dimension": str(identity.dimension),
            "provider": model.provider,
            "precision": model.precision,
        }
    )
    on_cpu = model.provider == "CPUExecutionProvider"
    gathered = settings.batch_faces or (min(CPU_BATCH_FACES, settings.max_batch) if on_cpu else settings.max_batch)
    shapes = await loop.run_in_executor(executor, model.warm_up, gathered if settings.batching else 1)
    log.info("warmed up batch shapes %s", shapes)
    batcher = None
    if settings.batching:
        batch = BatchSettings(
            max_batch=gathered,
            max_wait_ms=settings.batch_wait_ms,
            max_queued=max(settings.max_queued_faces, settings.max_faces_per_request),
            concurrency=settings.workers,
        )
        batcher = Batcher(model.embed, executor, batch)
        batcher.start()
        stats = batcher.stats
        metrics.QUEUED_FACES.set_function(lambda: float(stats.queued_faces))
    server, port, health_servicer = await new_server(settings)
    embedder_pb2_grpc.add_EmbedderServiceServicer_to_server(
        EmbedderServicer(model, executor, settings.max_faces_per_request, batcher), server
    )
    await server.start()
    await set_serving(health_servicer, [SERVICE_NAME])
    log.info("embedder serving on %s:%d with %s on %s", settings.host, port, model.identity.name, model.provider)
    return server, port, health_servicer, Resources(executor, batcher)
