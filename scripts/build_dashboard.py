"""Write deploy/grafana/facerec.json: the Grafana dashboard for the product's metrics.

    .venv/bin/python scripts/build_dashboard.py

Kept as code so each panel's query is reviewed with the metric it reads; the JSON is committed
(import it in Grafana: Dashboards > Import, pick the Prometheus data source).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "deploy" / "grafana" / "facerec.json"

# (title, unit, [(query, legend)])
PANELS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "REST requests/s by route and status",
        "reqps",
        [("sum by (route, status) (rate(facerec_http_requests_total[$__rate_interval]))", "{{route}} {{status}}")],
    ),
    (
        "REST p50 / p95 latency by route",
        "s",
        [
            (
                "histogram_quantile(0.95, sum by (le, route) "
                "(rate(facerec_http_request_duration_seconds_bucket[$__rate_interval])))",
                "p95 {{route}}",
            ),
            (
                "histogram_quantile(0.5, sum by (le, route) "
                "(rate(facerec_http_request_duration_seconds_bucket[$__rate_interval])))",
                "p50 {{route}}",
            ),
        ],
    ),
    (
        "REST errors/s (4xx, 5xx)",
        "reqps",
        [('sum by (status) (rate(facerec_http_requests_total{status=~"4..|5.."}[$__rate_interval]))', "{{status}}")],
    ),
    (
        "gRPC calls/s by service, method and code",
        "reqps",
        [
            (
                "sum by (job, method, code) (rate(facerec_grpc_requests_total[$__rate_interval]))",
                "{{job}} {{method}} {{code}}",
            )
        ],
    ),
    (
        "gRPC p95 latency by method",
        "s",
        [
            (
                "histogram_quantile(0.95, sum by (le, job, method) "
                "(rate(facerec_grpc_request_duration_seconds_bucket[$__rate_interval])))",
                "{{job}} {{method}}",
            )
        ],
    ),
    (
        "In flight",
        "short",
        [
            ("sum(facerec_http_requests_in_flight)", "REST"),
            ("sum by (job) (facerec_grpc_requests_in_flight)", "gRPC {{job}}"),
        ],
    ),
    (
        "Detector: photos and faces per second",
        "short",
        [
            ("sum(rate(facerec_detector_photos_total[$__rate_interval]))", "photos/s"),
            ("sum(rate(facerec_detector_faces_total[$__rate_interval]))", "faces/s"),
        ],
    ),
    (
        "Detector: MTCNN time per photo (p50 / p95)",
        "s",
        [
            (
                "histogram_quantile(0.5, sum by (le) (rate(facerec_detector_detect_duration_seconds_bucket"
                "[$__rate_interval])))",
                "p50",
            ),
            (
                "histogram_quantile(0.95, sum by (le) (rate(facerec_detector_detect_duration_seconds_bucket"
                "[$__rate_interval])))",
                "p95",
            ),
        ],
    ),
    (
        "Embedder: faces/s and mean batch size",
        "short",
        [
            ("sum(rate(facerec_embedder_faces_total[$__rate_interval]))", "faces/s"),
            (
                "sum(rate(facerec_embedder_batch_faces_sum[$__rate_interval])) / "
                "sum(rate(facerec_embedder_batch_faces_count[$__rate_interval]))",
                "faces per model run",
            ),
        ],
    ),
    (
        "Embedder: queue (faces) and wait p95",
        "short",
        [
            ("sum(facerec_embedder_queued_faces)", "queued faces"),
            (
                "histogram_quantile(0.95, sum by (le) (rate(facerec_embedder_queue_wait_seconds_bucket"
                "[$__rate_interval]))) * 1000",
                "wait p95 (ms)",
            ),
            ("sum(rate(facerec_embedder_refused_calls_total[$__rate_interval]))", "refused/s (OVERLOADED)"),
        ],
    ),
    (
        "Registry: search p95 by method",
        "s",
        [
            (
                "histogram_quantile(0.95, sum by (le, method) "
                "(rate(facerec_registry_search_duration_seconds_bucket[$__rate_interval])))",
                "{{method}}",
            )
        ],
    ),
    (
        "Registry: faces per collection",
        "short",
        [("max by (collection) (facerec_registry_collection_faces)", "{{collection}}")],
    ),
    (
        "Registry: index reads/s and face queries per read",
        "short",
        [
            ("sum(rate(facerec_registry_index_read_queries_count[$__rate_interval]))", "reads/s"),
            (
                "sum(rate(facerec_registry_index_read_queries_sum[$__rate_interval])) "
                "/ sum(rate(facerec_registry_index_read_queries_count[$__rate_interval]))",
                "queries per read",
            ),
        ],
    ),
    (
        "Registry: database connections in use / pool size",
        "short",
        [
            ("sum by (pool) (facerec_registry_db_connections_in_use)", "in use {{pool}}"),
            ("sum by (pool) (facerec_registry_db_pool_size)", "pool {{pool}}"),
        ],
    ),
    ("Targets up", "short", [("up", "{{job}} {{instance}}")]),
]


def panel(index: int, title: str, unit: str, queries: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(queries)
        ],
    }


def dashboard() -> dict[str, object]:
    return {
        "title": "facerec",
        "uid": "facerec-overview",
        "tags": ["facerec"],
        "timezone": "browser",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "panels": [panel(i, *spec) for i, spec in enumerate(PANELS)],
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(dashboard(), indent=2) + "\n")
    print(f"written: {OUT.relative_to(ROOT)} ({len(PANELS)} panels)")


if __name__ == "__main__":
    main()
