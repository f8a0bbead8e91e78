"""What follows one client request through every service: its request id (in every log line and
error) and its trace (OpenTelemetry, W3C trace context), carried in gRPC metadata.

Servers get both from `ServerTelemetry` (with the RPC metrics); the gateway's channels send both
with `client_interceptors()`. Traces are recorded only when an exporter is configured
(`configure_tracing`): OTLP with the standard OTEL_EXPORTER_OTLP_ENDPOINT, or a JSON-lines file
with FACEREC_TRACES_FILE; otherwise the tracer is OpenTelemetry's no-op one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

import grpc
from opentelemetry import propagate, trace

from facerec_common import metrics

log = logging.getLogger(__name__)

REQUEST_ID: ContextVar[str | None] = ContextVar("facerec_request_id", default=None)
REQUEST_ID_KEY = "x-request-id"  # HTTP header and gRPC metadata key
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_SKIPPED_SERVICES = ("grpc.health.v1.Health", "grpc.reflection")

tracer = trace.get_tracer("facerec")


def accept_or_make(request_id: str | None) -> str:
    """The caller's id when it is a sane token (letters, digits, ._:-, up to 128), else a new one."""
    if request_id and _VALID_ID.fullmatch(request_id):
        return request_id
    return uuid.uuid4().hex


def outgoing_metadata(metadata: Sequence[tuple[str, str | bytes]] | None = None) -> list[tuple[str, str | bytes]]:
    """`metadata` plus the current request id and trace context."""
    out = list(metadata or ())
    request_id = REQUEST_ID.get()
    if request_id:
        out.append((REQUEST_ID_KEY, request_id))
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    out.extend(carrier.items())
    return out


class RequestIdFilter(logging.Filter):
    """Stamps each log record with the request id (or "-") and the trace id, when there are."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else ""
        return True


def configure_tracing(service: str) -> bool:
    """Record traces if an exporter is configured; returns whether one is."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    path = os.environ.get("FACEREC_TRACES_FILE")
    if not endpoint and not path:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"facerec-{service}"}))
    if endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        log.info("traces exported over OTLP to %s", endpoint)
    if path:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        # One JSON object per line, written as each span ends (for tests and local debugging).
        out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
        exporter = ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        log.info("traces written to %s", path)
    trace.set_tracer_provider(provider)
    return True


# -- server side


def _metadata(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    return {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}


def _code(context: grpc.aio.ServicerContext[Any, Any], default: grpc.StatusCode) -> str:
    code = context.code()
    return code.name if isinstance(code, grpc.StatusCode) else default.name


class _Call:
    """One RPC: its request id and span made current, timed, counted under its final status."""

    def __init__(self, service: str, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        self.context = context
        self.call = metrics.RpcCall(service, method)
        incoming = _metadata(context)
        # The gateway always sends one; a direct caller may not: make one, so its logs still tie up.
        self._request_id = REQUEST_ID.set(accept_or_make(incoming.get(REQUEST_ID_KEY)))
        self._span = tracer.start_as_current_span(
            f"{service.rpartition('.')[2]}/{method}",
            context=propagate.extract(incoming),
            kind=trace.SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": method},
        )
        self.span = self._span.__enter__()

    def done(self, default: grpc.StatusCode) -> None:
        code = _code(self.context, default)
        self.call.done(code)
        self.span.set_attribute("rpc.grpc.status_code", code)
        if code != "OK":
            self.span.set_status(trace.StatusCode.ERROR, code)
        self._span.__exit__(None, None, None)
        # A stream may end in another context than it began (its generator is resumed there).
        with contextlib.suppress(ValueError):
            REQUEST_ID.reset(self._request_id)


class ServerTelemetry(grpc.aio.ServerInterceptor):
    """RED metrics, the caller's request id and a span for every RPC of the server."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        # The handler is grpc's RpcMethodHandler namedtuple: one of its four behaviours is set.
        handler = await continuation(handler_call_details)
        service, _, method = handler_call_details.method.lstrip("/").rpartition("/")
        if handler is None or service.startswith(_SKIPPED_SERVICES):
            return handler
        if handler.unary_unary is not None:
            return handler._replace(unary_unary=_answer(handler.unary_unary, service, method))
        if handler.stream_unary is not None:
            return handler._replace(stream_unary=_answer(handler.stream_unary, service, method))
        if handler.unary_stream is not None:
            return handler._replace(unary_stream=_stream(handler.unary_stream, service, method))
        return handler._replace(stream_stream=_stream(handler.stream_stream, service, method))


def _answer(behavior: Callable[..., Awaitable[Any]], service: str, method: str) -> Callable[..., Awaitable[Any]]:
    async def observed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        call = _Call(service, method, context)
        try:
            reply = await behavior(request, context)
        except BaseException:
            call.done(grpc.StatusCode.UNKNOWN)
            raise
        call.done(grpc.StatusCode.OK)
        return reply

    return observed


def _stream(
    behavior: Callable[..., AsyncIterator[Any]], service: str, method: str
) -> Callable[..., AsyncIterator[Any]]:
    async def observed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        call = _Call(service, method, context)
        try:
            async for item in behavior(request, context):
                yield item
        except BaseException:
            call.done(grpc.StatusCode.UNKNOWN)
            raise
        call.done(grpc.StatusCode.OK)

    return observed


# -- client side


def _with_context(details: grpc.aio.ClientCallDetails, extra: Sequence[tuple[str, str]]) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(
        details.method,
        details.timeout,
        outgoing_metadata([*(details.metadata or ()), *extra]),  # type: ignore[arg-type]
        details.credentials,
        details.wait_for_ready,
    )


class _Interceptor:
    def __init__(self, extra: Sequence[tuple[str, str]]) -> None:
        self._extra = extra


class _UnaryUnary(_Interceptor, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_context(client_call_details, self._extra), request)


class _UnaryStream(_Interceptor, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_context(client_call_details, self._extra), request)


class _StreamUnary(_Interceptor, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await continuation(_with_context(client_call_details, self._extra), request_iterator)


def client_interceptors(metadata: Sequence[tuple[str, str]] = ()) -> list[grpc.aio.ClientInterceptor]:
    """For channels to the services: every call carries the request id, the trace context and
    `metadata` (the service token)."""
    return [_UnaryUnary(metadata), _UnaryStream(metadata), _StreamUnary(metadata)]
