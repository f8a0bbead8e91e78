"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from facerec_gateway import http_telemetry
from facerec_gateway.backends import Backends
from facerec_gateway.docs import install_docs
from facerec_gateway.errors import install_error_handlers
from facerec_gateway.grpc_api import start_public_grpc
from facerec_gateway.http_telemetry import HttpTelemetry
from facerec_gateway.limits import MAX_FILES_PER_REQUEST, MULTIPART_OVERHEAD, BodySizeLimit
from facerec_gateway.routes import health, seed
from facerec_gateway.security import KeyResolver, RateLimiter
from facerec_gateway.settings import GatewaySettings
from facerec_gateway.upload_budget import UploadBudget
from facerec_gateway.use_cases import FaceService
from facerec_gateway.v1.router import router as v1_router
from facerec_gateway.v1.search_fast_path import SearchFastPath

GRPC_GRACE_S = 10.0
CONSOLE = Path(__file__).parent / "console"
log = logging.getLogger(__name__)

DESCRIPTION = """Face recognition backend: enrol people from photos and recognise them again.

Errors are JSON: `{"detail": "...", "error": {"code": "NO_FACE", "message": "..."}}`.
"""


def create_app(settings: GatewaySettings, backends: Backends | None = None) -> FastAPI:
    """The gateway's app; `backends`: its three services already connected (the unit tier's
    fakes), else it connects to the addresses in `settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal backends
        backends = backends or Backends.connect(settings)
        faces = FaceService(backends)
        app.state.backends = backends
        app.state.faces = faces
        admin_key = settings.admin_key.get_secret_value() if settings.admin_key else None
        app.state.keys = KeyResolver(
            lambda request: faces.registry(backends.registry.GetApiKeyByHash, request), admin_key, settings.key_cache_s
        )
        app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        if settings.auth_mode == "open":
            log.warning(
                "API keys are OFF (FACEREC_GATEWAY_AUTH_MODE=open): anyone who can reach the port has admin rights"
            )
        grpc_server = None
        if settings.grpc_port >= 0:
            grpc_server, app.state.grpc_port, _ = await start_public_grpc(
                settings, faces, app.state.keys, app.state.limiter
            )
        try:
            yield
        finally:
            if grpc_server is not None:
                await grpc_server.stop(GRPC_GRACE_S)
            await backends.close()

    docs = not settings.production
    app = FastAPI(
        title="facerec",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served below from packaged assets: FastAPI's own pages load them from a public CDN,
        # blank on an offline site.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        install_docs(app)
    app.state.settings = settings
    install_error_handlers(app)
    # Innermost: the search route's well-formed requests, answered before FastAPI's routing.
    app.add_middleware(SearchFastPath)
    # Inside the size limit: a body refused for its length never waits for room.
    app.add_middleware(
        UploadBudget,
        capacity_bytes=int(settings.upload_budget_mb * 1024 * 1024),
        wait_s=settings.upload_budget_wait_s,
        largest_body=MAX_FILES_PER_REQUEST * settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes)
    if settings.cors_origins:
        # Closed unless configured: browsers on other origins cannot call the API by default.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["content-type", "x-api-key", "x-request-id"],
            max_age=600,
        )
    app.include_router(v1_router)  # matched first: it carries the traffic
    app.include_router(seed.router)
    app.include_router(health.router)
    app.include_router(http_telemetry.router)
    if settings.console_enabled:
        # Static files only: the console calls the public REST API like any other client.
        app.mount("/console", StaticFiles(directory=CONSOLE, html=True), name="console")
    # Outermost: the request id, span and timing cover everything below, the body limit's 413s too.
    app.add_middleware(HttpTelemetry)
    return app
