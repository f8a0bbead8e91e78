"""Domain errors as HTTP answers; each error class carries its status (facerec_common.errors).

Body of every error: {"detail": <message>, "error": {"code": <CODE>, "message": <message>, "details"?: {...}}}.
`detail` keeps clients written against FastAPI's default error shape working.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from facerec_common import errors as e
from facerec_common.telemetry import REQUEST_ID

log = logging.getLogger(__name__)


class PayloadTooLarge(e.InvalidArgument):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413
    default_message = "The upload is too large."


class UnsupportedMediaType(e.InvalidArgument):
    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415
    default_message = "Upload a JPEG, PNG or WebP image."


def error_response(status: int, code: str, message: str, details: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if details:
        error["details"] = details
    request_id = REQUEST_ID.get()
    if request_id:
        error["request_id"] = request_id
    headers = {}
    if status in (429, 503) and details and "retry_after" in details:
        headers["Retry-After"] = details["retry_after"]
    elif status == 401:
        headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    return JSONResponse(status_code=status, content={"detail": message, "error": error}, headers=headers)


def facerec_error_response(method: str, path: str, exc: e.FacerecError) -> JSONResponse:
    status = exc.http_status
    if status >= 500 and status != 503:
        log.error("internal error on %s %s: %s", method, path, exc.message)
        return error_response(status, e.FacerecError.code, e.FacerecError.default_message)
    if status == 503:  # a service down, slow or full: the operator's to see, with or without access logs
        log.warning("%s on %s %s: %s", exc.code, method, path, exc.message)
    return error_response(status, exc.code, exc.message, exc.metadata)


def unexpected_error_response(method: str, path: str) -> JSONResponse:
    """For an exception no handler expected; logged with its traceback (call it in `except`)."""
    log.exception("unexpected error on %s %s", method, path)
    return error_response(500, e.FacerecError.code, e.FacerecError.default_message)


async def _facerec_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.FacerecError)
    return facerec_error_response(request.method, request.url.path, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    )
    return error_response(422, "VALIDATION_ERROR", f"Invalid request: {problems}")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {400: "MALFORMED_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    return error_response(exc.status_code, codes.get(exc.status_code, "HTTP_ERROR"), str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(request.method, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.FacerecError, _facerec_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
