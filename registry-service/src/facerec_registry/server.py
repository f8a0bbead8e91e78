"""gRPC RegistryService: the servicer and the server factory used by __main__ and tests."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common.errors import InvalidArgument
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_registry import repository
from facerec_registry.migrate import upgrade_to_head
from facerec_registry.repository import ModelRef, NewFace, StoredFace
from facerec_registry.settings import RegistrySettings
from facerec_registry.thresholds import ThresholdPolicy

log = logging.getLogger(__name__)

SERVICE_NAME = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name
COLLECTION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_PERSON_NAME = 255
MAX_TOP_K = 100


def _collection(name: str) -> str:
    if not COLLECTION_NAME.fullmatch(name):
        raise InvalidArgument("Collection names are 1-64 characters of A-Z a-z 0-9 _ . -", collection=name)
    return name


def _model(info: types_pb2.ModelInfo, embedding: list[float]) -> ModelRef:
    if not info.name or not info.version or not info.dimension:
        raise InvalidArgument("The embedding's model (name, version, dimension) is required.")
    if len(embedding) != info.dimension:
        raise InvalidArgument(f"The embedding has {len(embedding)} values; model {info.name} makes {info.dimension}.")
    norm = math.sqrt(sum(v * v for v in embedding))
    if not math.isfinite(norm) or abs(norm - 1.0) > 1e-3:
        raise InvalidArgument("The embedding must be L2-normalised.")
    return ModelRef(info.name, info.version, info.dimension)


def _face_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"'{value}' is not a face id (a UUID).", face_id=value) from exc


def _record(face: StoredFace) -> registry_pb2.FaceRecord:
    created = Timestamp()
    created.FromDatetime(face.created_at)
    x, y, w, h = face.box
    return registry_pb2.FaceRecord(
        face_id=str(face.face_id),
        person_id=str(face.person_id),
        person_name=face.person_name,
        collection=face.collection,
        model=types_pb2.ModelInfo(name=face.model.name, version=face.model.version, dimension=face.model.dimension),
        box=types_pb2.Box(x=x, y=y, width=w, height=h),
        detection_score=face.detection_score,
        created_at=created,
        display_image=face.display_image,
    )


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, engine: AsyncEngine, settings: RegistrySettings) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._settings = settings
        self._thresholds = ThresholdPolicy(settings.match_threshold, settings.fallback_threshold)

    @translate_errors
    async def EnrollFace(
        self, request: registry_pb2.EnrollFaceRequest, context: Context
    ) -> registry_pb2.EnrollFaceResponse:
        collection = _collection(request.collection)
        embedding = list(request.embedding)
        model = _model(request.model, embedding)
        name = request.person_name.strip()
        if not name or len(name) > MAX_PERSON_NAME:
            raise InvalidArgument(f"A person's name must be 1-{MAX_PERSON_NAME} characters.")
        aligned = request.aligned
        if len(aligned.pixels) != aligned.width * aligned.height * 3 or not aligned.pixels:
            raise InvalidArgument("The aligned crop is missing or malformed.")
        box = request.box
        new = NewFace(
            person_name=name,
            embedding=embedding,
            box=(box.x, box.y, box.width, box.height),
            detection_score=request.detection_score,
            display_image=request.display_image,
            aligned_pixels=aligned.pixels,
            aligned_width=aligned.width,
            aligned_height=aligned.height,
        )
        async with self._sessions() as session:
            stored = await repository.enroll(session, collection, model, new)
        return registry_pb2.EnrollFaceResponse(face=_record(stored))

    @translate_errors
    async def MatchFace(
        self, request: registry_pb2.MatchFaceRequest, context: Context
    ) -> registry_pb2.MatchFaceResponse:
        collection = _collection(request.collection)
        embedding = list(request.embedding)
        model = _model(request.model, embedding)
        top_k = min(request.top_k or 1, MAX_TOP_K)
        threshold = request.threshold if request.HasField("threshold") else self._thresholds.for_model(model.version)
        async with self._sessions() as session:
            found = await repository.match(session, collection, model, embedding, top_k)
        return registry_pb2.MatchFaceResponse(
            candidates=[
                registry_pb2.Candidate(
                    face_id=str(c.face_id),
                    person_id=str(c.person_id),
                    person_name=c.person_name,
                    similarity=c.similarity,
                )
                for c in found
            ],
            match=bool(found) and found[0].similarity >= threshold,
            threshold=threshold,
        )

    @translate_errors
    async def ListFaces(
        self, request: registry_pb2.ListFacesRequest, context: Context
    ) -> registry_pb2.ListFacesResponse:
        collection = _collection(request.collection)
        page_size = min(request.page_size or self._settings.page_size_default, self._settings.page_size_max)
        async with self._sessions() as session:
            faces, token = await repository.list_faces(
                session, collection, page_size, request.page_token, request.include_images
            )
        return registry_pb2.ListFacesResponse(faces=[_record(f) for f in faces], next_page_token=token)

    @translate_errors
    async def DeleteFace(
        self, request: registry_pb2.DeleteFaceRequest, context: Context
    ) -> registry_pb2.DeleteFaceResponse:
        collection = _collection(request.collection)
        face_id = _face_id(request.face_id)
        async with self._sessions() as session:
            await repository.delete_face(session, collection, face_id)
        return registry_pb2.DeleteFaceResponse()


async def create_server(
    settings: RegistrySettings,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, AsyncEngine]:
    """Migrate, then serve; health turns SERVING only once the schema is current."""
    await asyncio.to_thread(upgrade_to_head, settings.database_url)
    engine = create_async_engine(settings.database_url, pool_size=settings.pool_size, pool_pre_ping=True)
    server, port, health_servicer = await new_server(settings)
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(RegistryServicer(engine, settings), server)
    await server.start()
    await set_serving(health_servicer, [SERVICE_NAME])
    log.info("registry serving on %s:%d", settings.host, port)
    return server, port, health_servicer, engine
