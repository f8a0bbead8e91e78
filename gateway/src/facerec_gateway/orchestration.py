"""detect -> embed -> registry: the product's use cases, independent of any API shape.

The seed routes, the v1 REST routes and the public gRPC FaceService all call
this module, so the flow exists once. Results are the internal protobuf
messages; each API converts them to its own shape at its edge.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import (
    STREAM_ANSWERED_KEY,
    CollectionNotFound,
    FaceNotFound,
    InvalidArgument,
    ModelMismatch,
    MultipleFaces,
    NoFace,
    ReembeddingIncomplete,
)
from facerec_common.packed import unpack
from facerec_gateway import quality_gate
from facerec_gateway.backends import Backends, call
from facerec_gateway.face_choice import choose_subject

LIST_PAGE_SIZE = 200
# Faces of a photo compared with a person's enrolled faces to find theirs (largest first).
MAX_FACES_COMPARED = 8
REEMBED_PAGE_SIZE = 64
# A model switch is a redeploy of the embedder; searches may use the old answer this long.
MODEL_CACHE_S = 5.0
REEMBED_PASSES = 3

Req = TypeVar("Req")
Resp = TypeVar("Resp")


@dataclass(frozen=True)
class Recognition:
    match: bool
    name: str | None
    face_id: str | None
    similarity: float | None
    threshold: float
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class IdentifiedFace:
    face: detector_pb2.Face
    result: registry_pb2.MatchFaceResponse


@dataclass(frozen=True)
class Verification:
    similarity: float
    match: bool
    threshold: float
    face_a: detector_pb2.Face
    face_b: detector_pb2.Face
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class PersonVerification:
    face: detector_pb2.Face
    result: registry_pb2.MatchFaceResponse
    model: types_pb2.ModelInfo


@dataclass(frozen=True)
class Enrolment:
    record: registry_pb2.FaceRecord
    face: detector_pb2.Face
    faces_in_photo: int
    # Another person this face already matches closely: a likely mix-up, reported not refused.
    possible_duplicate: registry_pb2.Candidate | None
    choice: FaceChoice


@dataclass(frozen=True)
class FaceChoice:
    """Which face of the photo was taken (index in the detector's order, largest first), and why."""

    index: int
    reason: str
    # Its embedding and model, when choosing already computed them (no second embed).
    embedded: tuple[list[float], types_pb2.ModelInfo] | None = None


class FaceService:
    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._b = backends
        self._s = backends.settings
        self._model: tuple[float, types_pb2.ModelInfo] | None = None

    # -- building blocks

    async def registry(
        self, method: Callable[..., Awaitable[Resp]], request: Any, actor: str | None = None, bulk: bool = False
    ) -> Resp:
        """One registry call with its deadline and error translation; `actor` goes to the audit log.
        `bulk`: a call whose work grows with the collection (deleting a million faces takes tens of
        seconds), given the bulk deadline."""
        metadata = (("facerec-actor", actor),) if actor else None
        timeout = self._s.bulk_timeout_s if bulk else self._s.registry_timeout_s
        return await call(method(request, timeout=timeout, metadata=metadata))

    async def detect(
        self, image: bytes, *, max_faces: int = 0, thumbnails: bool = False
    ) -> detector_pb2.DetectResponse:
        request = detector_pb2.DetectRequest(
            image=image, options=detector_pb2.DetectOptions(max_faces=max_faces, include_thumbnails=thumbnails)
        )
        reply: detector_pb2.DetectResponse = await call(
            self._b.detector.Detect(request, timeout=self._s.detect_timeout_s)
        )
        return reply

    async def embed(self, faces: Sequence[detector_pb2.Face]) -> tuple[list[list[float]], types_pb2.ModelInfo]:
        request = embedder_pb2.EmbedRequest(faces=[f.aligned for f in faces])
        reply = await call(self._b.embedder.Embed(request, timeout=self._s.embed_timeout_s))
        return [unpack(e.vector).tolist() for e in reply.embeddings], reply.model

    async def model(self) -> types_pb2.ModelInfo:
        """The embedder's model, asked at most every MODEL_CACHE_S (searches need it on every call)."""
        now = time.monotonic()
        if self._model is None or now - self._model[0] > MODEL_CACHE_S:
            reply = await call(
                self._b.embedder.GetModel(embedder_pb2.GetModelRequest(), timeout=self._s.embed_timeout_s)
            )
            self._model = (now, reply.model)
        return self._model[1]

    async def _subject(self, image: bytes, thumbnails: bool = False) -> detector_pb2.Face:
        """The photo's most likely subject (never refused: for callers that take one face)."""
        detection = await self.detect(image, thumbnails=thumbnails)
        if not detection.faces:
            raise NoFace()
        subject: detector_pb2.Face = detection.faces[choose_subject(detection).index]
        return subject

    async def _chosen_face(
        self, image: bytes, face_index: int | None, select_largest: bool, person: registry_pb2.Person | None = None
    ) -> tuple[detector_pb2.Face, int, FaceChoice]:
        """The face to enrol: the caller's choice; else, for a person with faces already, the face
        that matches them; else the photo's subject. Refused only when two faces are comparable,
        fully visible and frontal and nothing else tells them apart."""
        detection = await self.detect(image, thumbnails=True)
        faces = list(detection.faces)
        if not faces:
            raise NoFace()
        if face_index is not None:
            if not 0 <= face_index < len(faces):
                raise InvalidArgument(
                    f"face_index {face_index} is out of range: the photo has {len(faces)} faces (0 is the largest)."
                )
            return faces[face_index], len(faces), FaceChoice(face_index, "face_index given")
        if select_largest:
            return faces[0], len(faces), FaceChoice(0, "select=largest")
        choice = choose_subject(detection)
        if len(faces) > 1 and person is not None and person.face_count:
            known = await self._face_matching_person(faces, person)
            if known is not None:
                return faces[known.index], len(faces), known
        if choice.ambiguous:
            raise MultipleFaces(
                f"The photo holds {len(faces)} faces and {choice.reason}; "
                "send face_index (0 is the largest) or select=largest.",
                faces=str(len(faces)),
            )
        return faces[choice.index], len(faces), FaceChoice(choice.index, choice.reason)

    async def _face_matching_person(
        self, faces: Sequence[detector_pb2.Face], person: registry_pb2.Person
    ) -> FaceChoice | None:
        """The face of the photo that matches the person's enrolled faces best, if any matches."""
        candidates = list(range(min(len(faces), MAX_FACES_COMPARED)))
        vectors, model = await self.embed([faces[i] for i in candidates])
        replies = await asyncio.gather(
            *(
                self.registry(
                    self._b.registry.MatchFace,
                    registry_pb2.MatchFaceRequest(
                        collection=person.collection, embedding=v, model=model, person_id=person.person_id
                    ),
                )
                for v in vectors
            )
        )
        best = max(
            (
                (r.candidates[0].similarity, i)
                for i, r in zip(candidates, replies, strict=True)
                if r.match and r.candidates
            ),
            default=None,
        )
        if best is None:
            return None
        reason = f"matches the person's enrolled faces (similarity {best[0]:.2f})"
        return FaceChoice(best[1], reason, (vectors[candidates.index(best[1])], model))

    # -- the seed API (collection "default", people by name)

    async def enroll(self, collection: str, name: str, image: bytes) -> registry_pb2.FaceRecord:
        """Store the photo's subject under this person's name."""
        face = await self._subject(image, thumbnails=True)
        quality_gate.check(face, self._s.enrol_quality)
        [embedding], model = await self.embed([face])
        reply = await self.registry(
            self._b.registry.EnrollFace, _enrol_request(collection, face, embedding, model, person_name=name)
        )
        stored: registry_pb2.FaceRecord = reply.face
        return stored

    async def recognise(self, collection: str, image: bytes) -> Recognition:
        """Best match for the photo's subject; an absent collection matches nobody."""
        face = await self._subject(image)
        [embedding], model = await self.embed([face])
        request = registry_pb2.MatchFaceRequest(collection=collection, embedding=embedding, model=model, top_k=1)
        try:
            reply = await self.registry(self._b.registry.MatchFace, request)
        except CollectionNotFound:
            reply = registry_pb2.MatchFaceResponse(match=False)
        best = reply.candidates[0] if reply.candidates else None
        return Recognition(
            match=reply.match,
            name=best.person_name if best and reply.match else None,
            face_id=best.face_id if best and reply.match else None,
            similarity=best.similarity if best else None,
            threshold=reply.threshold,
            model=model,
        )

    async def all_faces(self, collection: str, include_images: bool) -> AsyncIterator[registry_pb2.FaceRecord]:
        token = ""
        while True:
            request = registry_pb2.ListFacesRequest(
                collection=collection, page_size=LIST_PAGE_SIZE, page_token=token, include_images=include_images
            )
            try:
                page = await self.registry(self._b.registry.ListFaces, request)
            except CollectionNotFound:
                return
            for face in page.faces:
                yield face
            token = page.next_page_token
            if not token:
                return

    async def delete_face(self, collection: str, face_id: str, actor: str) -> None:
        """Seed semantics: a malformed id, or a collection never used, is just an unknown face;
        a record is one face, so a person left with none goes too."""
        try:
            uuid.UUID(face_id)
            await self.registry(
                self._b.registry.DeleteFace,
                registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id, delete_empty_person=True),
                actor=actor,
            )
        except (ValueError, CollectionNotFound) as exc:
            raise FaceNotFound(f"No face with id {face_id}.", face_id=face_id) from exc

    # -- the v1 API

    async def enroll_for_person(
        self, collection: str, person_id: str, image: bytes, face_index: int | None, select_largest: bool
    ) -> Enrolment:
        found = await self.registry(
            self._b.registry.GetPerson, registry_pb2.GetPersonRequest(collection=collection, person_id=person_id)
        )
        person_id = found.person_id  # canonical form, for the comparisons below
        face, count, choice = await self._chosen_face(image, face_index, select_largest, found)
        quality_gate.check(face, self._s.enrol_quality)
        if choice.embedded is not None:
            embedding, model = choice.embedded
        else:
            [embedding], model = await self.embed([face])
        nearest = await self.registry(
            self._b.registry.MatchFace,
            registry_pb2.MatchFaceRequest(collection=collection, embedding=embedding, model=model, top_k=2),
        )
        duplicate = next(
            (c for c in nearest.candidates if c.person_id != person_id and c.similarity >= self._s.duplicate_threshold),
            None,
        )
        reply = await self.registry(
            self._b.registry.EnrollFace, _enrol_request(collection, face, embedding, model, person_id=person_id)
        )
        return Enrolment(
            record=reply.face, face=face, faces_in_photo=count, possible_duplicate=duplicate, choice=choice
        )

    async def identify(
        self,
        collection: str,
        image: bytes,
        top_k: int,
        threshold: float | None,
        max_faces: int,
        exact: bool = False,
        target_fpir: float | None = None,
    ) -> tuple[list[IdentifiedFace], types_pb2.ModelInfo]:
        """Every face of the photo, largest first, each with its best candidates (one per person).

        All faces are matched in one registry call: one pass over the collection's index. An
        unknown collection is reported by that call (no separate look-up: counting a large
        collection's faces would cost more than the search)."""
        detection = await self.detect(image, max_faces=max_faces)
        if not detection.faces:
            raise NoFace()
        embeddings, model = await self.embed(detection.faces)
        reply = await self.registry(
            self._b.registry.MatchFaces,
            registry_pb2.MatchFacesRequest(
                collection=collection,
                model=model,
                embeddings=[registry_pb2.Embedding(values=e) for e in embeddings],
                top_k=top_k,
                threshold=threshold,
                exact=exact,
                target_fpir=target_fpir,
            ),
        )
        return [IdentifiedFace(f, r) for f, r in zip(detection.faces, reply.results, strict=True)], model

    async def verify(self, image_a: bytes, image_b: bytes, threshold: float | None) -> Verification:
        face_a, face_b = await asyncio.gather(self._subject(image_a), self._subject(image_b))
        (a, b), model = await self.embed([face_a, face_b])
        reply = await self.registry(
            self._b.registry.CompareEmbeddings,
            registry_pb2.CompareEmbeddingsRequest(embedding_a=a, embedding_b=b, model=model, threshold=threshold),
        )
        return Verification(reply.similarity, reply.match, reply.threshold, face_a, face_b, model)

    async def verify_person(
        self, collection: str, person_id: str, image: bytes, threshold: float | None
    ) -> PersonVerification:
        await self.registry(
            self._b.registry.GetPerson, registry_pb2.GetPersonRequest(collection=collection, person_id=person_id)
        )
        face = await self._subject(image)
        [embedding], model = await self.embed([face])
        reply = await self.registry(
            self._b.registry.MatchFace,
            registry_pb2.MatchFaceRequest(
                collection=collection, embedding=embedding, model=model, person_id=person_id, threshold=threshold
            ),
        )
        return PersonVerification(face, reply, model)

    async def embed_photo(
        self, image: bytes, max_faces: int
    ) -> tuple[list[detector_pb2.Face], list[list[float]], types_pb2.ModelInfo]:
        # One face asked for: the photo's subject, which need not be the largest.
        detection = await self.detect(image, max_faces=0 if max_faces == 1 else max_faces)
        if not detection.faces:
            return [], [], await self.model()
        faces = list(detection.faces)
        if max_faces == 1:
            faces = [faces[choose_subject(detection).index]]
        vectors, model = await self.embed(faces)
        return faces, vectors, model

    async def search(
        self,
        collection: str,
        embedding: list[float],
        top_k: int,
        threshold: float | None,
        exact: bool = False,
        target_fpir: float | None = None,
    ) -> tuple[registry_pb2.MatchFaceResponse, types_pb2.ModelInfo]:
        """Match a caller's own vector, taken to come from the embedder's current model."""
        norm = math.hypot(*embedding)
        if norm > 0 and abs(norm - 1.0) > 1e-6:  # vectors from /embed come normalised already
            embedding = [v / norm for v in embedding]
        model = await self.model()
        reply = await self.registry(
            self._b.registry.MatchFace,
            registry_pb2.MatchFaceRequest(
                collection=collection,
                embedding=embedding,
                model=model,
                top_k=top_k,
                threshold=threshold,
                exact=exact,
                target_fpir=target_fpir,
            ),
        )
        return reply, model

    async def export_collection(self, collection: str, include_images: bool) -> AsyncIterator[bytes]:
        """The collection file as chunks. The first chunk is read before returning, so an unknown
        collection fails here rather than in the middle of a response."""
        stream = self._b.registry.ExportCollection(
            registry_pb2.ExportCollectionRequest(collection=collection, include_images=include_images),
            timeout=self._s.bulk_timeout_s,
        )
        first = await call(stream.read())

        async def chunks() -> AsyncIterator[bytes]:
            # read() only: a gRPC stream may not be both read() and iterated.
            chunk = first
            while chunk is not grpc.aio.EOF:
                yield chunk.data
                chunk = await call(stream.read())

        return chunks()

    async def import_collection(
        self, collection: str, data: AsyncIterator[bytes], new_ids: bool, idempotency_key: str = ""
    ) -> registry_pb2.ImportCollectionResponse:
        """Stream a collection file to the registry. A file of another model than the embedder's
        is refused before anything is sent: its vectors could never be matched here."""
        head, data = await _first_line(data)
        await self._check_file_model(head)
        stream = self._b.registry.ImportCollection(timeout=self._s.bulk_timeout_s)
        first = registry_pb2.ImportCollectionRequest(
            collection=collection, new_ids=new_ids, data=head, idempotency_key=idempotency_key
        )
        await call(stream.write(first))
        await _send_until_answered(stream, data)
        reply: registry_pb2.ImportCollectionResponse = await call(stream)
        return reply

    async def _check_file_model(self, head: bytes) -> None:
        try:
            header = json.loads(head.split(b"\n", 1)[0])
            name, version = header["model"]["name"], header["model"]["version"]
        except (ValueError, KeyError, TypeError):
            return  # not a header: the registry names the line and the problem
        current = await self.model()
        if version != current.version:
            raise ModelMismatch(
                f"The file holds embeddings of {name}@{version}; this deployment embeds with "
                f"{current.name}@{current.version}. Import it where that model runs, or re-embed it there first.",
                collection_model=f"{name}@{version}",
                request_model=f"{current.name}@{current.version}",
            )

    async def reembed(self, collection: str) -> registry_pb2.Collection:
        """Re-compute every embedding of the collection with the embedder's current model, then switch.

        Faces enrolled meanwhile (with the old model) are picked up by the next pass.
        """
        model = await self.model()
        for _ in range(REEMBED_PASSES):
            token = ""
            while True:
                page = await self.registry(
                    self._b.registry.ListAlignedCrops,
                    registry_pb2.ListAlignedCropsRequest(
                        collection=collection,
                        page_size=REEMBED_PAGE_SIZE,
                        page_token=token,
                        unstaged_for_version=model.version,
                    ),
                )
                if page.crops:
                    reply = await call(
                        self._b.embedder.Embed(
                            embedder_pb2.EmbedRequest(faces=[c.aligned for c in page.crops]),
                            timeout=self._s.embed_timeout_s,
                        )
                    )
                    if reply.model.version != model.version:
                        # Replicas disagree (a rollout in progress): never stage vectors under the wrong model.
                        raise ReembeddingIncomplete(
                            f"The embedder switched from {model.name}@{model.version} to "
                            f"{reply.model.name}@{reply.model.version} during re-embedding; retry."
                        )
                    staged = [
                        registry_pb2.StagedEmbedding(face_id=c.face_id, embedding=unpack(e.vector).tolist())
                        for c, e in zip(page.crops, reply.embeddings, strict=True)
                    ]
                    await self.registry(
                        self._b.registry.StageEmbeddings,
                        registry_pb2.StageEmbeddingsRequest(collection=collection, model=model, embeddings=staged),
                    )
                token = page.next_page_token
                if not token:
                    break
            try:
                done: registry_pb2.Collection = await self.registry(
                    self._b.registry.CommitReembedding,
                    registry_pb2.CommitReembeddingRequest(collection=collection, model=model),
                )
                return done
            except ReembeddingIncomplete:
                continue
        raise ReembeddingIncomplete(f"Faces kept arriving in '{collection}' during {REEMBED_PASSES} passes; retry.")


ImportCall = grpc.aio.StreamUnaryCall[registry_pb2.ImportCollectionRequest, registry_pb2.ImportCollectionResponse]


async def _send_until_answered(stream: ImportCall, data: AsyncIterator[bytes]) -> None:
    """Write `data` to a collection import's stream and close it; stop early, without waiting for
    the client's next bytes, once the registry says it has its answer (in its initial metadata: a
    refusal, or the replay of an earlier import with the same key) or the call ends: the client
    then has its answer without uploading the rest."""

    async def until_stopped() -> None:
        metadata = await stream.initial_metadata()
        if not any(key == STREAM_ANSWERED_KEY for key, _ in metadata or ()):
            await stream.code()  # the call's end, whatever its status

    stop = asyncio.ensure_future(until_stopped())
    waiting_for_client = False

    async def pump() -> None:
        nonlocal waiting_for_client
        while not stop.done():
            waiting_for_client = True
            chunk = await anext(data, None)
            waiting_for_client = False
            if chunk is None:
                return
            # The registry reads on until the stream is closed, so a write completes even when answered.
            await call(stream.write(registry_pb2.ImportCollectionRequest(data=chunk)))

    pumping = asyncio.ensure_future(pump())
    try:
        await asyncio.wait({pumping, stop}, return_when=asyncio.FIRST_COMPLETED)
        if stop.done() and not pumping.done() and waiting_for_client:
            pumping.cancel()  # never mid-write: a cancelled write would cancel the call, and its answer
        await asyncio.wait({pumping})
        if not pumping.cancelled():
            pumping.result()  # the pump's own error, if any
    except BaseException:
        stream.cancel()  # the client went away or the write failed: the registry keeps nothing
        raise
    finally:
        stop.cancel()
        if stop.done() and not stop.cancelled():
            stop.exception()  # retrieved: the call's own status tells what went wrong
    await call(stream.done_writing())


async def _first_line(data: AsyncIterator[bytes], limit: int = 1 << 20) -> tuple[bytes, AsyncIterator[bytes]]:
    """The bytes up to and including the first line break (or `limit` bytes), and the rest of the stream."""
    head = b""
    async for chunk in data:
        head += chunk
        if b"\n" in head or len(head) >= limit:
            break
    return head, data


def _enrol_request(
    collection: str,
    face: detector_pb2.Face,
    embedding: list[float],
    model: types_pb2.ModelInfo,
    *,
    person_name: str = "",
    person_id: str = "",
) -> registry_pb2.EnrollFaceRequest:
    return registry_pb2.EnrollFaceRequest(
        collection=collection,
        person_name=person_name,
        person_id=person_id,
        embedding=embedding,
        model=model,
        box=face.box,
        detection_score=face.score,
        display_image=face.thumbnail_jpeg,
        aligned=face.aligned,
    )
