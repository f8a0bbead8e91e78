"""gRPC RegistryService: the servicer and the server factory used by __main__ and tests."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common.errors import STREAM_ANSWERED_KEY, FacerecError, InvalidArgument, ServiceUnavailable
from facerec_common.server import Context, new_server, set_serving, translate_errors, translate_stream_errors
from facerec_registry import bulk, collection_file, convert, metrics, repository
from facerec_registry.migrate import migrate_when_reachable
from facerec_registry.repository import Candidate, ModelRef, NewFace
from facerec_registry.search_connections import SearchConnections
from facerec_registry.search_index import SearchIndexes, SyncSettings, conninfo
from facerec_registry.settings import RegistrySettings
from facerec_registry.tables import ApiKey as ApiKeyRow
from facerec_registry.thresholds import Threshold, ThresholdPolicy
from facerec_registry.vector_index import IndexSettings, Method

log = logging.getLogger(__name__)

SERVICE_NAME = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name
ACTOR_METADATA = "facerec-actor"
SCOPES = ("read", "write", "admin")


def _actor(context: Context) -> str:
    """Who is acting, as the gateway says: an API key id, or "anonymous" in open mode."""
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_METADATA and isinstance(value, str):
            return value[:64]
    return "unknown"


def _api_key(key: ApiKeyRow) -> registry_pb2.ApiKey:
    return registry_pb2.ApiKey(
        key_id=str(key.id),
        name=key.name,
        scope=key.scope,
        collections=key.collections,
        prefix=key.prefix,
        created_at=convert.timestamp(key.created_at),
        revoked_at=convert.timestamp(key.revoked_at) if key.revoked_at else None,
    )


MAX_TOP_K = 100
MAX_BULK = 1000


def _match_response(
    found: list[Candidate], method: Method, threshold: Threshold, gallery_faces: int
) -> registry_pb2.MatchFaceResponse:
    return registry_pb2.MatchFaceResponse(
        candidates=[
            registry_pb2.Candidate(
                face_id=str(c.face_id), person_id=str(c.person_id), person_name=c.person_name, similarity=c.similarity
            )
            for c in found
        ],
        match=bool(found) and found[0].similarity >= threshold.value,
        threshold=threshold.value,
        method=method,
        threshold_basis=threshold.basis,
        target_fpir=threshold.target_fpir,
        gallery_faces=gallery_faces,
    )


async def _answered_early(
    request_iterator: AsyncIterator[registry_pb2.ImportCollectionRequest], context: Context
) -> None:
    """Tell an import's client to stop sending, and read what it sent meanwhile."""
    await context.send_initial_metadata(((STREAM_ANSWERED_KEY, "1"),))
    async for _ in request_iterator:
        pass


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(
        self,
        engine: AsyncEngine,
        settings: RegistrySettings,
        indexes: SearchIndexes | None,
        search_connections: SearchConnections,
    ) -> None:
        self._engine = engine
        self._search_connections = search_connections
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._indexes = indexes
        self._settings = settings
        self._thresholds = ThresholdPolicy(settings.match_threshold, settings.fallback_threshold, settings.target_fpir)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """A session whose connection failures read as UNAVAILABLE (retryable), not INTERNAL."""
        try:
            async with self._sessions() as session:
                yield session
        except (OperationalError, InterfaceError) as exc:
            log.warning("database unavailable: %s", exc.__class__.__name__)
            raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc

    def _page_size(self, asked: int) -> int:
        return min(asked or self._settings.page_size_default, self._settings.page_size_max)

    # -- collections

    @translate_errors
    async def CreateCollection(
        self, request: registry_pb2.CreateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        async with self._session() as session:
            return convert.collection(await repository.create_collection(session, name, fpir))

    @translate_errors
    async def UpdateCollection(
        self, request: registry_pb2.UpdateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        if request.clear_target_fpir == request.HasField("target_fpir"):
            raise InvalidArgument("Send either target_fpir or clear_target_fpir.")
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        async with self._session() as session:
            return convert.collection(await repository.set_target_fpir(session, name, fpir, _actor(context)))

    @translate_errors
    async def GetCollection(
        self, request: registry_pb2.GetCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        async with self._session() as session:
            return convert.collection(await repository.get_collection(session, name))

    @translate_errors
    async def ListCollections(
        self, request: registry_pb2.ListCollectionsRequest, context: Context
    ) -> registry_pb2.ListCollectionsResponse:
        async with self._session() as session:
            page = await repository.list_collections(session, self._page_size(request.page_size), request.page_token)
        return registry_pb2.ListCollectionsResponse(
            collections=[convert.collection(c) for c in page.items], next_page_token=page.next_token
        )

    @translate_errors
    async def DeleteCollection(
        self, request: registry_pb2.DeleteCollectionRequest, context: Context
    ) -> registry_pb2.DeleteCollectionResponse:
        name = convert.collection_name(request.name)
        async with self._session() as session:
            await repository.delete_collection(session, name, _actor(context))
        metrics.forget_collection(name)
        return registry_pb2.DeleteCollectionResponse()

    # -- people

    @translate_errors
    async def CreatePerson(self, request: registry_pb2.CreatePersonRequest, context: Context) -> registry_pb2.Person:
        collection = convert.collection_name(request.collection)
        name = convert.person_name(request.name)
        external_id = convert.external_id(request.external_id) or None
        metadata = convert.metadata(request.metadata)
        async with self._session() as session:
            return convert.person(await repository.create_person(session, collection, name, external_id, metadata))

    @translate_errors
    async def GetPerson(self, request: registry_pb2.GetPersonRequest, context: Context) -> registry_pb2.Person:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id")
        async with self._session() as session:
            return convert.person(await repository.get_person(session, collection, person_id))

    @translate_errors
    async def ListPeople(
        self, request: registry_pb2.ListPeopleRequest, context: Context
    ) -> registry_pb2.ListPeopleResponse:
        collection = convert.collection_name(request.collection)
        async with self._session() as session:
            page = await repository.list_people(
                session, collection, self._page_size(request.page_size), request.page_token
            )
        return registry_pb2.ListPeopleResponse(
            people=[convert.person(p) for p in page.items], next_page_token=page.next_token
        )

    @translate_errors
    async def UpdatePerson(self, request: registry_pb2.UpdatePersonRequest, context: Context) -> registry_pb2.Person:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id")
        name = convert.person_name(request.name) if request.HasField("name") else None
        external_id = convert.external_id(request.external_id) if request.HasField("external_id") else None
        metadata = convert.metadata(request.metadata) if request.HasField("metadata") else None
        async with self._session() as session:
            updated = await repository.update_person(
                session, collection, person_id, name, external_id, metadata, request.replace_metadata
            )
        return convert.person(updated)

    @translate_errors
    async def DeletePerson(
        self, request: registry_pb2.DeletePersonRequest, context: Context
    ) -> registry_pb2.DeletePersonResponse:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id")
        async with self._session() as session:
            await repository.delete_person(session, collection, person_id, _actor(context))
        return registry_pb2.DeletePersonResponse()

    # -- faces

    @translate_errors
    async def EnrollFace(
        self, request: registry_pb2.EnrollFaceRequest, context: Context
    ) -> registry_pb2.EnrollFaceResponse:
        collection = convert.collection_name(request.collection)
        embedding = list(request.embedding)
        model = convert.model(request.model, embedding)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        name = None if person_id else convert.person_name(request.person_name)
        aligned = request.aligned
        if not aligned.pixels or len(aligned.pixels) != aligned.width * aligned.height * 3:
            raise InvalidArgument("The aligned crop is missing or malformed.")
        box = request.box
        new = NewFace(
            embedding=embedding,
            box=(box.x, box.y, box.width, box.height),
            detection_score=request.detection_score,
            display_image=request.display_image,
            aligned_pixels=aligned.pixels,
            aligned_width=aligned.width,
            aligned_height=aligned.height,
        )
        async with self._session() as session:
            stored = await repository.enroll(session, collection, model, new, person_id=person_id, person_name=name)
        return registry_pb2.EnrollFaceResponse(face=convert.face_record(stored))

    @translate_errors
    async def GetFace(self, request: registry_pb2.GetFaceRequest, context: Context) -> registry_pb2.FaceRecord:
        collection = convert.collection_name(request.collection)
        face_id = convert.uuid_arg(request.face_id, "face id")
        async with self._session() as session:
            return convert.face_record(await repository.get_face(session, collection, face_id, request.include_image))

    @translate_errors
    async def ListFaces(
        self, request: registry_pb2.ListFacesRequest, context: Context
    ) -> registry_pb2.ListFacesResponse:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        async with self._session() as session:
            page = await repository.list_faces(
                session,
                collection,
                self._page_size(request.page_size),
                request.page_token,
                request.include_images,
                person_id=person_id,
            )
        return registry_pb2.ListFacesResponse(
            faces=[convert.face_record(f) for f in page.items], next_page_token=page.next_token
        )

    @translate_errors
    async def DeleteFace(
        self, request: registry_pb2.DeleteFaceRequest, context: Context
    ) -> registry_pb2.DeleteFaceResponse:
        collection = convert.collection_name(request.collection)
        face_id = convert.uuid_arg(request.face_id, "face id")
        async with self._session() as session:
            await repository.delete_face(session, collection, face_id, _actor(context), request.delete_empty_person)
        return registry_pb2.DeleteFaceResponse()

    @translate_errors
    async def DeleteFaces(
        self, request: registry_pb2.DeleteFacesRequest, context: Context
    ) -> registry_pb2.DeleteFacesResponse:
        collection = convert.collection_name(request.collection)
        if len(request.face_ids) > MAX_BULK:
            raise InvalidArgument(f"At most {MAX_BULK} face ids per call.")
        wellformed, malformed = [], []
        for raw in request.face_ids:
            try:
                wellformed.append(convert.uuid_arg(raw, "face id"))
            except InvalidArgument:
                malformed.append(raw)
        async with self._session() as session:
            deleted, missing = await repository.delete_faces(session, collection, wellformed, _actor(context))
        return registry_pb2.DeleteFacesResponse(
            deleted=[str(f) for f in deleted], not_found=[str(f) for f in missing] + malformed
        )

    # -- matching

    @translate_errors
    async def MatchFace(
        self, request: registry_pb2.MatchFaceRequest, context: Context
    ) -> registry_pb2.MatchFaceResponse:
        collection = convert.collection_name(request.collection)
        embedding = list(request.embedding)
        model = convert.model(request.model, embedding)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        top_k = min(request.top_k or 1, MAX_TOP_K)
        matches = await self._match(collection, model, [embedding], top_k, person_id, request.exact)
        asked = request.threshold if request.HasField("threshold") else None
        if person_id is not None:
            threshold = self._thresholds.one_to_one(model.version, asked)
        else:
            fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
            threshold = self._thresholds.open_set(
                model.version, matches.gallery_faces, asked, fpir, matches.target_fpir
            )
        [(found, method)] = matches.found
        return _match_response(found, method, threshold, matches.gallery_faces)

    @translate_errors
    async def MatchFaces(
        self, request: registry_pb2.MatchFacesRequest, context: Context
    ) -> registry_pb2.MatchFacesResponse:
        collection = convert.collection_name(request.collection)
        if not request.embeddings or len(request.embeddings) > MAX_TOP_K:
            raise InvalidArgument(f"Send 1 to {MAX_TOP_K} embeddings.")
        embeddings = [list(e.values) for e in request.embeddings]
        model = convert.model(request.model, embeddings[0])
        for embedding in embeddings[1:]:
            convert.model(request.model, embedding)
        top_k = min(request.top_k or 1, MAX_TOP_K)
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        matches = await self._match(collection, model, embeddings, top_k, None, request.exact)
        threshold = self._thresholds.open_set(
            model.version,
            matches.gallery_faces,
            request.threshold if request.HasField("threshold") else None,
            fpir,
            matches.target_fpir,
        )
        return registry_pb2.MatchFacesResponse(
            results=[_match_response(c, m, threshold, matches.gallery_faces) for c, m in matches.found]
        )

    async def _match(
        self,
        collection: str,
        model: ModelRef,
        embeddings: list[list[float]],
        top_k: int,
        person_id: uuid.UUID | None,
        exact: bool,
    ) -> repository.Matches:
        started = time.perf_counter()
        matches = await self._search(collection, model, embeddings, top_k, person_id, exact)
        method = matches.found[0][1] if matches.found else "exact"
        metrics.SEARCH_SECONDS.labels(method).observe(time.perf_counter() - started)
        if person_id is None:
            metrics.COLLECTION_FACES.labels(collection).set(matches.gallery_faces)
        return matches

    async def _search(
        self,
        collection: str,
        model: ModelRef,
        embeddings: list[list[float]],
        top_k: int,
        person_id: uuid.UUID | None,
        exact: bool,
    ) -> repository.Matches:
        if person_id is None and self._indexes is not None:
            found = await repository.match_current(
                self._search_connections, self._indexes, collection, model, embeddings, top_k, exact
            )
            if found is not None:
                return found
        async with self._session() as session:
            return await repository.match(
                session, collection, model, embeddings, top_k, person_id, self._indexes, exact
            )

    @translate_errors
    async def CompareEmbeddings(
        self, request: registry_pb2.CompareEmbeddingsRequest, context: Context
    ) -> registry_pb2.CompareEmbeddingsResponse:
        a, b = list(request.embedding_a), list(request.embedding_b)
        model = convert.model(request.model, a)
        convert.model(request.model, b)
        similarity = math.fsum(x * y for x, y in zip(a, b, strict=True))
        threshold = request.threshold if request.HasField("threshold") else self._thresholds.for_model(model.version)
        return registry_pb2.CompareEmbeddingsResponse(
            similarity=similarity, match=similarity >= threshold, threshold=threshold
        )

    # -- re-embedding

    @translate_errors
    async def ListAlignedCrops(
        self, request: registry_pb2.ListAlignedCropsRequest, context: Context
    ) -> registry_pb2.ListAlignedCropsResponse:
        collection = convert.collection_name(request.collection)
        async with self._session() as session:
            page = await repository.list_aligned_crops(
                session,
                collection,
                self._page_size(request.page_size),
                request.page_token,
                request.unstaged_for_version,
            )
        return registry_pb2.ListAlignedCropsResponse(
            crops=[
                registry_pb2.AlignedCrop(
                    face_id=str(c.face_id),
                    aligned=types_pb2.RgbImage(width=c.width, height=c.height, pixels=c.pixels),
                )
                for c in page.items
            ],
            next_page_token=page.next_token,
        )

    @translate_errors
    async def StageEmbeddings(
        self, request: registry_pb2.StageEmbeddingsRequest, context: Context
    ) -> registry_pb2.StageEmbeddingsResponse:
        collection = convert.collection_name(request.collection)
        vectors = []
        for item in request.embeddings:
            embedding = list(item.embedding)
            model = convert.model(request.model, embedding)
            vectors.append((convert.uuid_arg(item.face_id, "face id"), embedding))
        if not vectors:
            return registry_pb2.StageEmbeddingsResponse(staged=0)
        async with self._session() as session:
            staged = await repository.stage_embeddings(session, collection, model, vectors)
        return registry_pb2.StageEmbeddingsResponse(staged=staged)

    @translate_errors
    async def CommitReembedding(
        self, request: registry_pb2.CommitReembeddingRequest, context: Context
    ) -> registry_pb2.Collection:
        collection = convert.collection_name(request.collection)
        info = request.model
        if not info.name or not info.version or not info.dimension:
            raise InvalidArgument("The new model (name, version, dimension) is required.")
        model = repository.ModelRef(info.name, info.version, info.dimension)
        async with self._session() as session:
            return convert.collection(await repository.commit_reembedding(session, collection, model))

    # -- bulk export and import

    @translate_stream_errors
    async def ExportCollection(
        self, request: registry_pb2.ExportCollectionRequest, context: Context
    ) -> AsyncIterator[registry_pb2.DataChunk]:
        collection = convert.collection_name(request.collection)
        try:
            async for chunk in bulk.export_collection(self._engine, collection, request.include_images):
                yield registry_pb2.DataChunk(data=chunk)
        except (OperationalError, InterfaceError) as exc:
            raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc

    @translate_errors
    async def ImportCollection(
        self, request_iterator: AsyncIterator[registry_pb2.ImportCollectionRequest], context: Context
    ) -> registry_pb2.ImportCollectionResponse:
        first = await anext(aiter(request_iterator), None)
        if first is None:
            raise InvalidArgument("No data was sent.")
        collection = convert.collection_name(first.collection)

        async def chunks() -> AsyncIterator[bytes]:
            yield first.data
            async for message in request_iterator:
                yield message.data

        try:
            key = convert.idempotency_key(first.idempotency_key)
            async with self._session() as session:
                done = await bulk.import_collection(
                    session, collection, collection_file.lines(chunks()), first.new_ids, key
                )
        except FacerecError:
            # Refused (nothing was kept). Say so now, so the client stops sending and closes its
            # side, and send the status only then: sent mid-stream, it can reach the client as a
            # bare transport error instead (through the gateway, 5 of 8 refusals at line 3 of a
            # 58 MB file answered 500).
            await _answered_early(request_iterator, context)
            raise
        if done.replayed:  # answered from the header alone, as a refusal is
            await _answered_early(request_iterator, context)
            log.info("import '%s' into '%s' answered again from its receipt", key, collection)
        else:
            log.info("imported %d people and %d faces into '%s'", done.people, done.faces, collection)
        if self._indexes is not None and not done.replayed:
            # Answered means searchable here at full speed (other replicas load on their next sync).
            # Not for a replay: its client lost the first answer, maybe to this wait; it has one now.
            try:
                if done.seed is not None:
                    await self._indexes.seed(*done.seed)
                await self._indexes.load_now(done.collection_id)
            except Exception:  # the import stands; searches scan in SQL until a later load succeeds
                log.exception("the index of '%s' did not load after its import", collection)
        return registry_pb2.ImportCollectionResponse(
            collection=convert.collection(done.collection),
            people_imported=done.people,
            faces_imported=done.faces,
            replayed=done.replayed,
        )

    # -- API keys and audit

    @translate_errors
    async def CreateApiKey(self, request: registry_pb2.CreateApiKeyRequest, context: Context) -> registry_pb2.ApiKey:
        if request.scope not in SCOPES:
            raise InvalidArgument(f"scope must be one of {', '.join(SCOPES)}.")
        if len(request.key_sha256) != 64:
            raise InvalidArgument("key_sha256 must be a hex SHA-256.")
        name = convert.person_name(request.name)
        collections = [convert.collection_name(c) for c in request.collections]
        async with self._session() as session:
            key = await repository.create_api_key(
                session, name, request.scope, collections, request.key_sha256, request.prefix[:16], _actor(context)
            )
        return _api_key(key)

    @translate_errors
    async def ListApiKeys(
        self, request: registry_pb2.ListApiKeysRequest, context: Context
    ) -> registry_pb2.ListApiKeysResponse:
        async with self._session() as session:
            keys = await repository.list_api_keys(session)
        return registry_pb2.ListApiKeysResponse(keys=[_api_key(k) for k in keys])

    @translate_errors
    async def RevokeApiKey(self, request: registry_pb2.RevokeApiKeyRequest, context: Context) -> registry_pb2.ApiKey:
        key_id = convert.uuid_arg(request.key_id, "key id")
        async with self._session() as session:
            return _api_key(await repository.revoke_api_key(session, key_id, _actor(context)))

    @translate_errors
    async def GetApiKeyByHash(
        self, request: registry_pb2.GetApiKeyByHashRequest, context: Context
    ) -> registry_pb2.ApiKey:
        async with self._session() as session:
            return _api_key(await repository.api_key_by_hash(session, request.key_sha256))

    @translate_errors
    async def ListAuditEvents(
        self, request: registry_pb2.ListAuditEventsRequest, context: Context
    ) -> registry_pb2.ListAuditEventsResponse:
        collection = convert.collection_name(request.collection) if request.collection else None
        async with self._session() as session:
            events = await repository.list_audit_events(
                session, collection, self._page_size(request.page_size), request.before_event_id
            )
        return registry_pb2.ListAuditEventsResponse(
            events=[
                registry_pb2.AuditEvent(
                    event_id=e.id,
                    at=convert.timestamp(e.at),
                    actor=e.actor,
                    action=e.action,
                    collection=e.collection or "",
                    targets=e.targets,
                )
                for e in events
            ]
        )


@dataclass
class Resources:
    """What the server holds besides itself, released after it stops."""

    engine: AsyncEngine
    search_connections: SearchConnections
    indexes: SearchIndexes | None

    async def close(self) -> None:
        if self.indexes is not None:
            await self.indexes.close()
        await self.search_connections.close()
        await self.engine.dispose()


def search_indexes(engine: AsyncEngine, settings: RegistrySettings) -> SearchIndexes | None:
    if not settings.search_index:
        return None
    index = IndexSettings(
        factory=settings.index_factory,
        min_faces=settings.index_min_faces,
        candidates=settings.index_candidates,
        threads=settings.index_threads,
    )
    sync = SyncSettings(interval_s=settings.index_sync_interval_s, tombstone_retention_s=settings.tombstone_retention_s)
    return SearchIndexes(engine, index, sync)


async def create_server(
    settings: RegistrySettings,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Resources]:
    """Listen at once, migrate once the database answers, then report SERVING.

    The port is bound first and health says NOT_SERVING while the database is unreachable
    (started later, restarting): the replica waits and retries rather than exiting, so start
    order does not matter. Search indexes load in the background: until a collection's is
    ready, its searches scan in SQL (exact), so the replica serves at once.
    """
    server, port, health_servicer = await new_server(settings)
    engine = create_async_engine(settings.database_url, pool_size=settings.pool_size, pool_pre_ping=True)
    # Searches through a current index need one statement: no transaction, no ping first
    # (a stale connection fails that statement and the search takes the checked way).
    search_connections = SearchConnections(conninfo(engine), settings.pool_size)
    metrics.watch_pool("main", engine)
    metrics.watch_connections("search", search_connections)
    indexes = search_indexes(engine, settings)
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(
        RegistryServicer(engine, settings, indexes, search_connections), server
    )
    await server.start()
    await migrate_when_reachable(settings.database_url, settings.database_retry_max_s)
    await set_serving(health_servicer, [SERVICE_NAME])
    if indexes is not None:
        indexes.start()
        await indexes.load_all()
    log.info("registry serving on %s:%d", settings.host, port)
    return server, port, health_servicer, Resources(engine, search_connections, indexes)
