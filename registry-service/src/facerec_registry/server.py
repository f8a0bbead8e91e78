"""gRPC RegistryService's servicer, an adapter: a request is validated and converted (convert),
handed to the store or to matching, and its answer converted back."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common.errors import STREAM_ANSWERED_KEY, FacerecError, InvalidArgument
from facerec_common.rgb import is_whole
from facerec_common.server import Context, translate_errors, translate_stream_errors
from facerec_registry import collection_file, convert, metrics, responses
from facerec_registry.matching import Matching
from facerec_registry.search.indexes import SearchIndexes
from facerec_registry.settings import RegistrySettings
from facerec_registry.store import bulk, collections, faces, keys, people, reembedding
from facerec_registry.store.connection import Database
from facerec_registry.store.records import ModelRef, NewFace

log = logging.getLogger(__name__)

ACTOR_METADATA = "facerec-actor"
SCOPES = ("read", "write", "admin")
MAX_TOP_K = 100
MAX_BULK = 1000


def actor_of(context: Context) -> str:
    """Who is acting, as the gateway says: an API key id, or "anonymous" in open mode."""
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_METADATA and isinstance(value, str):
            return value[:64]
    return "unknown"


async def _answered_early(
    request_iterator: AsyncIterator[registry_pb2.ImportCollectionRequest], context: Context
) -> None:
    """Tell an import's client to stop sending, and read what it sent meanwhile."""
    await context.send_initial_metadata(((STREAM_ANSWERED_KEY, "1"),))
    async for _ in request_iterator:
        pass


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(
        self, db: Database, settings: RegistrySettings, indexes: SearchIndexes | None, matching: Matching
    ) -> None:
        self._db = db
        self._settings = settings
        self._indexes = indexes
        self._matching = matching

    def _page_size(self, asked: int) -> int:
        return min(asked or self._settings.page_size_default, self._settings.page_size_max)

    # -- collections

    @translate_errors
    async def CreateCollection(
        self, request: registry_pb2.CreateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        return convert.collection(await collections.create_collection(self._db, name, fpir))

    @translate_errors
    async def UpdateCollection(
        self, request: registry_pb2.UpdateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        if request.clear_target_fpir == request.HasField("target_fpir"):
            raise InvalidArgument("Send either target_fpir or clear_target_fpir.")
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        return convert.collection(await collections.set_target_fpir(self._db, name, fpir, actor_of(context)))

    @translate_errors
    async def GetCollection(
        self, request: registry_pb2.GetCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        name = convert.collection_name(request.name)
        return convert.collection(await collections.get_collection(self._db, name))

    @translate_errors
    async def ListCollections(
        self, request: registry_pb2.ListCollectionsRequest, context: Context
    ) -> registry_pb2.ListCollectionsResponse:
        page = await collections.list_collections(self._db, self._page_size(request.page_size), request.page_token)
        return registry_pb2.ListCollectionsResponse(
            collections=[convert.collection(c) for c in page.items], next_page_token=page.next_token
        )

    @translate_errors
    async def DeleteCollection(
        self, request: registry_pb2.DeleteCollectionRequest, context: Context
    ) -> registry_pb2.DeleteCollectionResponse:
        name = convert.collection_name(request.name)
        await collections.delete_collection(self._db, name, actor_of(context))
        metrics.forget_collection(name)
        return registry_pb2.DeleteCollectionResponse()

    # -- people

    @translate_errors
    async def CreatePerson(self, request: registry_pb2.CreatePersonRequest, context: Context) -> registry_pb2.Person:
        collection = convert.collection_name(request.collection)
        name = convert.person_name(request.name)
        external_id = convert.external_id(request.external_id) or None
        metadata = convert.metadata(request.metadata)
        return convert.person(await people.create_person(self._db, collection, name, external_id, metadata))

    @translate_errors
    async def GetPerson(self, request: registry_pb2.GetPersonRequest, context: Context) -> registry_pb2.Person:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id")
        return convert.person(await people.get_person(self._db, collection, person_id))

    @translate_errors
    async def ListPeople(
        self, request: registry_pb2.ListPeopleRequest, context: Context
    ) -> registry_pb2.ListPeopleResponse:
        collection = convert.collection_name(request.collection)
        page = await people.list_people(self._db, collection, self._page_size(request.page_size), request.page_token)
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
        updated = await people.update_person(
            self._db, collection, person_id, name, external_id, metadata, request.replace_metadata
        )
        return convert.person(updated)

    @translate_errors
    async def DeletePerson(
        self, request: registry_pb2.DeletePersonRequest, context: Context
    ) -> registry_pb2.DeletePersonResponse:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id")
        await people.delete_person(self._db, collection, person_id, actor_of(context))
        return registry_pb2.DeletePersonResponse()

    # -- faces

    @translate_errors
    async def EnrollFace(
        self, request: registry_pb2.EnrollFaceRequest, context: Context
    ) -> registry_pb2.EnrollFaceResponse:
        collection = convert.collection_name(request.collection)
        embedding = convert.embedding(request.embedding, request.embedding_floats)
        model = convert.model(request.model, embedding)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        name = None if person_id else convert.person_name(request.person_name)
        aligned = request.aligned
        if not is_whole(aligned.width, aligned.height, aligned.pixels):
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
        stored = await faces.enrol(self._db, collection, model, new, person_id=person_id, person_name=name)
        return registry_pb2.EnrollFaceResponse(face=convert.face_record(stored))

    @translate_errors
    async def GetFace(self, request: registry_pb2.GetFaceRequest, context: Context) -> registry_pb2.FaceRecord:
        collection = convert.collection_name(request.collection)
        face_id = convert.uuid_arg(request.face_id, "face id")
        return convert.face_record(await faces.get_face(self._db, collection, face_id, request.include_image))

    @translate_errors
    async def ListFaces(
        self, request: registry_pb2.ListFacesRequest, context: Context
    ) -> registry_pb2.ListFacesResponse:
        collection = convert.collection_name(request.collection)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        page = await faces.list_faces(
            self._db,
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
        await faces.delete_face(self._db, collection, face_id, actor_of(context), request.delete_empty_person)
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
        deleted, missing = await faces.delete_faces(self._db, collection, wellformed, actor_of(context))
        return registry_pb2.DeleteFacesResponse(
            deleted=[str(f) for f in deleted], not_found=[str(f) for f in missing] + malformed
        )

    # -- matching

    @translate_errors
    async def MatchFace(
        self, request: registry_pb2.MatchFaceRequest, context: Context
    ) -> registry_pb2.MatchFaceResponse:
        collection = convert.collection_name(request.collection)
        embedding = convert.embedding(request.embedding, request.embedding_floats)
        model = convert.model(request.model, embedding)
        person_id = convert.uuid_arg(request.person_id, "person id") if request.person_id else None
        top_k = min(request.top_k or 1, MAX_TOP_K)
        matches = await self._matching.search(collection, model, [embedding], top_k, person_id, request.exact)
        asked = request.threshold if request.HasField("threshold") else None
        # Read after the search, as ever: an unknown collection is NOT_FOUND before a bad target.
        wants_fpir = person_id is None and request.HasField("target_fpir")
        fpir = convert.target_fpir(request.target_fpir) if wants_fpir else None
        [verdict] = self._matching.decide(matches, model.version, asked, fpir, one_to_one=person_id is not None)
        return responses.match(verdict)

    @translate_errors
    async def MatchFaces(
        self, request: registry_pb2.MatchFacesRequest, context: Context
    ) -> registry_pb2.MatchFacesResponse:
        collection = convert.collection_name(request.collection)
        embeddings = [convert.embedding(e) for e in request.embeddings] or [
            convert.embedding(types_pb2.Embedding(), e.values) for e in request.embeddings_floats
        ]
        if not embeddings or len(embeddings) > MAX_TOP_K:
            raise InvalidArgument(f"Send 1 to {MAX_TOP_K} embeddings.")
        model = convert.model(request.model, *embeddings)
        top_k = min(request.top_k or 1, MAX_TOP_K)
        fpir = convert.target_fpir(request.target_fpir) if request.HasField("target_fpir") else None
        matches = await self._matching.search(collection, model, embeddings, top_k, None, request.exact)
        asked = request.threshold if request.HasField("threshold") else None
        verdicts = self._matching.decide(matches, model.version, asked, fpir, one_to_one=False)
        return registry_pb2.MatchFacesResponse(results=[responses.match(v) for v in verdicts])

    @translate_errors
    async def CompareEmbeddings(
        self, request: registry_pb2.CompareEmbeddingsRequest, context: Context
    ) -> registry_pb2.CompareEmbeddingsResponse:
        a = convert.embedding(request.embedding_a, request.embedding_a_floats)
        b = convert.embedding(request.embedding_b, request.embedding_b_floats)
        model = convert.model(request.model, a, b)
        asked = request.threshold if request.HasField("threshold") else None
        compared = self._matching.compare(model.version, a, b, asked)
        return registry_pb2.CompareEmbeddingsResponse(
            similarity=compared.similarity, match=compared.match, threshold=compared.threshold
        )

    # -- re-embedding

    @translate_errors
    async def ListAlignedCrops(
        self, request: registry_pb2.ListAlignedCropsRequest, context: Context
    ) -> registry_pb2.ListAlignedCropsResponse:
        collection = convert.collection_name(request.collection)
        page = await reembedding.list_aligned_crops(
            self._db,
            collection,
            self._page_size(request.page_size),
            request.page_token,
            request.unstaged_for_version,
        )
        return registry_pb2.ListAlignedCropsResponse(
            crops=[responses.aligned_crop(c) for c in page.items], next_page_token=page.next_token
        )

    @translate_errors
    async def StageEmbeddings(
        self, request: registry_pb2.StageEmbeddingsRequest, context: Context
    ) -> registry_pb2.StageEmbeddingsResponse:
        collection = convert.collection_name(request.collection)
        vectors = []
        for item in request.embeddings:
            embedding = convert.embedding(item.embedding, item.embedding_floats)
            model = convert.model(request.model, embedding)
            vectors.append((convert.uuid_arg(item.face_id, "face id"), embedding))
        if not vectors:
            return registry_pb2.StageEmbeddingsResponse(staged=0)
        staged = await reembedding.stage_embeddings(self._db, collection, model, vectors)
        return registry_pb2.StageEmbeddingsResponse(staged=staged)

    @translate_errors
    async def CommitReembedding(
        self, request: registry_pb2.CommitReembeddingRequest, context: Context
    ) -> registry_pb2.Collection:
        collection = convert.collection_name(request.collection)
        info = request.model
        if not info.name or not info.version or not info.dimension:
            raise InvalidArgument("The new model (name, version, dimension) is required.")
        model = ModelRef(info.name, info.version, info.dimension)
        return convert.collection(await reembedding.commit_reembedding(self._db, collection, model))

    # -- bulk export and import

    @translate_stream_errors
    async def ExportCollection(
        self, request: registry_pb2.ExportCollectionRequest, context: Context
    ) -> AsyncIterator[registry_pb2.DataChunk]:
        collection = convert.collection_name(request.collection)
        async for chunk in bulk.export_collection(self._db, collection, request.include_images):
            yield registry_pb2.DataChunk(data=chunk)

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
            done = await bulk.import_collection(
                self._db, collection, collection_file.lines(chunks()), first.new_ids, key
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
            # Not for a replay: its client lost the first answer, maybe to this wait; it has one now.
            await self._indexes.take_import(collection, done.collection_id, done.seed)
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
        allowed = [convert.collection_name(c) for c in request.collections]
        key = await keys.create_api_key(
            self._db, name, request.scope, allowed, request.key_sha256, request.prefix[:16], actor_of(context)
        )
        return responses.api_key(key)

    @translate_errors
    async def ListApiKeys(
        self, request: registry_pb2.ListApiKeysRequest, context: Context
    ) -> registry_pb2.ListApiKeysResponse:
        found = await keys.list_api_keys(self._db)
        return registry_pb2.ListApiKeysResponse(keys=[responses.api_key(k) for k in found])

    @translate_errors
    async def RevokeApiKey(self, request: registry_pb2.RevokeApiKeyRequest, context: Context) -> registry_pb2.ApiKey:
        key_id = convert.uuid_arg(request.key_id, "key id")
        return responses.api_key(await keys.revoke_api_key(self._db, key_id, actor_of(context)))

    @translate_errors
    async def GetApiKeyByHash(
        self, request: registry_pb2.GetApiKeyByHashRequest, context: Context
    ) -> registry_pb2.ApiKey:
        return responses.api_key(await keys.api_key_by_hash(self._db, request.key_sha256))

    @translate_errors
    async def ListAuditEvents(
        self, request: registry_pb2.ListAuditEventsRequest, context: Context
    ) -> registry_pb2.ListAuditEventsResponse:
        collection = convert.collection_name(request.collection) if request.collection else None
        events = await keys.list_audit_events(
            self._db, collection, self._page_size(request.page_size), request.before_event_id
        )
        return registry_pb2.ListAuditEventsResponse(events=[responses.audit_event(e) for e in events])
