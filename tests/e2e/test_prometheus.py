"""A real Prometheus scrapes the running stack: every part is up, and request counters and
latency histograms move after real requests."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from facerec_devstack.processes import free_port, terminate
from facerec_devstack.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _prometheus_installed(require_tool: Callable[[str | None, str], str]) -> None:
    require_tool(PROMETHEUS, "prometheus (Debian: apt-get install prometheus)")


SCRAPE_S = 1
V1 = "/api/v1"
IDENTIFY = "/api/v1/collections/{collection}/identify"


def _config(stack: Stack) -> str:
    jobs = []
    for name, url in stack.metrics_urls().items():
        parts = urlsplit(url)
        jobs.append(
            f"  - job_name: {name}\n    metrics_path: {parts.path}\n"
            f"    static_configs: [{{targets: ['{parts.netloc}']}}]\n"
        )
    return f"global:\n  scrape_interval: {SCRAPE_S}s\n  scrape_timeout: {SCRAPE_S}s\nscrape_configs:\n" + "".join(jobs)


@pytest.fixture(scope="module")
def prometheus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    assert PROMETHEUS is not None
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "prometheus.yml").write_text(_config(stack))
    port = free_port()
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait(lambda: _ready(client), 60, f"Prometheus did not start: see {folder / 'prometheus.log'}")
            yield client
    finally:
        terminate(process)


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/-/ready").status_code == 200
    except httpx.TransportError:
        return False


def _wait(check: object, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise AssertionError(message)


def _query(client: httpx.Client, expr: str) -> dict[str, float]:
    """Instant query: {job: value} (one series per job expected)."""
    reply = client.get("/api/v1/query", params={"query": expr})
    reply.raise_for_status()
    return {r["metric"].get("job", ""): float(r["value"][1]) for r in reply.json()["data"]["result"]}


def test_every_part_is_scraped_and_up(prometheus: httpx.Client) -> None:
    expected = {"gateway": 1.0, "detector": 1.0, "embedder": 1.0, "registry": 1.0}
    _wait(lambda: _query(prometheus, "up") == expected, 30, f"targets not all up: {_query(prometheus, 'up')}")


def test_counters_and_histograms_move_after_real_requests(
    prometheus: httpx.Client, api: httpx.Client, data_dir: Path
) -> None:
    _wait(lambda: len(_query(prometheus, "up")) == 4, 30, "targets not scraped yet")
    collection = f"prom-{uuid.uuid4().hex[:8]}"
    assert api.post(f"{V1}/collections", json={"name": collection}).status_code == 201
    person = api.post(f"{V1}/collections/{collection}/people", json={"name": "Probe"}).json()["person_id"]
    enrolled, probe = sorted((data_dir / "faces").rglob("*.jpg"))[:2]
    enrol = api.post(f"{V1}/collections/{collection}/people/{person}/faces", files=_file(enrolled))
    assert enrol.status_code == 201, enrol.text
    measures = {
        "http": f'sum by (job) (facerec_http_requests_total{{route="{IDENTIFY}",status="200"}})',
        "http_latency": f'sum by (job) (facerec_http_request_duration_seconds_count{{route="{IDENTIFY}"}})',
        "detect": 'sum by (job) (facerec_grpc_requests_total{method="Detect",code="OK"})',
        "photos": "sum by (job) (facerec_detector_photos_total)",
        "embed_latency": 'sum by (job) (facerec_grpc_request_duration_seconds_count{method="Embed"})',
        "faces_embedded": "sum by (job) (facerec_embedder_faces_total)",
        "search_latency": 'sum by (job) (facerec_registry_search_duration_seconds_count{method="exact"})',
    }

    def totals() -> dict[str, float]:
        return {name: sum(_query(prometheus, expr).values()) for name, expr in measures.items()}

    try:
        before = totals()
        for _ in range(3):
            reply = api.post(f"{V1}/collections/{collection}/identify", files=_file(probe))
            assert reply.status_code == 200, reply.text

        def moved() -> bool:
            after = totals()
            return all(after[name] >= before[name] + 3 for name in measures)

        _wait(moved, 20, f"metrics did not move by 3 requests: before {before}, after {totals()}")
    finally:
        api.delete(f"{V1}/collections/{collection}")
    jobs = {
        "gateway": measures["http"],
        "detector": measures["photos"],
        "embedder": measures["faces_embedded"],
        "registry": measures["search_latency"],
    }
    for job, expr in jobs.items():
        assert job in _query(prometheus, expr), f"{expr} not reported by {job}"
    assert set(_query(prometheus, "facerec_model_info")) == {"detector", "embedder"}


def _file(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (path.name, path.read_bytes(), "image/jpeg")}


def test_dashboard_queries_run_on_real_metrics(prometheus: httpx.Client) -> None:
    # Runs after the requests above: every metric the dashboard reads exists, every query parses.
    dashboard = json.loads((ROOT / "deploy/grafana/facerec.json").read_text())
    known = set(prometheus.get("/api/v1/label/__name__/values").json()["data"])
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$__rate_interval", "1m")
            reply = prometheus.get("/api/v1/query", params={"query": expr})
            assert reply.status_code == 200, f"{panel['title']}: {reply.text}"
            missing = {m for m in re.findall(r"\b(facerec_\w+)", expr)} - known
            assert not missing, f"{panel['title']} reads metrics nobody exports: {missing}"
