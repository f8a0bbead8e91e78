from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from facerec.registry.v1 import registry_pb2_grpc
from facerec_registry.server import create_server
from facerec_registry.settings import RegistrySettings


@pytest.fixture(scope="session")
def database_url(pg_root) -> str:  # type: ignore[no-untyped-def]
    url: str = pg_root.ensure_database("registry_tests")
    return url


@pytest.fixture(scope="session")
async def registry_stub(database_url: str) -> AsyncIterator[registry_pb2_grpc.RegistryServiceStub]:
    """A real RegistryService on a loopback port, on a real PostgreSQL + pgvector."""
    settings = RegistrySettings(port=0, DATABASE_URL=database_url, page_size_max=5)
    server, port, _, resources = await create_server(settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield registry_pb2_grpc.RegistryServiceStub(channel)
    await server.stop(None)
    await resources.close()


@pytest.fixture
def collection() -> str:
    """A fresh collection name per test: tests never see each other's faces."""
    return f"test-{uuid.uuid4().hex[:12]}"
