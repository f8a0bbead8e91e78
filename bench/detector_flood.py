"""The detector under a flood of huge but legal images, with normal photos sent meanwhile.

    .venv/bin/python bench/detector_flood.py [--huge 16] [--side 6300]

Starts one detector process (its settings from the environment, as deployed), then sends
`--huge` solid `side`x`side` RGB PNGs (about 130 KB each, 39.7 MP at 6300) at once over gRPC,
while other clients send one of the dev set's portraits every 100 ms until the flood is answered. Prints the portraits'
latency (p50/p95/max) during the flood, how the huge ones were answered, the detector's idle,
peak and settled (10 s after) resident memory, and the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import psutil
from PIL import Image

from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec_devstack.machine import describe, summary
from facerec_devstack.photos import data_dir
from facerec_devstack.processes import free_port

ROOT = Path(__file__).resolve().parents[1]


def _solid_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 150)).save(out, format="PNG")
    return out.getvalue()


def _wait_serving(address: str, timeout_s: float = 120) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        while time.monotonic() < deadline:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.3)
    raise SystemExit("the detector did not report SERVING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge", type=int, default=16)
    parser.add_argument("--side", type=int, default=6300)
    parser.add_argument("--settle-s", type=float, default=10.0)
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "FACEREC_DETECTOR_PORT": str(port), "FACEREC_DETECTOR_METRICS_PORT": "-1"}
    process = subprocess.Popen([sys.executable, "-m", "facerec_detector"], env=env, cwd=ROOT)
    address = f"127.0.0.1:{port}"
    try:
        _wait_serving(address)
        proc = psutil.Process(process.pid)
        idle = proc.memory_info().rss
        huge = _solid_png(args.side)
        portraits = [p.read_bytes() for p in sorted((data_dir() / "faces").rglob("*.jpg"))[:60]]
        peak = idle
        sampling = True

        def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, proc.memory_info().rss)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
            stub = detector_pb2_grpc.DetectorServiceStub(channel)

            def send_huge(_: int) -> str:
                started = time.perf_counter()
                try:
                    stub.Detect(detector_pb2.DetectRequest(image=huge), timeout=60)
                    outcome = "ok"
                except grpc.RpcError as exc:
                    outcome = exc.code().name  # type: ignore[attr-defined]
                return f"{outcome} {time.perf_counter() - started:.1f}s"

            latencies: list[float] = []
            flood_done = threading.Event()

            def send_portrait(i: int) -> None:
                started = time.perf_counter()
                stub.Detect(detector_pb2.DetectRequest(image=portraits[i % len(portraits)]), timeout=60)
                latencies.append(time.perf_counter() - started)

            def send_portraits() -> None:
                # Every 100 ms whatever the answers' pace, as independent users would: a stall
                # shows in every request sent during it, not in one.
                with ThreadPoolExecutor(32) as users:
                    i = 0
                    while not flood_done.is_set():
                        users.submit(send_portrait, i)
                        i += 1
                        time.sleep(0.1)

            normal = threading.Thread(target=send_portraits)
            flood_start = time.perf_counter()
            normal.start()
            with ThreadPoolExecutor(args.huge) as pool:
                outcomes = list(pool.map(send_huge, range(args.huge)))
            flood_s = time.perf_counter() - flood_start
            flood_done.set()
            normal.join()
        time.sleep(args.settle_s)
        sampling = False
        sampler.join()
        settled = proc.memory_info().rss
    finally:
        process.terminate()
        process.wait(30)

    quantiles = statistics.quantiles(latencies, n=20)
    result: dict[str, Any] = {
        "machine": describe(),
        "huge": {"count": args.huge, "side": args.side, "png_bytes": len(huge), "answers": outcomes},
        "flood_s": round(flood_s, 1),
        "portraits_during_flood": {
            "count": len(latencies),
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(quantiles[18], 3),
            "max_s": round(max(latencies), 3),
        },
        "rss_mb": {"idle": idle >> 20, "peak": peak >> 20, f"{args.settle_s:.0f}s_after": settled >> 20},
    }
    print(summary(result["machine"]))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
