"""Storing faces: the seed's enrol-by-name, v1's enrol-to-a-person (with the duplicate warning),
the seed's listing and deletion."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import CollectionNotFound, FaceNotFound
from facerec_gateway import quality_gate
from facerec_gateway.use_cases.results import Enrolment
from facerec_gateway.use_cases.steps import Steps

LIST_PAGE_SIZE = 200


class EnrolmentCases:
    def __init__(self, steps: Steps) -> None:
        self._steps = steps
        self._registry = steps.backends.registry

    async def enrol_by_name(self, collection: str, name: str, image: bytes) -> registry_pb2.FaceRecord:
        """The seed's register: store the photo's subject under this person's name."""
        face = await self._steps.subject(image, thumbnails=True)
        quality_gate.check(face, self._steps.settings.enrol_quality)
        [embedding], model = await self._steps.embed([face])
        reply = await self._steps.registry(
            self._registry.EnrollFace, _enrol_request(collection, face, embedding, model, person_name=name)
        )
        stored: registry_pb2.FaceRecord = reply.face
        return stored

    async def enrol_for_person(
        self, collection: str, person_id: str, image: bytes, face_index: int | None, select_largest: bool
    ) -> Enrolment:
        found = await self._steps.registry(
            self._registry.GetPerson, registry_pb2.GetPersonRequest(collection=collection, person_id=person_id)
        )
        person_id = found.person_id  # canonical form, for the comparisons below
        face, count, choice = await self._steps.face_to_enrol(image, face_index, select_largest, found)
        quality_gate.check(face, self._steps.settings.enrol_quality)
        if choice.embedded is not None:
            embedding, model = choice.embedded
        else:
            [embedding], model = await self._steps.embed([face])
        nearest = await self._steps.registry(
            self._registry.MatchFace,
            registry_pb2.MatchFaceRequest(collection=collection, embedding=embedding, model=model, top_k=2),
        )
        duplicate_at = self._steps.settings.duplicate_threshold
        duplicate = next(
            (c for c in nearest.candidates if c.person_id != person_id and c.similarity >= duplicate_at), None
        )
        reply = await self._steps.registry(
            self._registry.EnrollFace, _enrol_request(collection, face, embedding, model, person_id=person_id)
        )
        return Enrolment(
            record=reply.face, face=face, faces_in_photo=count, possible_duplicate=duplicate, choice=choice
        )

    async def all_faces(self, collection: str, include_images: bool) -> AsyncIterator[registry_pb2.FaceRecord]:
        """Every face of the collection, page by page; none for a collection never used."""
        token = ""
        while True:
            request = registry_pb2.ListFacesRequest(
                collection=collection, page_size=LIST_PAGE_SIZE, page_token=token, include_images=include_images
            )
            try:
                page = await self._steps.registry(self._registry.ListFaces, request)
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
            await self._steps.registry(
                self._registry.DeleteFace,
                registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id, delete_empty_person=True),
                actor=actor,
            )
        except (ValueError, CollectionNotFound) as exc:
            raise FaceNotFound(f"No face with id {face_id}.", face_id=face_id) from exc


def _enrol_request(
    collection: str,
    face: detector_pb2.Face,
    embedding: types_pb2.Embedding,
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
