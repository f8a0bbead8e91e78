"""Who is this: recognise (seed), identify every face, verify two photos or a person, embed a
photo, search with a caller's own vector."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import CollectionNotFound, NoFace
from facerec_common.packed import pack
from facerec_gateway.face_choice import choose_subject
from facerec_gateway.use_cases.results import FaceMatches, PersonVerification, Recognition, Verification
from facerec_gateway.use_cases.steps import Steps


class RecognitionCases:
    def __init__(self, steps: Steps) -> None:
        self._steps = steps
        self._registry = steps.backends.registry

    async def recognise(self, collection: str, image: bytes) -> Recognition:
        """Best match for the photo's subject; an absent collection matches nobody."""
        face = await self._steps.subject(image)
        [embedding], model = await self._steps.embed([face])
        request = registry_pb2.MatchFaceRequest(collection=collection, embedding=embedding, model=model, top_k=1)
        try:
            reply = await self._steps.registry(self._registry.MatchFace, request)
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

    async def identify(
        self,
        collection: str,
        image: bytes,
        top_k: int,
        threshold: float | None,
        max_faces: int,
        exact: bool = False,
        target_fpir: float | None = None,
    ) -> tuple[list[FaceMatches], types_pb2.ModelInfo]:
        """Every face of the photo, largest first, each with its best candidates (one per person).

        All faces are matched in one registry call: one pass over the collection's index. An
        unknown collection is reported by that call (no separate look-up: counting a large
        collection's faces would cost more than the search)."""
        detection = await self._steps.detect(image, max_faces=max_faces)
        if not detection.faces:
            raise NoFace()
        embeddings, model = await self._steps.embed(detection.faces)
        reply = await self._steps.registry(
            self._registry.MatchFaces,
            registry_pb2.MatchFacesRequest(
                collection=collection,
                model=model,
                embeddings=embeddings,
                top_k=top_k,
                threshold=threshold,
                exact=exact,
                target_fpir=target_fpir,
            ),
        )
        return [FaceMatches(f, r) for f, r in zip(detection.faces, reply.results, strict=True)], model

    async def verify(self, image_a: bytes, image_b: bytes, threshold: float | None) -> Verification:
        face_a, face_b = await asyncio.gather(self._steps.subject(image_a), self._steps.subject(image_b))
        (a, b), model = await self._steps.embed([face_a, face_b])
        reply = await self._steps.registry(
            self._registry.CompareEmbeddings,
            registry_pb2.CompareEmbeddingsRequest(embedding_a=a, embedding_b=b, model=model, threshold=threshold),
        )
        return Verification(reply.similarity, reply.match, reply.threshold, face_a, face_b, model)

    async def verify_person(
        self, collection: str, person_id: str, image: bytes, threshold: float | None
    ) -> PersonVerification:
        await self._steps.registry(
            self._registry.GetPerson, registry_pb2.GetPersonRequest(collection=collection, person_id=person_id)
        )
        face = await self._steps.subject(image)
        [embedding], model = await self._steps.embed([face])
        reply = await self._steps.registry(
            self._registry.MatchFace,
            registry_pb2.MatchFaceRequest(
                collection=collection, embedding=embedding, model=model, person_id=person_id, threshold=threshold
            ),
        )
        return PersonVerification(face, reply, model)

    async def embed_photo(
        self, image: bytes, max_faces: int
    ) -> tuple[list[detector_pb2.Face], list[types_pb2.Embedding], types_pb2.ModelInfo]:
        # One face asked for: the photo's subject, which need not be the largest.
        detection = await self._steps.detect(image, max_faces=0 if max_faces == 1 else max_faces)
        if not detection.faces:
            return [], [], await self._steps.model()
        faces = list(detection.faces)
        if max_faces == 1:
            faces = [faces[choose_subject(detection).index]]
        vectors, model = await self._steps.embed(faces)
        return faces, vectors, model

    async def search(
        self,
        collection: str,
        embedding: Sequence[float],
        top_k: int,
        threshold: float | None,
        exact: bool = False,
        target_fpir: float | None = None,
    ) -> tuple[registry_pb2.MatchFaceResponse, types_pb2.ModelInfo]:
        """Match a caller's own vector, taken to come from the embedder's current model."""
        vector = np.asarray(embedding, dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        if norm > 0 and abs(norm - 1.0) > 1e-6:  # vectors from /embed come normalised already
            vector /= norm
        model = await self._steps.model()
        reply = await self._steps.registry(
            self._registry.MatchFace,
            registry_pb2.MatchFaceRequest(
                collection=collection,
                embedding=types_pb2.Embedding(vector=pack(vector)),
                model=model,
                top_k=top_k,
                threshold=threshold,
                exact=exact,
                target_fpir=target_fpir,
            ),
        )
        return reply, model
