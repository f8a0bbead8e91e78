"""Prometheus metrics every service shares: rate, errors and duration of each RPC, calls in
flight, the model served, and the HTTP port a gRPC service exposes them on. The RPCs are
observed by telemetry.ServerTelemetry.

Metric names follow Prometheus conventions (`_total` counters, `_seconds` histograms); every
name starts with `facerec_`. Health checks are not counted: probes would drown the real calls.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

log = logging.getLogger(__name__)

# Seconds, from a cached search (~1 ms) to a large photo on a busy CPU (~10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RPCS = Counter(
    "facerec_grpc_requests", "gRPC calls answered, by service, method and status code.", ["service", "method", "code"]
)
RPC_SECONDS = Histogram(
    "facerec_grpc_request_duration_seconds",
    "Time to answer a gRPC call, by service and method.",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
RPCS_IN_FLIGHT = Gauge("facerec_grpc_requests_in_flight", "gRPC calls being answered now.", ["service", "method"])
_model: Info | None = None


def describe_model(labels: dict[str, str]) -> None:
    """The model this process serves, as `facerec_model_info` (only processes that serve one have it)."""
    global _model
    if _model is None:
        _model = Info("facerec_model", "The model this process serves and how it runs it.")
    _model.info(labels)


class RpcCall:
    """Times one RPC and counts it under the status it ended with (telemetry.ServerTelemetry)."""

    def __init__(self, service: str, method: str) -> None:
        self.labels = (service, method)
        self.started = time.perf_counter()
        RPCS_IN_FLIGHT.labels(*self.labels).inc()

    def done(self, code: str) -> None:
        RPCS_IN_FLIGHT.labels(*self.labels).dec()
        RPC_SECONDS.labels(*self.labels).observe(time.perf_counter() - self.started)
        RPCS.labels(*self.labels, code).inc()


def serve_metrics(host: str, port: int) -> int:
    """Serve /metrics over HTTP on a thread of its own; returns the port (0 picks a free one)."""
    server, _ = start_http_server(port, addr=host)
    bound: int = server.server_port
    log.info("metrics on http://%s:%d/metrics", host, bound)
    return bound
