"""detect -> embed -> registry: the product's use cases, independent of any HTTP shape.

The seed routes use this today; later APIs (v1 REST, the public gRPC
FaceService) share it instead of re-implementing the flow.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import FaceNotFound, NoFace
from facerec_gateway.backends import Backends, call

LIST_PAGE_SIZE = 200


@dataclass(frozen=True)
class Recognition:
    match: bool
    name: str | None
    face_id: str | None
    similarity: float | None
    threshold: float
    model: types_pb2.ModelInfo


class FaceService:
    def __init__(self, backends: Backends) -> None:
        self._b = backends
        self._s = backends.settings

    async def _largest_face(self, image: bytes, thumbnails: bool) -> detector_pb2.Face:
        request = detector_pb2.DetectRequest(
            image=image, options=detector_pb2.DetectOptions(max_faces=1, include_thumbnails=thumbnails)
        )
        detection = await call(self._b.detector.Detect(request, timeout=self._s.detect_timeout_s))
        if not detection.faces:
            raise NoFace()
        largest: detector_pb2.Face = detection.faces[0]
        return largest

    async def _embed(self, face: detector_pb2.Face) -> tuple[list[float], types_pb2.ModelInfo]:
        request = embedder_pb2.EmbedRequest(faces=[face.aligned])
        reply = await call(self._b.embedder.Embed(request, timeout=self._s.embed_timeout_s))
        return list(reply.embeddings[0].values), reply.model

    async def enroll(self, collection: str, name: str, image: bytes) -> registry_pb2.FaceRecord:
        """Store the largest face of the photo under this person's name."""
        face = await self._largest_face(image, thumbnails=True)
        embedding, model = await self._embed(face)
        request = registry_pb2.EnrollFaceRequest(
            collection=collection,
            person_name=name,
            embedding=embedding,
            model=model,
            box=face.box,
            detection_score=face.score,
            display_image=face.thumbnail_jpeg,
            aligned=face.aligned,
        )
        reply = await call(self._b.registry.EnrollFace(request, timeout=self._s.registry_timeout_s))
        stored: registry_pb2.FaceRecord = reply.face
        return stored

    async def recognise(self, collection: str, image: bytes) -> Recognition:
        """Best match for the largest face of the photo."""
        face = await self._largest_face(image, thumbnails=False)
        embedding, model = await self._embed(face)
        request = registry_pb2.MatchFaceRequest(collection=collection, embedding=embedding, model=model, top_k=1)
        reply = await call(self._b.registry.MatchFace(request, timeout=self._s.registry_timeout_s))
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
            page = await call(self._b.registry.ListFaces(request, timeout=self._s.registry_timeout_s))
            for face in page.faces:
                yield face
            token = page.next_page_token
            if not token:
                return

    async def delete_face(self, collection: str, face_id: str) -> None:
        try:
            uuid.UUID(face_id)
        except ValueError as exc:
            # The seed answered "not found" for ids that do not exist; a malformed id is one of those.
            raise FaceNotFound(f"No face with id {face_id}.", face_id=face_id) from exc
        request = registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id)
        await call(self._b.registry.DeleteFace(request, timeout=self._s.registry_timeout_s))
