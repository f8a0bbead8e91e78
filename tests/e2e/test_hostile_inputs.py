"""A corpus of hostile and unusual uploads, made here, through every upload endpoint.

Each must get its own clear answer: never a 5xx, never a half-written record.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.e2e
V1 = "/api/v1"
FACE = "faces/Hugh_Grant/Hugh_Grant_0001.jpg"


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A 60-byte PNG that claims enormous dimensions."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def corpus(data_dir: Path) -> dict[str, tuple[bytes, int, str | None]]:
    """name -> (bytes, status where a face is needed (200: any success), code); detect/embed
    answer 200 for any valid image."""
    photo = Image.open(data_dir / FACE).convert("RGB")
    jpeg = (data_dir / FACE).read_bytes()
    sideways = photo.rotate(90, expand=True)  # stored rotated, EXIF says how to turn it back
    exif = Image.Exif()
    exif[0x0112] = 6
    gray16 = Image.fromarray((np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16))
    return {
        "zero bytes": (b"", 400, "EMPTY_FILE"),
        "truncated jpeg": (jpeg[: len(jpeg) // 3], 400, "INVALID_IMAGE"),
        "corrupt jpeg body": (jpeg[:200] + bytes(len(jpeg) - 200), 400, "INVALID_IMAGE"),
        "text renamed .jpg": (b"name,score\nalice,1\n" * 20, 415, "UNSUPPORTED_MEDIA_TYPE"),
        "gif": (_encode(photo, "GIF"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        "bmp": (_encode(photo, "BMP"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        "png bomb 20000x20000": (_encode(Image.new("L", (20_000, 20_000)), "PNG"), 413, "IMAGE_TOO_LARGE"),
        "png claiming 100000x100000": (_png_header_only(100_000, 100_000), 413, "IMAGE_TOO_LARGE"),
        "1x1 png": (_encode(Image.new("RGB", (1, 1), (200, 150, 120)), "PNG"), 422, "NO_FACE"),
        "3000x1 png": (_encode(Image.new("RGB", (3000, 1), (200, 150, 120)), "PNG"), 422, "NO_FACE"),
        "1x3000 png": (_encode(Image.new("RGB", (1, 3000), (200, 150, 120)), "PNG"), 422, "NO_FACE"),
        "mpo (multi-picture jpeg)": (_encode(photo, "MPO", save_all=True, append_images=[photo]), 200, None),
        "jpeg+zip polyglot": (jpeg + b"PK\x03\x04" + bytes(64) + b"<script>alert(1)</script>", 200, None),
        "cmyk jpeg": (_encode(photo.convert("CMYK"), "JPEG", quality=95), 200, None),
        "16-bit png": (_encode(gray16, "PNG"), 200, None),
        "grayscale jpeg": (_encode(photo.convert("L"), "JPEG", quality=95), 200, None),
        "rgba png": (_encode(photo.convert("RGBA"), "PNG"), 200, None),
        "webp": (_encode(photo, "WEBP", quality=90), 200, None),
        "exif-rotated jpeg": (_encode(sideways, "JPEG", quality=95, exif=exif.tobytes()), 200, None),
    }


Post = Callable[[httpx.Client, bytes], httpx.Response]


@pytest.fixture(scope="module")
def target(api: httpx.Client) -> Iterator[tuple[str, str]]:
    collection = f"hostile-{uuid.uuid4().hex[:8]}"
    api.post(f"{V1}/collections", json={"name": collection}).raise_for_status()
    person = api.post(f"{V1}/collections/{collection}/people", json={"name": "Hugh"}).json()["person_id"]
    yield collection, person
    api.delete(f"{V1}/collections/{collection}")
    for face in api.get("/api/face/").json():
        if face["name"] == "Hostile":
            api.delete(f"/api/face/recognition/{face['id_face']}")


def _endpoints(collection: str, person: str, reference: bytes) -> dict[str, tuple[Post, bool]]:
    """name -> (call, needs a face); verify endpoints pair the upload with a good photo."""
    f = "file"
    return {
        "seed register": (
            lambda c, d: c.post("/api/face/register", data={"name": "Hostile"}, files={f: ("x.jpg", d)}),
            True,
        ),
        "seed recognition": (lambda c, d: c.post("/api/face/recognition", files={f: ("x.jpg", d)}), True),
        "v1 enrol": (
            lambda c, d: c.post(f"{V1}/collections/{collection}/people/{person}/faces", files={f: ("x.jpg", d)}),
            True,
        ),
        "v1 identify": (lambda c, d: c.post(f"{V1}/collections/{collection}/identify", files={f: ("x.jpg", d)}), True),
        "v1 verify": (
            lambda c, d: c.post(f"{V1}/verify", files={"image_a": ("a.jpg", reference), "image_b": ("b.jpg", d)}),
            True,
        ),
        "v1 person verify": (
            lambda c, d: c.post(f"{V1}/collections/{collection}/people/{person}/verify", files={f: ("x.jpg", d)}),
            True,
        ),
        "v1 detect": (lambda c, d: c.post(f"{V1}/detect", files={f: ("x.jpg", d)}), False),
        "v1 embed": (lambda c, d: c.post(f"{V1}/embed", files={f: ("x.jpg", d)}), False),
    }


def test_every_upload_endpoint_answers_each_hostile_input(
    api: httpx.Client, target: tuple[str, str], data_dir: Path
) -> None:
    collection, person = target
    reference = (data_dir / FACE).read_bytes()
    # The person needs a face before identify/verify-person can match anything.
    seeded = api.post(f"{V1}/collections/{collection}/people/{person}/faces", files={"file": ("r.jpg", reference)})
    assert seeded.status_code == 201
    failures = []
    for item, (content, status, code) in corpus(data_dir).items():
        for endpoint, (post, needs_face) in _endpoints(collection, person, reference).items():
            expected_status, expected_code = (status, code)
            if not needs_face and code == "NO_FACE":
                expected_status, expected_code = 200, None  # detection just finds nothing
            reply = post(api, content)
            got_status = 200 if reply.status_code in (200, 201) else reply.status_code
            got_code = reply.json().get("error", {}).get("code") if reply.status_code >= 400 else None
            if reply.status_code >= 500 or (got_status, got_code) != (expected_status, expected_code):
                failures.append(
                    f"{item} -> {endpoint}: {reply.status_code} {got_code}, want {expected_status} {expected_code}"
                )
            if reply.status_code >= 400:
                assert "Traceback" not in reply.text
    assert not failures, "\n".join(failures)


def test_rotated_photo_is_recognised_upright(api: httpx.Client, target: tuple[str, str], data_dir: Path) -> None:
    collection, _ = target
    content = corpus(data_dir)["exif-rotated jpeg"][0]
    reply = api.post(f"{V1}/collections/{collection}/identify", files={"file": ("r.jpg", content)})
    face = reply.json()["faces"][0]
    assert face["match"] is True
    assert face["candidates"][0]["name"] == "Hugh"


def test_refused_uploads_leave_nothing_behind(api: httpx.Client, target: tuple[str, str]) -> None:
    collection, person = target
    faces = api.get(f"{V1}/collections/{collection}/faces", params={"person_id": person}).json()["faces"]
    valid_enrolments = sum(1 for _, status, _ in corpus_statuses() if status == 200)
    assert len(faces) == 1 + valid_enrolments  # the reference, then one per accepted upload, nothing else


def corpus_statuses() -> list[tuple[str, int, str | None]]:
    from facerec_devstack import photos

    return [(name, status, code) for name, (_, status, code) in corpus(photos.data_dir()).items()]


@pytest.mark.parametrize("digits", [5_000, 60_000])  # httpx sends URLs up to 64 KiB
def test_very_long_ids_get_a_clear_answer_with_a_request_id(
    api: httpx.Client, target: tuple[str, str], digits: int
) -> None:
    # The registry echoed such ids into its error details, overflowing gRPC's trailing metadata: 500.
    collection, _ = target
    long_id = "7" * digits
    for method, path in [
        ("GET", f"{V1}/collections/{collection}/faces/{long_id}/image"),
        ("DELETE", f"{V1}/collections/{collection}/people/{long_id}"),
        ("DELETE", f"/api/face/recognition/{long_id}"),
    ]:
        reply = api.request(method, path, headers={"X-Request-ID": f"long-{digits}"})
        assert 400 <= reply.status_code < 500, (method, path[:60], reply.status_code, reply.text[:300])
        assert reply.json()["error"]["request_id"] == f"long-{digits}"
        assert len(reply.text) < 2_000, "the error echoed the whole id back"
