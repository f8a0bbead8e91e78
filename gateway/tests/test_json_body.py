"""JSON bodies parsed by pydantic_core, with the standard library deciding whatever it refuses."""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
import pytest
from fastapi.testclient import TestClient

from facerec_gateway import json_body
from facerec_gateway.app import create_app
from facerec_gateway.settings import GatewaySettings

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1


async def _parse(body: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    request = json_body.JsonRequest({"type": "http", "method": "POST", "headers": []}, receive)
    return await request.json()


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"embedding": [0.1234567, -1e-7, 3.0, 2**60], "top_k": 10}).encode(),
        b'{"a":"\\ud800"}',  # a lone surrogate: pydantic_core refuses it, the standard library takes it
        b'\xef\xbb\xbf{"a":1}',  # a byte-order mark: likewise
        '{"a":"\u00e9"}'.encode("utf-16"),
        b'{"a":NaN,"b":1,"b":2}',
    ],
)
async def test_same_values_as_the_standard_library(body: bytes) -> None:
    assert repr(await _parse(body)) == repr(json.loads(body))


async def test_malformed_json_is_the_standard_librarys_error() -> None:
    # FastAPI turns json.JSONDecodeError into its 422 "json_invalid"; anything else would be a 400.
    with pytest.raises(json.JSONDecodeError):
        await _parse(b'{"a": 1')


def test_v1_routes_parse_with_pydantic_core(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    from_json = pydantic_core.from_json

    def counting(data: bytes) -> Any:
        parsed.append(data)
        return from_json(data)

    monkeypatch.setattr(json_body.pydantic_core, "from_json", counting)
    settings = GatewaySettings(  # type: ignore[call-arg]
        detector_address=NOWHERE, embedder_address=NOWHERE, registry_address=NOWHERE, grpc_port=-1
    )
    with TestClient(create_app(settings)) as client:
        body = {"embedding": [1.0] + [0.0] * 511, "top_k": 1}
        reply = client.post("/api/v1/collections/staff/search", json=body)
        assert reply.status_code == 503  # the backends are down; the body was read first
        assert [json.loads(p) for p in parsed] == [body]
        reply = client.post(
            "/api/v1/collections/staff/search", content=b'{"top_k": 1', headers={"content-type": "application/json"}
        )
        assert reply.status_code == 422
        assert reply.json()["detail"] == "Invalid request: 11: JSON decode error"  # where the JSON breaks
