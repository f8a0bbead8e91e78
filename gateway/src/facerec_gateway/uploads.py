"""Read an uploaded image: bounded size, known signature, before any backend sees it."""

from __future__ import annotations

from fastapi import UploadFile

from facerec_common.errors import EmptyFile
from facerec_gateway.errors import PayloadTooLarge, UnsupportedMediaType

CHUNK = 1 << 16

_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


async def read_image(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"The upload is larger than {max_bytes / (1024 * 1024):g} MB.")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise EmptyFile()
    if not (any(data.startswith(sig) for sig, _ in _SIGNATURES) or _is_webp(data)):
        raise UnsupportedMediaType(
            f"'{upload.filename or 'file'}' is not a JPEG, PNG or WebP image.",
            content_type=upload.content_type or "",
        )
    return data
