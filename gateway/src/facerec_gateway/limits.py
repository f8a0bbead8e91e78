"""Refuse oversized request bodies from their Content-Length, before the body is read."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from facerec_gateway.errors import error_response

# Room for the multipart framing and the form's text fields around the files.
MULTIPART_OVERHEAD = 64 * 1024
# /verify takes two photos, each allowed the full upload size.
MAX_FILES_PER_REQUEST = 2


# Collection imports stream files of any size to the registry; they are never held whole.
STREAMED_SUFFIXES = ("/import",)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body = MAX_FILES_PER_REQUEST * max_upload_bytes + MULTIPART_OVERHEAD
        self.max_upload_mb = max_upload_bytes / (1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith(STREAMED_SUFFIXES):
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_body:
                response = error_response(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"The request is larger than its uploads may be ({self.max_upload_mb:g} MB each).",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
