"""RPC metrics: every call counted under the status it ended with, timed, health checks left out,
and served over HTTP for Prometheus."""

from __future__ import annotations

import urllib.request
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from facerec_common.metrics import serve_metrics
from facerec_common.server import new_server
from facerec_common.settings import GrpcServiceSettings


async def _say(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    if request == b"missing":
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    return request


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_calls_are_counted_by_status_and_timed() -> None:
    server, port, _ = await new_server(GrpcServiceSettings(port=0))
    handler = grpc.method_handlers_generic_handler("test.Echo", {"Say": grpc.unary_unary_rpc_method_handler(_say)})
    server.add_generic_rpc_handlers((handler,))
    await server.start()
    ok = {"service": "test.Echo", "method": "Say", "code": "OK"}
    missing = {**ok, "code": "NOT_FOUND"}
    before = (
        _value("facerec_grpc_requests_total", **ok),
        _value("facerec_grpc_requests_total", **missing),
        _value("facerec_grpc_request_duration_seconds_count", service="test.Echo", method="Say"),
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            say = channel.unary_unary("/test.Echo/Say")
            assert await say(b"hello", timeout=5) == b"hello"
            assert await say(b"again", timeout=5) == b"again"
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await say(b"missing", timeout=5)
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    finally:
        await server.stop(None)
    assert _value("facerec_grpc_requests_total", **ok) - before[0] == 2
    assert _value("facerec_grpc_requests_total", **missing) - before[1] == 1
    assert _value("facerec_grpc_request_duration_seconds_count", service="test.Echo", method="Say") - before[2] == 3
    assert _value("facerec_grpc_requests_in_flight", service="test.Echo", method="Say") == 0
    health = {"service": "grpc.health.v1.Health", "method": "Check", "code": "OK"}
    assert _value("facerec_grpc_requests_total", **health) == 0


def test_metrics_are_served_over_http() -> None:
    port = serve_metrics("127.0.0.1", 0)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    assert "# TYPE facerec_grpc_requests_total counter" in text
    assert "# TYPE facerec_grpc_request_duration_seconds histogram" in text


def test_log_lines_are_json_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import logging

    from facerec_common.logs import configure_logging
    from facerec_common.telemetry import REQUEST_ID

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("test", "INFO")  # its handler writes to this test's captured stderr
    token = REQUEST_ID.set("req-7")
    try:
        logging.getLogger("facerec.test").warning("enrolled %d faces", 3)
    finally:
        REQUEST_ID.reset(token)
    try:
        logging.getLogger("facerec.test").warning("outside a request")
    finally:
        # Later log lines (e.g. at exit) must not go to a capture stream closed by then.
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "enrolled 3 faces"
    assert (lines[0]["request_id"], lines[0]["service"], lines[0]["level"]) == ("req-7", "test", "WARNING")
    assert lines[1]["request_id"] == "-"
