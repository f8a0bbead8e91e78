from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import State

from facerec_gateway.backends import Backends
from facerec_gateway.security import OPEN, KeyResolver, Principal, RateLimiter
from facerec_gateway.settings import GatewaySettings
from facerec_gateway.use_cases import FaceService


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


async def get_faces(request: Request) -> FaceService:
    faces: FaceService = request.app.state.faces
    return faces


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
BackendsDep = Annotated[Backends, Depends(get_backends)]
FacesDep = Annotated[FaceService, Depends(get_faces)]


async def authenticate(state: State, api_key: str | None) -> Principal:
    """The caller of `api_key`, counted against its key's rate limit (keys mode)."""
    settings: GatewaySettings = state.settings
    if settings.auth_mode == "open":
        return OPEN  # local development: no identity, so no per-key limit either
    keys: KeyResolver = state.keys
    principal = await keys.resolve(api_key)
    limiter: RateLimiter = state.limiter
    limiter.take(principal.actor)
    return principal


async def get_principal(request: Request) -> Principal:
    """The caller, authenticated and counted against its key's rate limit (keys mode)."""
    return await authenticate(request.app.state, request.headers.get("x-api-key"))


def _require(scope: str, seed: bool = False) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if seed:
            collection: str | None = request.app.state.settings.default_collection
        else:
            collection = request.path_params.get("collection")
        principal.authorize(scope, collection)
        return principal

    return dependency


Reader = Annotated[Principal, Depends(_require("read"))]
Writer = Annotated[Principal, Depends(_require("write"))]
Admin = Annotated[Principal, Depends(_require("admin"))]
SeedReader = Annotated[Principal, Depends(_require("read", seed=True))]
SeedWriter = Annotated[Principal, Depends(_require("write", seed=True))]
