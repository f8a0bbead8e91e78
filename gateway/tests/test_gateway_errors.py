"""The gateway's HTTP error surface, with its backends really unreachable (no fakes)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import facerec_gateway.__main__ as gateway_main
from facerec_common import errors
from facerec_gateway.app import create_app
from facerec_gateway.settings import GatewaySettings

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1


def _settings(**overrides: object) -> GatewaySettings:
    base = {
        "detector_address": NOWHERE,
        "embedder_address": NOWHERE,
        "registry_address": NOWHERE,
        "detect_timeout_s": 2.0,
        "registry_timeout_s": 2.0,
        "health_timeout_s": 0.5,
        "grpc_port": -1,
    }
    return GatewaySettings(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_settings())) as c:
        yield c


def test_every_domain_error_has_an_http_status() -> None:
    statuses = {code: cls.http_status for code, cls in errors.ERRORS_BY_CODE.items()}
    assert statuses.pop("INTERNAL") == 500
    assert all(400 <= status < 600 for status in statuses.values()), statuses


def test_services_down_is_503_with_a_reason(client: TestClient, data_dir: Path) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    for reply in (
        client.post("/api/face/recognition", files={"file": ("a.jpg", photo, "image/jpeg")}),
        client.post("/api/face/register", data={"name": "A"}, files={"file": ("a.jpg", photo, "image/jpeg")}),
        client.get("/api/face/"),
        client.delete("/api/face/recognition/6f1c1f49-3f7a-4a53-9a0e-0c8f1d1c2b3a"),
    ):
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_503_is_logged_with_its_code_and_route(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    # Per-request lines are off by default (nginx writes them): a service down must still show.
    with caplog.at_level(logging.WARNING, logger="facerec_gateway.errors"):
        assert client.get("/api/face/").status_code == 503
    assert any(
        r.levelno == logging.WARNING and "SERVICE_UNAVAILABLE on GET /api/face/" in r.getMessage()
        for r in caplog.records
    ), caplog.text


@pytest.mark.parametrize(("env", "expected"), [(None, False), ("true", True)])
def test_the_access_log_setting_reaches_uvicorn(
    env: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is not None:
        monkeypatch.setenv("FACEREC_GATEWAY_ACCESS_LOG", env)
    monkeypatch.setenv("FACEREC_GATEWAY_GRPC_PORT", "-1")
    seen: dict[str, object] = {}
    monkeypatch.setattr(gateway_main, "configure_logging", lambda *args: None)  # the test run's logging stays
    monkeypatch.setattr(gateway_main.uvicorn, "run", lambda app, **options: seen.update(options))
    gateway_main.main()
    assert seen["access_log"] is expected


def test_readyz_names_the_unreachable_services(client: TestClient) -> None:
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert reply.json()["services"] == {"detector": "UNREACHABLE", "embedder": "UNREACHABLE", "registry": "UNREACHABLE"}
    assert client.get("/healthz").status_code == 200


def test_upload_checks_happen_before_any_backend_call(client: TestClient) -> None:
    # Backends are down, so a 4xx here proves the gateway refused the upload by itself.
    reply = client.post("/api/face/recognition", files={"file": ("a.gif", b"GIF89a....", "image/gif")})
    assert reply.status_code == 415
    assert reply.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_malformed_id_on_delete_is_404_like_any_unknown_id(client: TestClient) -> None:
    reply = client.delete("/api/face/recognition/not-a-uuid")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "FACE_NOT_FOUND"


def test_production_turns_docs_off() -> None:
    with TestClient(create_app(_settings(production=True, auth_mode="keys", admin_key="s3cret"))) as c:
        assert c.get("/docs").status_code == 404
        assert c.get("/openapi.json").status_code == 404
    with TestClient(create_app(_settings())) as c:
        assert c.get("/docs").status_code == 200


def test_oversized_body_is_refused_from_its_length(client: TestClient) -> None:
    # Backends are down: a 413 (not 503) shows the body was refused before any work.
    big = b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)
    reply = client.post("/api/face/recognition", files={"file": ("big.jpg", big, "image/jpeg")})
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_cors_is_closed_by_default_and_opens_per_setting() -> None:
    preflight = {"origin": "https://console.example.com", "access-control-request-method": "POST"}
    with TestClient(create_app(_settings())) as c:
        reply = c.options("/api/v1/detect", headers=preflight)
        assert "access-control-allow-origin" not in reply.headers
    with TestClient(create_app(_settings(cors_origins=["https://console.example.com"]))) as c:
        reply = c.options("/api/v1/detect", headers=preflight)
        assert reply.headers["access-control-allow-origin"] == "https://console.example.com"
        other = c.options("/api/v1/detect", headers={**preflight, "origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_upload_limit_must_fit_in_a_grpc_message() -> None:
    with pytest.raises(ValueError, match="max_upload_mb"):
        _settings(max_upload_mb=40, max_message_mb=32)


def test_docs_load_their_assets_from_the_gateway_not_a_cdn() -> None:
    with TestClient(create_app(_settings())) as c:
        for page in ("/docs", "/redoc"):
            html = c.get(page).text
            assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
            assert assets, page
            assert not [a for a in assets if "://" in a], f"{page} loads from elsewhere: {assets}"
            for asset in assets:
                assert c.get(asset).status_code == 200, asset
        assert "fonts.googleapis" not in c.get("/redoc").text
    with TestClient(create_app(_settings(production=True, auth_mode="keys", admin_key="s3cret"))) as c:
        assert c.get("/redoc").status_code == 404
        assert c.get("/docs-assets/swagger-ui.css").status_code == 404
