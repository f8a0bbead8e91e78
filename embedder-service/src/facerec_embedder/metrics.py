"""What the embedder counts for Prometheus, beside the RPC metrics every service has."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FACES = Counter("facerec_embedder_faces", "Faces turned into embeddings.")
BATCH_FACES = Histogram(
    "facerec_embedder_batch_faces",
    "Faces per model run (calls gathered by the batcher, or one call's crops).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
QUEUE_WAIT_SECONDS = Histogram(
    "facerec_embedder_queue_wait_seconds",
    "Time a call waits in the batcher's queue before its model run starts.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
QUEUED_FACES = Gauge("facerec_embedder_queued_faces", "Faces waiting in the batcher's queue now.")
REFUSED = Counter("facerec_embedder_refused_calls", "Calls refused because the queue was full (OVERLOADED).")
DROPPED = Counter("facerec_embedder_dropped_calls", "Queued calls dropped because their caller had gone.")
