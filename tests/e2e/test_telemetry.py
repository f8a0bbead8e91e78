"""One request followed through the stack: its request id comes back in the answer and in error
bodies, and one identify's trace has spans from the gateway, detector, embedder and registry."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e

V1 = "/api/v1"


def _spans(stack: Stack, service: str) -> list[dict[str, Any]]:
    path = stack.traces_file(service)
    assert path is not None
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_request_id_is_kept_or_made_and_returned(api: httpx.Client, data_dir: Path) -> None:
    mine = api.get(f"{V1}/collections", headers={"X-Request-ID": "attendance-42:gate.1"})
    assert mine.headers["x-request-id"] == "attendance-42:gate.1"
    made = api.get(f"{V1}/collections")
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != api.get(f"{V1}/collections").headers["x-request-id"]
    # Not a sane token (spaces, or too long): replaced rather than echoed into logs.
    for unsafe in ("a b", "x" * 200):
        assert api.get(f"{V1}/collections", headers={"X-Request-ID": unsafe}).headers["x-request-id"] != unsafe


def test_error_bodies_carry_the_request_id(api: httpx.Client) -> None:
    reply = api.post(
        f"{V1}/detect", files={"file": ("photo.jpg", b"not an image", "image/jpeg")}, headers={"X-Request-ID": "bad-1"}
    )
    assert 400 <= reply.status_code < 500
    assert reply.json()["error"]["request_id"] == "bad-1"
    assert reply.headers["x-request-id"] == "bad-1"


def test_one_identify_is_one_trace_across_the_services(stack: Stack, api: httpx.Client, data_dir: Path) -> None:
    photo = sorted((data_dir / "faces").rglob("*.jpg"))[0]
    request_id = f"trace-{time.time_ns()}"
    reply = api.post(
        "/api/face/recognition",
        files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
        headers={"X-Request-ID": request_id},
    )
    assert reply.status_code == 200, reply.text

    def trace_of_request() -> str | None:
        for span in _spans(stack, "gateway"):
            if span.get("attributes", {}).get("facerec.request_id") == request_id:
                return str(span["context"]["trace_id"])
        return None

    deadline = time.monotonic() + 10
    while (trace_id := trace_of_request()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert trace_id is not None, "the gateway recorded no span for the request"
    expected = {
        "detector": "DetectorService/Detect",
        "embedder": "EmbedderService/Embed",
        "registry": "RegistryService/",
    }
    for service, name in expected.items():
        names = [s["name"] for s in _spans(stack, service) if s["context"]["trace_id"] == trace_id]
        assert any(n.startswith(name) for n in names), f"{service}: {names}"
        parents = [s["parent_id"] for s in _spans(stack, service) if s["context"]["trace_id"] == trace_id]
        assert all(parents), f"{service} spans are roots, not children of the gateway's"
