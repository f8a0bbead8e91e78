"""bench/load.py keeps working: it finds every process of the stack and runs a short clean load.

The figures themselves belong to the benchmark (`make load`); here it only has to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from facerec_devstack.footprint import SHARED_BUFFERS, memory_mb, stack_parts
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_footprint_finds_each_service_and_postgres(stack: Stack) -> None:
    parts = {part.name: part for part in stack_parts(stack.gateway_url)}
    assert list(parts) == ["gateway", "detector", "embedder", "registry", "postgres"]
    for name in ("gateway", "detector", "embedder", "registry"):
        process = stack.group.services[name].process
        assert process is not None
        assert parts[name].root.pid == process.pid
    memory = memory_mb(list(parts.values()))
    assert set(memory) == {"gateway", "detector", "embedder", "registry", "postgres", SHARED_BUFFERS}
    assert all(mb > 1 for mb in memory.values()), memory
    assert memory["detector"] > 200  # TensorFlow and MTCNN: a figure this small would be wrong
    assert len(parts["postgres"].processes()) > 1  # the postmaster and its backends


def test_footprint_of_a_remote_gateway_is_empty() -> None:
    assert stack_parts("http://192.0.2.1:8000") == []


def test_load_benchmark_runs_clean(stack: Stack, api: httpx.Client, tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--url", stack.gateway_url, "--out", str(tmp_path)]
    command += ["--duration", "6", "--warmup", "1", "--people", "4", "--clients", "2", "--sample-every", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (written,) = tmp_path.glob("load-*.json")
    record = json.loads(written.read_text())
    assert record["total"]["errors"] == 0
    assert record["identify"]["requests"] > 0
    assert record["identify_rank1"] > 0.5
    assert set(record["memory"][0]["memory_mb"]) == set(memory_mb(stack_parts(stack.gateway_url)))
    # Its collection is gone afterwards.
    listed = api.get("/api/v1/collections", params={"limit": 200}).json()["collections"]
    assert not [c["name"] for c in listed if c["name"].startswith("load-")]
