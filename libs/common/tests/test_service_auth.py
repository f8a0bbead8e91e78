"""The service token on a real gRPC server: refused without it, served with it, health open."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from facerec_common.server import new_server, set_serving
from facerec_common.service_auth import token_metadata
from facerec_common.settings import GrpcServiceSettings
from facerec_common.telemetry import client_interceptors

SERVICE = "facerec.test.Echo"


def _echo_handler() -> grpc.GenericRpcHandler:
    async def echo(request: bytes, context: Any) -> bytes:
        return request

    return grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(echo)})


async def _call(port: int, metadata: list[tuple[str, str]]) -> bytes:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=client_interceptors(metadata)) as channel:
        echo = channel.unary_unary(f"/{SERVICE}/Echo")
        reply: bytes = await echo(b"hi", timeout=5)
        return reply


@pytest.fixture
async def guarded() -> Any:
    server, port, health = await new_server(GrpcServiceSettings(port=0, FACEREC_SERVICE_TOKEN="s3cret"))
    server.add_generic_rpc_handlers([_echo_handler()])
    await server.start()
    await set_serving(health, [])
    yield port
    await server.stop(None)


async def test_calls_without_the_token_are_refused(guarded: int) -> None:
    for metadata in ([], [token_metadata("wrong")], [("authorization", "s3cret")]):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _call(guarded, metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_calls_with_the_token_are_served(guarded: int) -> None:
    assert await _call(guarded, [token_metadata("s3cret")]) == b"hi"


async def test_health_stays_open_for_probes(guarded: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_no_token_set_means_no_check() -> None:
    server, port, _ = await new_server(GrpcServiceSettings(port=0))
    server.add_generic_rpc_handlers([_echo_handler()])
    await server.start()
    try:
        assert await _call(port, []) == b"hi"
    finally:
        await server.stop(None)
