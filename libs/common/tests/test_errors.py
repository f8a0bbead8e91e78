"""Domain errors cross a real gRPC hop with their code, status and message intact."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from facerec_common import errors
from facerec_common.server import new_server, translate_errors
from facerec_common.settings import GrpcServiceSettings


class _Raiser(health_pb2_grpc.HealthServicer):
    """Borrows the Health contract so the test needs no extra proto."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    @translate_errors
    async def Check(self, request: Any, context: Any) -> health_pb2.HealthCheckResponse:
        raise self.exc


async def _call_raising(exc: Exception) -> grpc.aio.AioRpcError:
    return await _failed_call(_Raiser(exc))


async def _failed_call(servicer: health_pb2_grpc.HealthServicer) -> grpc.aio.AioRpcError:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            return caught.value
    finally:
        await server.stop(None)


async def test_domain_error_round_trips() -> None:
    rpc_error = await _call_raising(errors.FaceNotFound("No face with id x.", face_id="x"))
    assert rpc_error.code() == grpc.StatusCode.NOT_FOUND
    rebuilt = errors.from_rpc_error(rpc_error)
    assert type(rebuilt) is errors.FaceNotFound
    assert rebuilt.message == "No face with id x."
    assert rebuilt.metadata == {"face_id": "x"}


async def test_unexpected_exception_becomes_bare_internal() -> None:
    rpc_error = await _call_raising(RuntimeError("secret detail"))
    assert rpc_error.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (rpc_error.details() or "")
    assert type(errors.from_rpc_error(rpc_error)) is errors.FacerecError


async def test_unreachable_peer_is_service_unavailable() -> None:
    async with grpc.aio.insecure_channel("127.0.0.1:1") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert type(errors.from_rpc_error(caught.value)) is errors.ServiceUnavailable


def test_every_code_is_unique() -> None:
    codes = [cls.code for cls in errors.ERRORS_BY_CODE.values()]
    assert len(codes) == len(set(codes))


async def test_new_server_health_starts_not_serving() -> None:
    server, port, _ = await new_server(GrpcServiceSettings(port=0))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        await server.stop(None)


async def test_an_error_echoing_a_huge_input_crosses_bounded() -> None:
    # Ids of 10^5 characters used to overflow gRPC's trailing metadata; the peer then saw a bare 500.
    huge = "7" * 100_000
    rpc_error = await _call_raising(errors.FaceNotFound(f"No face with id {huge}.", face_id=huge))
    rebuilt = errors.from_rpc_error(rpc_error)
    assert type(rebuilt) is errors.FaceNotFound
    assert rebuilt.message.startswith("No face with id 777")
    assert len(rebuilt.message) <= errors.MAX_MESSAGE_CHARS
    assert len(rebuilt.metadata["face_id"]) <= errors.MAX_DETAIL_CHARS


class _Mismatched(health_pb2_grpc.HealthServicer):
    """Answers UNAVAILABLE with status details that claim another code, as a broken peer might."""

    async def Check(self, request: Any, context: Any) -> health_pb2.HealthCheckResponse:
        details = status_pb2.Status(code=grpc.StatusCode.INTERNAL.value[0], message="other").SerializeToString()
        await context.abort(
            grpc.StatusCode.UNAVAILABLE, "busy", trailing_metadata=(("grpc-status-details-bin", details),)
        )
        raise AssertionError("abort returned")


async def test_status_details_that_do_not_match_are_classified_not_raised() -> None:
    failed = await _failed_call(_Mismatched())
    with pytest.raises(ValueError, match="doesn't match"):
        rpc_status.from_call(failed)  # what the gateway used to let through as a 500
    assert type(errors.from_rpc_error(failed)) is errors.ServiceUnavailable  # by its code alone
