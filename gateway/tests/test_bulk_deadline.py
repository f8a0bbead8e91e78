"""Deleting a collection gets the bulk deadline, not a single call's: its work grows with the
collection (tens of seconds at a million faces). One seam faked: a registry that takes longer
than the per-call deadline to delete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from fastapi.testclient import TestClient

from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_gateway.app import create_app
from facerec_gateway.settings import GatewaySettings

PER_CALL_S = 0.3
DELETE_TAKES_S = 1.0


class SlowDeletes(registry_pb2_grpc.RegistryServiceServicer):
    def DeleteCollection(
        self, request: registry_pb2.DeleteCollectionRequest, context: grpc.ServicerContext
    ) -> registry_pb2.DeleteCollectionResponse:
        time.sleep(DELETE_TAKES_S)
        return registry_pb2.DeleteCollectionResponse()

    def GetCollection(
        self, request: registry_pb2.GetCollectionRequest, context: grpc.ServicerContext
    ) -> registry_pb2.Collection:
        time.sleep(DELETE_TAKES_S)
        return registry_pb2.Collection(name=request.name)


@pytest.fixture
def registry_address() -> Iterator[str]:
    server = grpc.server(ThreadPoolExecutor(2))
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(SlowDeletes(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


def test_a_collection_delete_outlasts_the_per_call_deadline(registry_address: str) -> None:
    settings = GatewaySettings(
        registry_address=registry_address,
        registry_timeout_s=PER_CALL_S,
        grpc_port=-1,  # type: ignore[call-arg]
    )
    with TestClient(create_app(settings)) as client:
        # An ordinary call is held to the per-call deadline ...
        slow = client.get("/api/v1/collections/big")
        assert slow.status_code == 503, slow.text
        assert slow.json()["error"]["code"] == "SERVICE_TIMEOUT"
        # ... a delete, whose work grows with the collection, is not.
        assert client.delete("/api/v1/collections/big").status_code == 204
