"""What the stream service counts for Prometheus, by camera name (never its URL: credentials)."""

from __future__ import annotations

import contextlib

from prometheus_client import Counter, Gauge

FRAMES_ANALYSED = Counter("facerec_stream_frames_analysed", "Frames detected, tracked and identified.", ["camera"])
EMBEDDINGS = Counter("facerec_stream_embeddings", "Faces embedded to identify a track.", ["camera"])
EVENTS = Counter("facerec_stream_events", "Events opened (one per person seen).", ["camera", "known"])
LAG_SECONDS = Gauge("facerec_stream_lag_seconds", "From a frame read to its analysis, last frame.", ["camera"])
LIVE = Gauge("facerec_stream_camera_live", "1 while the camera's source delivers frames.", ["camera"])
DELIVERIES = Counter(
    "facerec_stream_deliveries",
    "Event deliveries tried, by sink and outcome (delivered, failed, dead).",
    ["sink", "outcome"],
)


def forget_camera(camera: str) -> None:
    """A camera that moved to another replica: its gauges go, so no two replicas show it live."""
    for gauge in (LAG_SECONDS, LIVE):
        with contextlib.suppress(KeyError):
            gauge.remove(camera)
