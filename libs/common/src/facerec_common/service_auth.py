"""A shared service token on internal gRPC calls: the gateway sends it, the services refuse any
call without it (UNAUTHENTICATED) once FACEREC_SERVICE_TOKEN is set. The standard health
service stays open: orchestrators' gRPC probes cannot send metadata and learn nothing from it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

METADATA_KEY = "authorization"
OPEN_SERVICES = ("grpc.health.v1.Health",)


def token_metadata(token: str) -> tuple[str, str]:
    return (METADATA_KEY, f"Bearer {token}")


class RequireServiceToken(grpc.aio.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        service = handler_call_details.method.lstrip("/").rpartition("/")[0]
        if handler is None or service in OPEN_SERVICES or self._allowed(handler_call_details):
            return handler
        return _refusing(handler)

    def _allowed(self, details: grpc.HandlerCallDetails) -> bool:
        sent = dict(details.invocation_metadata or ()).get(METADATA_KEY, "")
        given = sent.encode() if isinstance(sent, str) else sent
        return hmac.compare_digest(given, self._expected)


async def _refuse(context: grpc.aio.ServicerContext[Any, Any]) -> None:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, "This service needs the service token.")


def _refusing(handler: Any) -> Any:
    """The same kind of handler as `handler` (unary or streaming), refusing the call."""

    async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await _refuse(context)

    async def streaming(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await _refuse(context)
        yield  # pragma: no cover

    if handler.unary_unary is not None:
        return handler._replace(unary_unary=unary)
    if handler.stream_unary is not None:
        return handler._replace(stream_unary=unary)
    if handler.unary_stream is not None:
        return handler._replace(unary_stream=streaming)
    return handler._replace(stream_stream=streaming)
