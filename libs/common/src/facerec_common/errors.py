"""The domain error table, and its translation to and from gRPC status.

Every error a service raises on purpose is a `FacerecError` subclass with a
stable machine code and the gRPC status it travels with. The code crosses
service boundaries as a standard `google.rpc.ErrorInfo` detail, so the gateway
can map it to HTTP in one place (`facerec_gateway.errors`). The table is
documented in docs/errors.md; keep the two in step.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "facerec"
# Initial metadata of a client-streaming call answered before its stream ended (refused, or the
# replay of an import with the same idempotency key): stop sending, close the stream, then read
# the status (registry.proto, ImportCollection).
STREAM_ANSWERED_KEY = "facerec-import-answered"


class FacerecError(Exception):
    """Base of every deliberate facerec error."""

    code: str = "INTERNAL"
    grpc_status: grpc.StatusCode = grpc.StatusCode.INTERNAL
    # What the gateway answers over HTTP (the services speak gRPC only); subclasses inherit
    # their family's status, so a new error is written once, here.
    http_status: int = 500
    default_message: str = "Internal error."

    def __init__(self, message: str | None = None, **metadata: str) -> None:
        # Bounded: messages and details often name what the caller sent (an id, a name), and an
        # unbounded echo would overflow gRPC's trailing metadata and reach the client as a 500.
        self.message = _bounded(message or self.default_message, MAX_MESSAGE_CHARS)
        self.metadata = {key: _bounded(value, MAX_DETAIL_CHARS) for key, value in metadata.items()}
        super().__init__(self.message)


MAX_MESSAGE_CHARS = 500
MAX_DETAIL_CHARS = 200


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InvalidArgument(FacerecError):
    code = "INVALID_ARGUMENT"
    grpc_status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 422
    default_message = "The request is not valid."


class InvalidImage(InvalidArgument):
    code = "INVALID_IMAGE"
    http_status = 400
    default_message = "The file is not a readable image."


class EmptyFile(InvalidArgument):
    code = "EMPTY_FILE"
    http_status = 400
    default_message = "The uploaded file is empty."


class UnsupportedImageFormat(InvalidArgument):
    code = "UNSUPPORTED_IMAGE_FORMAT"
    http_status = 415
    default_message = "The image format is not supported."


class ImageTooLarge(InvalidArgument):
    code = "IMAGE_TOO_LARGE"
    http_status = 413
    default_message = "The image has too many pixels."


class NoFace(FacerecError):
    code = "NO_FACE"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 422
    default_message = "No face was found in the image."


class PoorQuality(FacerecError):
    """The face is not fit to enrol; `metadata["reasons"]` lists every failed check."""

    code = "POOR_QUALITY"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 422
    default_message = "The face is not good enough to enrol."


class FaceTooSmall(PoorQuality):
    code = "FACE_TOO_SMALL"
    default_message = "The face is too small: move closer or use a larger photo."


class LowDetectionScore(PoorQuality):
    code = "LOW_DETECTION_SCORE"
    default_message = "The detector is not confident this is a face."


class ExtremePose(PoorQuality):
    code = "EXTREME_POSE"
    default_message = "The head is turned too far: face the camera."


class Blurry(PoorQuality):
    code = "BLURRY"
    default_message = "The face is blurred."


class TooDark(PoorQuality):
    code = "TOO_DARK"
    default_message = "The face is too dark."


class TooBright(PoorQuality):
    code = "TOO_BRIGHT"
    default_message = "The face is overexposed."


class ModelMismatch(FacerecError):
    code = "MODEL_MISMATCH"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409
    default_message = "The embedding was made by another model than the collection's."


class NotFound(FacerecError):
    code = "NOT_FOUND"
    grpc_status = grpc.StatusCode.NOT_FOUND
    http_status = 404
    default_message = "Not found."


class FaceNotFound(NotFound):
    code = "FACE_NOT_FOUND"
    default_message = "No face has this id."


class PersonNotFound(NotFound):
    code = "PERSON_NOT_FOUND"
    default_message = "No person has this id in this collection."


class CollectionNotFound(NotFound):
    code = "COLLECTION_NOT_FOUND"
    default_message = "No collection has this name."


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    default_message = "No API key has this id."


class CameraNotFound(NotFound):
    code = "CAMERA_NOT_FOUND"
    default_message = "No camera has this name."


class EventNotFound(NotFound):
    code = "EVENT_NOT_FOUND"
    default_message = "No event has this id."


class Unauthenticated(FacerecError):
    code = "UNAUTHENTICATED"
    grpc_status = grpc.StatusCode.UNAUTHENTICATED
    http_status = 401
    default_message = "Send a valid API key in the X-API-Key header."


class PermissionDenied(FacerecError):
    code = "PERMISSION_DENIED"
    grpc_status = grpc.StatusCode.PERMISSION_DENIED
    http_status = 403
    default_message = "This API key's scope does not allow that."


class RateLimited(FacerecError):
    code = "RATE_LIMITED"
    grpc_status = grpc.StatusCode.RESOURCE_EXHAUSTED
    http_status = 429
    default_message = "Too many requests for this API key; slow down."


class Overloaded(FacerecError):
    code = "OVERLOADED"
    grpc_status = grpc.StatusCode.RESOURCE_EXHAUSTED
    http_status = 503
    default_message = "The service has more work queued than it takes; try again shortly."


class AlreadyExists(FacerecError):
    code = "ALREADY_EXISTS"
    grpc_status = grpc.StatusCode.ALREADY_EXISTS
    http_status = 409
    default_message = "It exists already."


class CameraExists(AlreadyExists):
    code = "CAMERA_EXISTS"
    default_message = "A camera with this name exists already."


class CollectionExists(AlreadyExists):
    code = "COLLECTION_EXISTS"
    default_message = "A collection with this name exists already."


class ExternalIdTaken(AlreadyExists):
    code = "EXTERNAL_ID_TAKEN"
    default_message = "Another person in this collection has this external_id."


class ReembeddingIncomplete(FacerecError):
    code = "REEMBEDDING_INCOMPLETE"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409
    default_message = "Some faces have no embedding of the new model yet."


class MultipleFaces(FacerecError):
    code = "MULTIPLE_FACES"
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 422
    default_message = "The photo holds several faces; choose one with face_index or select=largest."


class ServiceUnavailable(FacerecError):
    code = "SERVICE_UNAVAILABLE"
    grpc_status = grpc.StatusCode.UNAVAILABLE
    http_status = 503
    default_message = "A backend service is unavailable; try again shortly."


class ServiceTimeout(FacerecError):
    code = "SERVICE_TIMEOUT"
    grpc_status = grpc.StatusCode.DEADLINE_EXCEEDED
    http_status = 503
    default_message = "A backend service did not answer in time; try again shortly."


def _all_error_classes() -> dict[str, type[FacerecError]]:
    found: dict[str, type[FacerecError]] = {}
    pending: list[type[FacerecError]] = [FacerecError]
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


ERRORS_BY_CODE = _all_error_classes()

# Raw gRPC failures (no ErrorInfo attached) map to these.
_ERRORS_BY_STATUS: dict[grpc.StatusCode, type[FacerecError]] = {
    grpc.StatusCode.UNAVAILABLE: ServiceUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: ServiceTimeout,
    grpc.StatusCode.CANCELLED: ServiceUnavailable,
}


def to_grpc_status(error: FacerecError) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN, metadata=error.metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=error.grpc_status.value[0], message=error.message, details=[detail])
    converted: grpc.Status = rpc_status.to_status(status)
    return converted


def from_rpc_error(exc: grpc.RpcError) -> FacerecError:
    """Rebuild the domain error a peer sent, or classify a transport failure."""
    call: grpc.Call = exc  # type: ignore[assignment]
    try:
        status = rpc_status.from_call(call)
    except (ValueError, DecodeError):
        # The status details do not match the call (e.g. cut by a proxy, or from a peer that
        # overflowed its trailing metadata): classify by the status code alone, never raise.
        status = None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                if not detail.Unpack(info):
                    continue
                if info.domain == ERROR_DOMAIN and info.reason in ERRORS_BY_CODE:
                    cls = ERRORS_BY_CODE[info.reason]
                    return cls(status.message, **dict(info.metadata))
    return _ERRORS_BY_STATUS.get(call.code(), FacerecError)()
