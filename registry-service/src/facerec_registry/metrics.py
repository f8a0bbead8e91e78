"""What the registry counts for Prometheus, beside the RPC metrics every service has."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from prometheus_client import Gauge, Histogram

from facerec_common.metrics import LATENCY_BUCKETS

SEARCH_SECONDS = Histogram(
    "facerec_registry_search_duration_seconds",
    "Time to search a collection, by method: the in-memory index, or an exact scan in SQL.",
    ["method"],
    buckets=LATENCY_BUCKETS,
)
INDEX_READ_QUERIES = Histogram(
    "facerec_registry_index_read_queries",
    "Face queries answered by one read of a compressed index (searches that arrive during a read share the next).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
COLLECTION_FACES = Gauge(
    "facerec_registry_collection_faces", "Faces in a collection, as of its last search.", ["collection"]
)
DB_CONNECTIONS_IN_USE = Gauge(
    "facerec_registry_db_connections_in_use", "Database connections checked out of a pool.", ["pool"]
)
DB_POOL_SIZE = Gauge("facerec_registry_db_pool_size", "Connections a pool keeps open.", ["pool"])


def forget_collection(name: str) -> None:
    """A deleted collection stops reporting its size (other replicas forget it at their restart)."""
    with contextlib.suppress(KeyError):
        COLLECTION_FACES.remove(name)


def watch_pool(name: str, in_use: Callable[[], float], size: Callable[[], float]) -> None:
    """Read a pool's use at each scrape (no bookkeeping on the query path)."""
    DB_CONNECTIONS_IN_USE.labels(name).set_function(in_use)
    DB_POOL_SIZE.labels(name).set_function(size)
