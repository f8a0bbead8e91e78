from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from facerec.registry.v1 import registry_pb2_grpc
from facerec_registry.search.indexes import SearchIndexes
from facerec_registry.settings import RegistrySettings
from facerec_registry.startup import create_server

Stub = registry_pb2_grpc.RegistryServiceStub


@pytest.fixture(scope="session")
def database_url(pg_root) -> str:  # type: ignore[no-untyped-def]
    url: str = pg_root.ensure_database("registry_tests")
    return url


@pytest.fixture(scope="session")
async def registry_stub(database_url: str) -> AsyncIterator[Stub]:
    """A real RegistryService on a loopback port, on a real PostgreSQL + pgvector."""
    settings = RegistrySettings(port=0, DATABASE_URL=database_url, page_size_max=5)
    server, port, _, resources = await create_server(settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield Stub(channel)
    await server.stop(None)
    await resources.close()


@pytest.fixture
def collection() -> str:
    """A fresh collection name per test: tests never see each other's faces."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
async def replicas(database_url: str) -> AsyncIterator[tuple[Stub, Stub]]:
    """Two registry replicas sharing one database, each with its own in-memory index."""
    servers, channels = [], []
    for _ in range(2):
        settings = RegistrySettings(port=0, DATABASE_URL=database_url, index_min_faces=1000, index_sync_interval_s=0.2)
        server, port, _, resources = await create_server(settings)
        servers.append((server, resources))
        channels.append(grpc.aio.insecure_channel(f"127.0.0.1:{port}"))
    yield Stub(channels[0]), Stub(channels[1])
    for channel in channels:
        await channel.close()
    for server, resources in servers:
        await server.stop(None)
        await resources.close()


@pytest.fixture
async def lone_replica(database_url: str) -> AsyncIterator[tuple[Stub, SearchIndexes]]:
    """One replica with no background sync: whatever its indexes hold, a call put there."""
    settings = RegistrySettings(port=0, DATABASE_URL=database_url, index_min_faces=1000, index_sync_interval_s=3600)
    server, port, _, resources = await create_server(settings)
    assert resources.indexes is not None
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield Stub(channel), resources.indexes
    finally:
        await server.stop(None)
        await resources.close()
