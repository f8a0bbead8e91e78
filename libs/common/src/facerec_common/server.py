"""gRPC server plumbing shared by the services: build, health, error translation, graceful stop."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from facerec_common.errors import FacerecError, to_grpc_status
from facerec_common.metrics import serve_metrics
from facerec_common.service_auth import RequireServiceToken
from facerec_common.settings import GrpcServiceSettings
from facerec_common.telemetry import ServerTelemetry

log = logging.getLogger(__name__)

# What servicer methods receive; requests and replies are typed by each method.
Context = grpc.aio.ServicerContext[Any, Any]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S")


def message_options(max_message_mb: int) -> list[tuple[str, int]]:
    size = max_message_mb * 1024 * 1024
    return [("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]


async def new_server(settings: GrpcServiceSettings) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """An aio server bound to settings.host:port with the standard health service.

    Health starts NOT_SERVING (grpc's servicer says SERVING for "" by default):
    the caller flips it once its models or database are ready.
    """
    # A gRPC client resolves a name once per connection: without an age limit, replicas added
    # later (compose --scale, a Kubernetes scale-up) would get no traffic from running clients.
    # No grace limit: a long call (a collection import) finishes on its old connection.
    options = [
        *message_options(settings.max_message_mb),
        ("grpc.max_connection_age_ms", round(settings.max_connection_age_s * 1000)),
    ]
    interceptors: list[grpc.aio.ServerInterceptor] = [ServerTelemetry()]
    if settings.service_token is not None:
        interceptors.insert(0, RequireServiceToken(settings.service_token.get_secret_value()))
    server = grpc.aio.server(options=options, interceptors=interceptors)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    if port == 0:
        raise RuntimeError(f"cannot bind {settings.host}:{settings.port}")
    await set_not_serving(health_servicer, [])
    return server, port, health_servicer


def start_metrics(settings: GrpcServiceSettings) -> None:
    """The process's /metrics endpoint, where its settings ask for one."""
    if settings.metrics_port >= 0:
        serve_metrics(settings.host, settings.metrics_port)


async def set_serving(health_servicer: health.aio.HealthServicer, service_names: list[str]) -> None:
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)


async def set_not_serving(health_servicer: health.aio.HealthServicer, service_names: list[str]) -> None:
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)


def translate_errors(
    method: Callable[Concatenate[_S, Any, grpc.aio.ServicerContext[Any, Any], _P], Awaitable[_R]],
) -> Callable[Concatenate[_S, Any, grpc.aio.ServicerContext[Any, Any], _P], Awaitable[_R]]:
    """Send FacerecError as its status + ErrorInfo; anything else as a bare INTERNAL, logged here."""

    @functools.wraps(method)  # type: ignore[arg-type]
    async def wrapper(
        self: _S, request: Any, context: grpc.aio.ServicerContext[Any, Any], *args: _P.args, **kwargs: _P.kwargs
    ) -> _R:
        try:
            return await method(self, request, context, *args, **kwargs)
        except FacerecError as exc:
            await context.abort_with_status(to_grpc_status(exc))
        except Exception:
            log.exception("unexpected error in %s", method.__qualname__)
            await context.abort_with_status(to_grpc_status(FacerecError()))
        raise AssertionError("abort_with_status returned")  # pragma: no cover

    return wrapper  # type: ignore[return-value]


def translate_stream_errors(
    method: Callable[..., AsyncIterator[_R]],
) -> Callable[..., AsyncIterator[_R]]:
    """`translate_errors` for server-streaming methods: an error ends the stream with its status."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[_R]:
        try:
            async for item in method(self, request, context):
                yield item
        except FacerecError as exc:
            await context.abort_with_status(to_grpc_status(exc))
        except Exception:
            log.exception("unexpected error in %s", method.__qualname__)
            await context.abort_with_status(to_grpc_status(FacerecError()))

    return wrapper


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a service's main coroutine, on uvloop where it is installed (as uvicorn runs the
    gateway): its loop costs less per gRPC call than asyncio's own."""
    try:
        import uvloop
    except ImportError:  # not built for every platform
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def serve_until_signalled(
    server: grpc.aio.Server,
    health_servicer: health.aio.HealthServicer,
    grace_s: float,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT, then report NOT_SERVING, drain in-flight calls and stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping: draining in-flight calls for up to %.1fs", grace_s)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace_s)
    if on_stop is not None:
        await on_stop()
    log.info("stopped")
