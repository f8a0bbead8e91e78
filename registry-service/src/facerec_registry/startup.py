"""The registry's start: the server, the database, the search indexes and matching, wired in the
order that lets a replica serve whatever starts first."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc, registry_pb2, registry_pb2_grpc
from facerec_common.server import new_server, set_serving
from facerec_registry.camera_server import CameraRegistryServicer, purge_events_forever
from facerec_registry.matching import Matching, ThresholdPolicy
from facerec_registry.search.indexes import SearchIndexes, SyncSettings
from facerec_registry.search.vector_index import IndexSettings
from facerec_registry.server import RegistryServicer
from facerec_registry.settings import RegistrySettings
from facerec_registry.store.connection import Database
from facerec_registry.store.migrate import migrate_when_reachable

log = logging.getLogger(__name__)

SERVICE_NAME = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name
CAMERA_SERVICE_NAME = cameras_pb2.DESCRIPTOR.services_by_name["CameraRegistryService"].full_name


@dataclass
class Resources:
    """What the server holds besides itself, released after it stops."""

    db: Database
    indexes: SearchIndexes | None
    tasks: list[asyncio.Task[None]]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.indexes is not None:
            await self.indexes.close()
        await self.db.close()


def search_indexes(db: Database, settings: RegistrySettings) -> SearchIndexes | None:
    if not settings.search_index:
        return None
    index = IndexSettings(
        factory=settings.index_factory,
        min_faces=settings.index_min_faces,
        candidates=settings.index_candidates,
        threads=settings.index_threads,
    )
    sync = SyncSettings(interval_s=settings.index_sync_interval_s, tombstone_retention_s=settings.tombstone_retention_s)
    return SearchIndexes(db, index, sync)


async def create_server(
    settings: RegistrySettings,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Resources]:
    """Listen at once, migrate once the database answers, then report SERVING.

    The port is bound first and health says NOT_SERVING while the database is unreachable
    (started later, restarting): the replica waits and retries rather than exiting, so start
    order does not matter. Search indexes load in the background: until a collection's is
    ready, its searches scan in SQL (exact), so the replica serves at once.
    """
    server, port, health_servicer = await new_server(settings)
    db = Database(settings.database_url, settings.pool_size)
    indexes = search_indexes(db, settings)
    thresholds = ThresholdPolicy(settings.match_threshold, settings.fallback_threshold, settings.target_fpir)
    servicer = RegistryServicer(db, settings, indexes, Matching(db, indexes, thresholds))
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(servicer, server)
    cameras_pb2_grpc.add_CameraRegistryServiceServicer_to_server(CameraRegistryServicer(db, settings), server)
    await server.start()
    await migrate_when_reachable(settings.database_url, settings.database_retry_max_s)
    await set_serving(health_servicer, [SERVICE_NAME, CAMERA_SERVICE_NAME])
    tasks = [asyncio.create_task(purge_events_forever(db, settings), name="purge camera events")]
    if indexes is not None:
        indexes.start()
        await indexes.load_all()
    log.info("registry serving on %s:%d", settings.host, port)
    return server, port, health_servicer, Resources(db, indexes, tasks)
