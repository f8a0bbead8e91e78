"""OpenAPI descriptions of the error responses every route may give."""

from __future__ import annotations

from typing import Any

from facerec_gateway.schemas import ErrorResponse

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        400: "Empty or unreadable image",
        404: "No such collection, person or face",
        409: "Exists already, or the collection holds another model's embeddings",
        413: "Upload or image too large",
        415: "Not a JPEG, PNG or WebP image",
        422: "No face, several faces, or an invalid field",
        503: "A backend service is unavailable",
    }.items()
}
