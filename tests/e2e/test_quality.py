"""Enrolment refuses degraded photos with a reason; detect reports quality; near-duplicates warn."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageFilter

from facerec_devstack import photos

pytestmark = pytest.mark.e2e
V1 = "/api/v1"


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _degraded(path: Path) -> dict[str, bytes]:
    photo = Image.open(path).convert("RGB")
    dark = Image.fromarray((np.asarray(photo) * 0.12).astype(np.uint8))
    return {
        "BLURRY": _jpeg(photo.filter(ImageFilter.GaussianBlur(3))),
        "FACE_TOO_SMALL": _jpeg(photo.resize((62, 62), Image.Resampling.LANCZOS)),
        "TOO_DARK": _jpeg(dark),
    }


@pytest.fixture(scope="module")
def person(api: httpx.Client) -> Iterator[tuple[str, str]]:
    collection = f"quality-{uuid.uuid4().hex[:8]}"
    api.post(f"{V1}/collections", json={"name": collection}).raise_for_status()
    reply = api.post(f"{V1}/collections/{collection}/people", json={"name": "Hugh"})
    reply.raise_for_status()
    yield collection, reply.json()["person_id"]
    api.delete(f"{V1}/collections/{collection}")


def test_degraded_photos_are_refused_with_their_reason(
    api: httpx.Client, person: tuple[str, str], data_dir: Path
) -> None:
    collection, person_id = person
    for code, data in _degraded(data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").items():
        reply = api.post(f"{V1}/collections/{collection}/people/{person_id}/faces", files={"file": ("x.jpg", data)})
        assert reply.status_code == 422, (code, reply.text)
        error = reply.json()["error"]
        assert error["code"] == code
        assert code in error["details"]["reasons"].split(",")
        seed = api.post("/api/face/register", data={"name": "Degraded"}, files={"file": ("x.jpg", data)})
        assert seed.status_code == 422
        assert seed.json()["error"]["code"] == code
    stored = api.get(f"{V1}/collections/{collection}/faces").json()["faces"]
    assert stored == []  # nothing half-written


def test_detect_reports_quality(api: httpx.Client, data_dir: Path) -> None:
    path = data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg"
    good = api.post(f"{V1}/detect", files={"file": (path.name, path.read_bytes())}).json()["faces"][0]["quality"]
    assert good["enrollable"] is True
    assert good["problems"] == []
    assert 30 < good["inter_eye_px"] < 60
    blurred = _degraded(path)["BLURRY"]
    bad = api.post(f"{V1}/detect", files={"file": ("b.jpg", blurred)}).json()["faces"][0]["quality"]
    assert bad["enrollable"] is False
    assert bad["problems"] == ["BLURRY"]
    assert bad["sharpness"] < good["sharpness"] / 5


def test_enrolling_someone_else_as_this_person_warns(
    api: httpx.Client, person: tuple[str, str], data_dir: Path
) -> None:
    collection, hugh = person
    hugh_photos = photos.people(data_dir)["Hugh_Grant"]
    url = f"{V1}/collections/{collection}/people/{{}}/faces"
    first = api.post(url.format(hugh), files={"file": ("a.jpg", hugh_photos[0].read_bytes())})
    assert first.status_code == 201
    assert first.json()["warnings"] == []
    again = api.post(url.format(hugh), files={"file": ("c.jpg", hugh_photos[2].read_bytes())})
    assert again.json()["warnings"] == []  # the same person again is no duplicate
    impostor = api.post(f"{V1}/collections/{collection}/people", json={"name": "Not Hugh"}).json()["person_id"]
    reply = api.post(url.format(impostor), files={"file": ("b.jpg", hugh_photos[1].read_bytes())})
    assert reply.status_code == 201  # a warning, not a refusal
    [warning] = reply.json()["warnings"]
    assert warning["code"] == "POSSIBLE_DUPLICATE"
    assert (warning["person_id"], warning["name"]) == (hugh, "Hugh")
    assert warning["similarity"] >= 0.5
