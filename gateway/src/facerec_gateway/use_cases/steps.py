"""The steps every use case is made of: one call to each service with its deadline and error
translation, the embedder's model (cached), and which face of a photo to take."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2
from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import InvalidArgument, MultipleFaces, NoFace
from facerec_gateway.backends import Backends, call
from facerec_gateway.face_choice import choose_subject
from facerec_gateway.use_cases.results import FaceChoice

# Faces of a photo compared with a person's enrolled faces to find theirs (largest first).
MAX_FACES_COMPARED = 8
# A model switch is a redeploy of the embedder; searches may use the old answer this long.
MODEL_CACHE_S = 5.0

Resp = TypeVar("Resp")


class Steps:
    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self.settings = backends.settings
        self._model: tuple[float, types_pb2.ModelInfo] | None = None

    async def registry(
        self, method: Callable[..., Awaitable[Resp]], request: Any, actor: str | None = None, bulk: bool = False
    ) -> Resp:
        """One registry call with its deadline and error translation; `actor` goes to the audit log.
        `bulk`: a call whose work grows with the collection (deleting a million faces takes tens of
        seconds), given the bulk deadline."""
        metadata = (("facerec-actor", actor),) if actor else None
        timeout = self.settings.bulk_timeout_s if bulk else self.settings.registry_timeout_s
        return await call(method(request, timeout=timeout, metadata=metadata))

    async def detect(
        self, image: bytes, *, max_faces: int = 0, thumbnails: bool = False
    ) -> detector_pb2.DetectResponse:
        request = detector_pb2.DetectRequest(
            image=image, options=detector_pb2.DetectOptions(max_faces=max_faces, include_thumbnails=thumbnails)
        )
        reply: detector_pb2.DetectResponse = await call(
            self.backends.detector.Detect(request, timeout=self.settings.detect_timeout_s)
        )
        return reply

    async def embed(self, faces: Sequence[detector_pb2.Face]) -> tuple[list[types_pb2.Embedding], types_pb2.ModelInfo]:
        """The faces' embeddings as the embedder packed them: passed on to the registry untouched
        (an API that shows numbers unpacks them at its edge)."""
        request = embedder_pb2.EmbedRequest(faces=[f.aligned for f in faces])
        reply = await call(self.backends.embedder.Embed(request, timeout=self.settings.embed_timeout_s))
        return list(reply.embeddings), reply.model

    async def model(self) -> types_pb2.ModelInfo:
        """The embedder's model, asked at most every MODEL_CACHE_S (searches need it on every call)."""
        now = time.monotonic()
        if self._model is None or now - self._model[0] > MODEL_CACHE_S:
            request = embedder_pb2.GetModelRequest()
            reply = await call(self.backends.embedder.GetModel(request, timeout=self.settings.embed_timeout_s))
            self._model = (now, reply.model)
        return self._model[1]

    async def subject(self, image: bytes, thumbnails: bool = False) -> detector_pb2.Face:
        """The photo's most likely subject (never refused: for callers that take one face)."""
        detection = await self.detect(image, thumbnails=thumbnails)
        if not detection.faces:
            raise NoFace()
        subject: detector_pb2.Face = detection.faces[choose_subject(detection).index]
        return subject

    async def face_to_enrol(
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
                    self.backends.registry.MatchFace,
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
