"""What the detector counts for Prometheus, beside the RPC metrics every service has."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from facerec_common.metrics import LATENCY_BUCKETS

PHOTOS = Counter("facerec_detector_photos", "Photos decoded and searched for faces.")
FACES = Counter("facerec_detector_faces", "Faces found (and aligned) in those photos.")
DETECT_SECONDS = Histogram(
    "facerec_detector_detect_duration_seconds",
    "Time MTCNN takes on one photo (after decoding, before alignment).",
    buckets=LATENCY_BUCKETS,
)
PIXELS_IN_FLIGHT = Gauge(
    "facerec_detector_pixels_in_flight", "Full-size pixels of the images being decoded and detected now."
)
REFUSED = Counter("facerec_detector_refused_calls", "Images refused because the pixel budget stayed full (OVERLOADED).")
