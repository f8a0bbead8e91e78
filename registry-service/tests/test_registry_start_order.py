"""The registry may start before PostgreSQL: it listens, reports NOT_SERVING and retries until the
database answers, then migrates and serves (compose and Kubernetes start services in any order)."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_registry.settings import RegistrySettings
from facerec_registry.startup import create_server


def _late_database(url: str, folder: Path) -> tuple[str, Callable[[], None]]:
    """The same database through a socket folder that is empty for now (PostgreSQL "not started
    yet"), and what brings it up (a link to the real socket)."""
    socket_dir = re.search(r"host=([^&]+)", url)
    assert socket_dir is not None, url
    real_socket = next(Path(socket_dir.group(1)).glob(".s.PGSQL.*"))
    folder.mkdir()
    return url.replace(socket_dir.group(1), str(folder)), lambda: (folder / real_socket.name).symlink_to(real_socket)


async def test_serves_once_a_late_database_answers(pg_root, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    late_url, database_starts = _late_database(pg_root.ensure_database("registry_start_order"), tmp_path / "late")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = RegistrySettings(port=port, DATABASE_URL=late_url, database_retry_max_s=0.5)
    starting = asyncio.create_task(create_server(settings))
    await asyncio.sleep(1.5)
    assert not starting.done(), "create_server returned without a database"
    # It listens meanwhile and says it is not ready (a refused connection would read as a crash).
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        waiting = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert waiting.status == health_pb2.HealthCheckResponse.NOT_SERVING
    database_starts()
    server, bound, _, resources = await asyncio.wait_for(starting, timeout=60)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{bound}") as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            stub = registry_pb2_grpc.RegistryServiceStub(channel)
            await stub.ListCollections(registry_pb2.ListCollectionsRequest(), timeout=10)
    finally:
        await server.stop(None)
        await resources.close()
