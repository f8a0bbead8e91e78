"""The public gRPC API (facerec.v1.FaceService) behind the same typed results and errors as the
REST client: `GrpcClient("127.0.0.1:50050").identify("staff", Path("door.jpg"))`.

Errors arrive as the status code plus a google.rpc.ErrorInfo whose `reason` is the error table's
code; they are raised as `ApiError` kinds like the REST client's (status: the HTTP equivalent).
Reads are retried on UNAVAILABLE; writes are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from facerec.registry.v1 import registry_pb2
from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_client.api import (
    RETRIES,
    RETRY_BACKOFF_S,
    ApiError,
    Candidate,
    Collection,
    Enrolled,
    Identification,
    IdentifiedFace,
    NotFound,
    Person,
    Refused,
    Unavailable,
    Verification,
)

T = TypeVar("T")
_HTTP_OF = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.FAILED_PRECONDITION: 422,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
}


def error_of(exc: grpc.RpcError) -> ApiError:
    call: grpc.Call = exc  # type: ignore[assignment]
    code, message = call.code(), call.details() or ""
    reason, details = code.name, {}
    status = rpc_status.from_call(call)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, details = info.reason, dict(info.metadata)
    http = _HTTP_OF.get(code, 503 if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) else 500)
    kind = NotFound if http == 404 else Unavailable if http >= 500 else Refused
    return kind(http, reason, message, None, details)


def _image(photo: Path | bytes) -> bytes:
    return photo.read_bytes() if isinstance(photo, Path) else photo


class GrpcClient:
    def __init__(self, address: str = "127.0.0.1:50050", api_key: str | None = None, timeout_s: float = 60) -> None:
        self._channel = grpc.insecure_channel(address)
        self._faces = FaceServiceStub(self._channel)
        self._metadata = (("x-api-key", api_key),) if api_key else ()
        self._timeout = timeout_s

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, method: Callable[..., T], request: Any, read: bool = False) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as exc:
                retry = read and attempt < RETRIES and exc.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
                if not retry:
                    raise error_of(exc) from None
                time.sleep(RETRY_BACKOFF_S * attempt)

    def create_collection(self, name: str) -> Collection:
        reply = self._call(self._faces.CreateCollection, registry_pb2.CreateCollectionRequest(name=name))
        return Collection(reply.name, reply.people_count, reply.face_count, {})

    def delete_collection(self, name: str) -> None:
        self._call(self._faces.DeleteCollection, registry_pb2.DeleteCollectionRequest(name=name))

    def create_person(self, collection: str, name: str, external_id: str | None = None) -> Person:
        request = registry_pb2.CreatePersonRequest(collection=collection, name=name, external_id=external_id or "")
        reply = self._call(self._faces.CreatePerson, request)
        return Person(reply.person_id, reply.name, reply.external_id or None, {}, reply.face_count)

    def enrol(self, collection: str, person_id: str, photo: Path | bytes) -> Enrolled:
        request = pb.EnrollFaceRequest(collection=collection, person_id=person_id, image=_image(photo))
        reply = self._call(self._faces.EnrollFace, request)
        return Enrolled(reply.face.face_id, reply.face.person_id, reply.face_index, reply.faces_in_photo, [])

    def identify(self, collection: str, photo: Path | bytes, top_k: int = 3) -> Identification:
        request = pb.IdentifyRequest(collection=collection, image=_image(photo), top_k=top_k)
        reply = self._call(self._faces.Identify, request, read=True)
        faces = [
            IdentifiedFace(
                {"x": f.face.box.x, "y": f.face.box.y, "width": f.face.box.width, "height": f.face.box.height},
                f.match,
                [Candidate(c.person_id, c.person_name, c.similarity) for c in f.candidates],
            )
            for f in reply.faces
        ]
        return Identification(faces, reply.threshold)

    def verify(self, a: Path | bytes, b: Path | bytes) -> Verification:
        reply = self._call(self._faces.Verify, pb.VerifyRequest(image_a=_image(a), image_b=_image(b)), read=True)
        return Verification(reply.match, reply.similarity, reply.threshold)
