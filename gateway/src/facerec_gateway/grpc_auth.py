"""Public gRPC callers, as the REST routes know them: the API key from metadata `x-api-key`,
its rate limit, its scope and the collections it is bound to."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from facerec.registry.v1 import registry_pb2
from facerec_common.server import Context
from facerec_gateway.security import OPEN, KeyResolver, Principal, RateLimiter
from facerec_gateway.use_cases import FaceService

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
caller: contextvars.ContextVar[Principal] = contextvars.ContextVar("caller")
# Requests that name their collection in `name` rather than `collection`.
_NAMES_COLLECTION = (
    registry_pb2.CreateCollectionRequest,
    registry_pb2.GetCollectionRequest,
    registry_pb2.UpdateCollectionRequest,
    registry_pb2.DeleteCollectionRequest,
)


def guarded(scope: str) -> Callable[[F], F]:
    """Authenticate from metadata `x-api-key`, rate-limit, and check scope and collection binding,
    exactly as the REST routes do. The caller is then available as `caller.get()`."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        async def inner(self: KeyedServicer, request: Any, context: Context) -> Any:
            principal = await self.authenticate(context)
            collection = (
                request.name if isinstance(request, _NAMES_COLLECTION) else getattr(request, "collection", None)
            )
            principal.authorize(scope, collection or None)
            caller.set(principal)
            return await method(self, request, context)

        return cast(F, inner)

    return wrap


class KeyedServicer:
    """What every public servicer has: the use cases, and callers known by their API keys."""

    def __init__(self, faces: FaceService, keys: KeyResolver, limiter: RateLimiter, open_mode: bool) -> None:
        self._faces = faces
        self._registry = faces.backends.registry
        self._cameras = faces.backends.cameras
        self._keys = keys
        self._limiter = limiter
        self._open = open_mode

    async def authenticate(self, context: Context) -> Principal:
        if self._open:
            return OPEN
        key = next((v for k, v in context.invocation_metadata() or () if k == "x-api-key"), None)
        principal = await self._keys.resolve(key if isinstance(key, str) else None)
        self._limiter.take(principal.actor)
        return principal
