"""The search route's fast path answers exactly as the FastAPI route, which stays its fallback.

The backends are faked at their one seam (conftest.py); everything else is the real app. A
content type FastAPI also reads as JSON (`application/vnd.facerec+json`) but the fast path leaves
to the route gives the reference answer for the same body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from facerec.registry.v1 import registry_pb2
from facerec_common import errors, packed
from facerec_gateway import json_body
from facerec_gateway.app import create_app
from facerec_gateway.settings import GatewaySettings

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1
ADMIN_KEY = "fast-path-admin-key"
FAST = {"content-type": "application/json"}
ROUTE = {"content-type": "application/vnd.facerec+json"}  # JSON to FastAPI, not taken by the fast path
PATH = "/api/v1/collections/staff/search"
VECTOR = [1.0] + [0.0] * 511
REPLY = registry_pb2.MatchFaceResponse(
    candidates=[
        registry_pb2.Candidate(
            face_id="6f1c0c5e-8a58-4d36-9a43-0d6c43c0e0a1",
            person_id="0b5c2a77-2f0e-4c55-a3a3-46a1d49a8b20",
            person_name="Zoë Ng",
            similarity=0.61234567,
        ),
        registry_pb2.Candidate(
            face_id="1d3a6a39-5d1f-4a86-9d0e-6a6b5f5c7a11",
            person_id="e2b0b9a3-3c3f-4a6f-8a55-6e7c1a0b9d22",
            person_name="Al",
            similarity=-0.1,
        ),
    ],
    match=True,
    threshold=0.40671234,
    method="index",
    threshold_basis="open_set",
    target_fpir=0.003,
)


@pytest.fixture
def searches(fakes: Any) -> list[tuple[Any, ...]]:
    """What reached the registry; each search answers REPLY, or a CollectionNotFound for 'gone'."""
    calls: list[tuple[Any, ...]] = []

    def match(r: registry_pb2.MatchFaceRequest) -> registry_pb2.MatchFaceResponse:
        threshold = r.threshold if r.HasField("threshold") else None
        fpir = r.target_fpir if r.HasField("target_fpir") else None
        calls.append((r.collection, packed.unpack(r.embedding.vector).tolist(), r.top_k, threshold, r.exact, fpir))
        if r.collection == "gone":
            raise errors.CollectionNotFound("No collection named 'gone'.", collection="gone")
        return REPLY

    fakes.registry.answers["MatchFace"] = match
    return calls


@pytest.fixture
def route_runs(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Bodies the FastAPI route read: the fast path leaves them alone."""
    read: list[bytes] = []
    parse = json_body.JsonRequest.json

    async def counted(self: json_body.JsonRequest) -> Any:
        read.append(await self.body())
        return await parse(self)

    monkeypatch.setattr(json_body.JsonRequest, "json", counted)
    return read


def _client(fakes: Any, auth_mode: str = "open") -> Iterator[TestClient]:
    settings = GatewaySettings(  # type: ignore[call-arg]
        detector_address=NOWHERE,
        embedder_address=NOWHERE,
        registry_address=NOWHERE,
        grpc_port=-1,
        auth_mode=auth_mode,
        admin_key=ADMIN_KEY if auth_mode == "keys" else None,
    )
    with TestClient(create_app(settings, fakes.backends)) as client:
        yield client


@pytest.fixture
def client(fakes: Any) -> Iterator[TestClient]:
    yield from _client(fakes)


def _without_request_id(body: bytes) -> Any:
    value = json.loads(body)
    if isinstance(value, dict) and "error" in value:
        value["error"].pop("request_id", None)
    return value


def test_a_well_formed_search_skips_the_route_and_answers_the_same_bytes(
    client: TestClient, searches: list[tuple[Any, ...]], route_runs: list[bytes]
) -> None:
    body = json.dumps({"embedding": VECTOR, "top_k": 2, "threshold": 0.5, "exact": True, "target_fpir": 0.01})
    fast = client.post(PATH, content=body, headers=FAST)
    assert route_runs == []
    reference = client.post(PATH, content=body, headers=ROUTE)
    assert len(route_runs) == 1
    assert (fast.status_code, fast.content) == (reference.status_code, reference.content)
    assert fast.status_code == 200
    assert fast.headers["content-type"] == reference.headers["content-type"]
    assert searches[0] == searches[1] == ("staff", VECTOR, 2, 0.5, True, 0.01)
    assert fast.json()["candidates"][0] == {
        "face_id": "6f1c0c5e-8a58-4d36-9a43-0d6c43c0e0a1",
        "person_id": "0b5c2a77-2f0e-4c55-a3a3-46a1d49a8b20",
        "name": "Zoë Ng",
        "similarity": 0.6123,
    }
    # Without a content type FastAPI reads JSON too; so does the fast path.
    bare = client.post(PATH, content=body)
    assert (bare.content, len(route_runs)) == (fast.content, 1)


@pytest.mark.parametrize(
    "body",
    [
        b'{"embedding": [1.0], "top_k": 0}',  # out of range
        b'{"embedding": []}',
        b'{"top_k": 1}',
        b'{"embedding": [1.0, "x"]}',
        b'{"embedding": [1.0]',  # malformed JSON
        b"",
        b'\xef\xbb\xbf{"embedding": [1.0]}',  # a byte-order mark: the route's parser decides
        b"[1, 2]",
    ],
)
def test_anything_else_is_the_routes_to_answer(
    client: TestClient, searches: list[tuple[Any, ...]], route_runs: list[bytes], body: bytes
) -> None:
    fast = client.post(PATH, content=body, headers=FAST)
    assert route_runs == ([body] if body else [])  # handed on whole (FastAPI parses no empty body)
    reference = client.post(PATH, content=body, headers=ROUTE)
    assert fast.status_code == reference.status_code
    assert _without_request_id(fast.content) == _without_request_id(reference.content)


def test_other_paths_and_content_types_go_to_the_route(client: TestClient, route_runs: list[bytes]) -> None:
    body = json.dumps({"embedding": VECTOR}).encode()
    bad_name = client.post("/api/v1/collections/no%20spaces/search", content=body, headers=FAST)
    assert bad_name.status_code == 422
    assert route_runs == [body]
    assert client.post(PATH, content=body, headers={"content-type": "text/plain"}).status_code == 422
    assert client.get(PATH).status_code == 405


def test_errors_answer_as_the_routes_do(
    client: TestClient, searches: list[tuple[Any, ...]], route_runs: list[bytes]
) -> None:
    body = json.dumps({"embedding": VECTOR})
    path = "/api/v1/collections/gone/search"
    fast = client.post(path, content=body, headers=FAST)
    reference = client.post(path, content=body, headers=ROUTE)
    assert (fast.status_code, reference.status_code) == (404, 404)
    assert _without_request_id(fast.content) == _without_request_id(reference.content)
    assert fast.json()["error"]["request_id"] == fast.headers["x-request-id"]
    assert len(route_runs) == 1


def test_keys_are_checked_as_by_the_route(fakes: Any, searches: list[tuple[Any, ...]], route_runs: list[bytes]) -> None:
    for client in _client(fakes, "keys"):
        body = json.dumps({"embedding": VECTOR})
        fast = client.post(PATH, content=body, headers=FAST)
        reference = client.post(PATH, content=body, headers=ROUTE)
        assert (fast.status_code, reference.status_code) == (401, 401)
        assert fast.headers["www-authenticate"] == reference.headers["www-authenticate"]
        assert _without_request_id(fast.content) == _without_request_id(reference.content)
        assert client.post(PATH, content=body, headers={**FAST, "x-api-key": ADMIN_KEY}).status_code == 200
        assert len(searches) == 1  # only the authenticated search reached the registry


def test_the_fast_path_is_counted_under_the_routes_template(client: TestClient, searches: list[Any]) -> None:
    client.post(PATH, content=json.dumps({"embedding": VECTOR}), headers=FAST)
    metrics = client.get("/metrics").text
    assert 'route="/api/v1/collections/{collection}/search",status="200"' in metrics
