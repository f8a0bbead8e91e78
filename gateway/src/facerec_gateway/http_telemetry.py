"""Each REST request's request id (accepted from X-Request-ID or made, returned in the answer),
its trace span, and RED metrics by route template (never the raw path: ids would explode the
series); and the gateway's /metrics endpoint, which also carries its public gRPC API's metrics."""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import APIRouter, Header, Response
from opentelemetry import propagate, trace
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec_common.errors import NotFound, Unauthenticated
from facerec_common.metrics import LATENCY_BUCKETS
from facerec_common.telemetry import REQUEST_ID, REQUEST_ID_KEY, accept_or_make, tracer
from facerec_gateway.dependencies import SettingsDep

REQUESTS = Counter(
    "facerec_http_requests", "REST requests answered, by method, route and status.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "facerec_http_request_duration_seconds",
    "Time to answer a REST request, by method and route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge("facerec_http_requests_in_flight", "REST requests being answered now.")

# Scrapes and probes are not traffic.
_NOT_COUNTED = frozenset({"/metrics", "/healthz", "/readyz"})

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus exposition of this gateway process; in production only for the metrics token."""
    if settings.production:
        token = settings.metrics_token
        if token is None:
            raise NotFound("Not Found")
        expected = f"Bearer {token.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode("utf-8", "replace"), expected):
            raise Unauthenticated("GET /metrics needs the metrics token: Authorization: Bearer <token>.")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


# Where a route answered before FastAPI's routing (search_fast_path) names its template.
ROUTE_KEY = "facerec.route"


def _route_template(scope: Scope) -> str:
    """The matched route's full path template; unmatched paths share one label.

    FastAPI leaves the route in the scope, with the path relative to its router; routers it
    includes (0.16x) record the full template in their own context, read first.
    """
    if ROUTE_KEY in scope:
        return str(scope[ROUTE_KEY])
    effective = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) else "unmatched"


class HttpTelemetry:
    """Pure ASGI (no BaseHTTPMiddleware): streamed uploads and answers pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = accept_or_make(headers.get(REQUEST_ID_KEY))
        token = REQUEST_ID.set(request_id)
        counted = scope["path"] not in _NOT_COUNTED
        status = 500  # what the client sees if the app raises before answering
        started = time.perf_counter()
        if counted:
            IN_FLIGHT.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        with tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}",
            context=propagate.extract(headers),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "facerec.request_id": request_id},
        ) as span:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = _route_template(scope)
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if counted:
                    IN_FLIGHT.dec()
                    REQUEST_SECONDS.labels(scope["method"], route).observe(time.perf_counter() - started)
                    REQUESTS.labels(scope["method"], route, str(status)).inc()
                REQUEST_ID.reset(token)
