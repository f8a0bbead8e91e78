"""Embedder throughput and latency: model runs per batch size, and the served embedder with
dynamic batching on vs off, side by side in one run.

    .venv/bin/python bench/embedder.py [--model models/w600k_mbf.onnx --model models/r100-random.onnx]
        [--providers CUDAExecutionProvider] [--batches 1,8,32,64] [--clients 1,16] [--calls 400]
        [--variants fp16,fp32] [--faces-per-call 1] [--crops crops.npy | --save-crops crops.npy]

1. In process, per model and batch size: faces/s and ms per run (ONNX Runtime, the providers
   given; the first one available is used), in fp16 and/or fp32 on a GPU. With --peak-tflops
   (the GPU's dense fp16 peak), also the share of the FLOP ceiling reached: faces/s x GFLOPs per
   face / peak.
2. Served (first model): two embedder processes on loopback, one batching concurrent calls and
   one running each call alone (FACEREC_EMBEDDER_BATCHING=false), each sent one-face Embed calls
   by 1 and by 16 concurrent clients (--faces-per-call for more faces per call), alternately (on,
   off, on, off) because this machine is noisy; p50/p95 latency and faces/s for each, and the ratio.
Crops are real: faces of the dev photos aligned by the detector's own code (--save-crops keeps
them in a file, --crops reads them back where the photos or the detector are not installed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt

from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc
from facerec_common import rgb
from facerec_devstack import machine

ROOT = Path(__file__).resolve().parents[1]
# Multiply-accumulates x 2 per 112x112 face, from the graphs (onnx_tool-style count of Conv/Gemm).
GFLOPS_PER_FACE = {"w600k_mbf": 0.93, "r100-random": 24.2, "glintr100": 24.2}


def aligned_crops(count: int) -> npt.NDArray[np.uint8]:
    from facerec_detector.pipeline import FacePipeline
    from facerec_detector.settings import DetectorSettings
    from facerec_devstack import face_cache, photos

    pipeline = FacePipeline(DetectorSettings())
    options = pipeline.resolve(0, 0, 1, include_thumbnails=False)
    crops = []
    for path in face_cache.photos_under(photos.data_dir() / "faces"):
        found = pipeline.run(path.read_bytes(), options).faces
        if found:
            crops.append(found[0].aligned)
        if len(crops) == 32:
            break
    return np.stack(crops)


def repeat(crops: npt.NDArray[np.uint8], count: int) -> npt.NDArray[np.uint8]:
    return np.stack([crops[i % len(crops)] for i in range(count)])


def in_process(
    model_path: Path,
    providers: list[str],
    batches: list[int],
    crops: npt.NDArray[np.uint8],
    variant: str,
    seconds: float,
) -> list[dict[str, Any]]:
    from facerec_embedder.arcface import ArcFaceModel, Runtime

    runtime = Runtime(fp16=variant == "fp16")
    model = ArcFaceModel(model_path, providers, max_batch=max(batches), runtime=runtime)
    rows = []
    for batch in batches:
        data = repeat(crops, batch)
        model.embed(data)  # warm-up for this shape
        runs, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds or runs < 3:
            model.embed(data)
            runs += 1
        elapsed = (time.perf_counter() - started) / runs
        rows.append(
            {
                "model": model_path.stem,
                "provider": model.provider,
                "precision": model.precision,
                "batch": batch,
                "ms_per_run": round(elapsed * 1000, 2),
                "faces_per_s": round(batch / elapsed, 1),
            }
        )
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_embedder(model_path: Path, batching: bool, max_batch: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "FACEREC_EMBEDDER_PORT": str(port),
        "FACEREC_EMBEDDER_METRICS_PORT": "-1",  # two embedders side by side: no metrics port to share
        "FACEREC_EMBEDDER_HOST": "127.0.0.1",
        "FACEREC_EMBEDDER_MODEL_PATH": str(model_path),
        "FACEREC_EMBEDDER_BATCHING": "true" if batching else "false",
        "FACEREC_EMBEDDER_MAX_BATCH": str(max_batch),
        "FACEREC_EMBEDDER_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "facerec_embedder"], env=env)
    return process, port


async def wait_ready(process: subprocess.Popen[bytes], port: int, limit_s: float = 600) -> None:
    # A GPU embedder takes a while to start (CUDA, kernel search per batch shape): keep gRPC's
    # reconnect backoff short, or the channel is still backing off long after the server is up.
    options = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 500)]
    deadline = time.monotonic() + limit_s
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        stub = embedder_pb2_grpc.EmbedderServiceStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"embedder exited with {process.returncode} before serving")
            try:
                await stub.GetModel(embedder_pb2.GetModelRequest(), timeout=1)
                return
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"embedder did not start in {limit_s:.0f} s")


async def served(port: int, crops: npt.NDArray[np.uint8], clients: int, calls: int, per_call: int) -> dict[str, Any]:
    faces = [rgb.to_proto(c) for c in crops]
    requests = [
        embedder_pb2.EmbedRequest(faces=[faces[(i + j) % len(faces)] for j in range(per_call)]) for i in range(32)
    ]
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = embedder_pb2_grpc.EmbedderServiceStub(channel)
        for request in requests[:4]:
            await stub.Embed(request, timeout=30)
        pending = iter(range(calls))

        async def client() -> None:
            for i in pending:
                start = time.perf_counter()
                await stub.Embed(requests[i % len(requests)], timeout=60)
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = time.perf_counter() - started
    ms = sorted(1000 * t for t in latencies)
    return {
        "clients": clients,
        "calls": calls,
        "faces_per_call": per_call,
        "faces_per_s": round(calls * per_call / seconds, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
    }


async def served_side_by_side(
    model_path: Path, crops: npt.NDArray[np.uint8], clients: list[int], calls: int, per_call: int, max_batch: int
) -> list[dict[str, Any]]:
    processes = {mode: start_embedder(model_path, mode, max_batch) for mode in (True, False)}
    try:
        for process, port in processes.values():
            await wait_ready(process, port)
        rows = []
        for n in clients:
            for round_ in range(2):
                for mode in (True, False):
                    row = await served(processes[mode][1], crops, n, calls, per_call)
                    rows.append({"batching": mode, "round": round_ + 1, **row})
        return rows
    finally:
        for process, _ in processes.values():
            process.terminate()
        for process, _ in processes.values():
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", help="ONNX files (default: models/w600k_mbf.onnx)")
    parser.add_argument("--providers", default="CUDAExecutionProvider,CPUExecutionProvider")
    parser.add_argument("--batches", default="1,8,32,64")
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--peak-tflops", type=float, help="the device's dense fp16 peak, for the FLOP-ceiling share")
    parser.add_argument("--fp32", action="store_true", help="no half precision on a GPU (fp16 is the default there)")
    parser.add_argument("--variants", default="fp16", help="on a GPU: fp16, fp32 or both (--fp32 means fp32)")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed per batch size")
    parser.add_argument("--no-served", action="store_true")
    parser.add_argument("--no-in-process", action="store_true")
    parser.add_argument("--served-max-batch", type=int, default=64, help="the served embedders' max_batch")
    parser.add_argument("--faces-per-call", type=int, default=1)
    parser.add_argument("--crops", type=Path, help="aligned crops saved by --save-crops, instead of the photos")
    parser.add_argument("--save-crops", type=Path)
    args = parser.parse_args()
    models = args.model or [ROOT / "models" / "w600k_mbf.onnx"]
    batches = [int(b) for b in args.batches.split(",")]
    crops: npt.NDArray[np.uint8] = np.load(args.crops) if args.crops else aligned_crops(32)
    if args.save_crops:
        np.save(args.save_crops, crops)
    variants = ["fp32"] if args.fp32 else args.variants.split(",")

    report: dict[str, Any] = {"in_process": []}
    print("| model | provider | precision | batch | ms per run | faces/s | share of FLOP ceiling |")
    print("|---|---|---|---|---|---|---|", flush=True)
    for model_path in [] if args.no_in_process else models:
        for variant in variants:
            try:
                rows = in_process(model_path, args.providers.split(","), batches, crops, variant, args.seconds)
            except Exception as error:  # one variant failing (a provider option, memory) leaves the others
                print(f"| {model_path.stem} | {variant} failed: {error!r} |", flush=True)
                continue
            for row in rows:
                gflops = GFLOPS_PER_FACE.get(row["model"])
                if args.peak_tflops and gflops:
                    row["flop_ceiling_share"] = round(row["faces_per_s"] * gflops / (args.peak_tflops * 1000), 3)
                report["in_process"].append(row)
                share = row.get("flop_ceiling_share", "")
                cells = [row["model"], row["provider"], row["precision"], row["batch"]]
                cells += [row["ms_per_run"], row["faces_per_s"], share]
                print("| " + " | ".join(map(str, cells)) + " |", flush=True)
            if rows[0]["provider"] == "CPUExecutionProvider":
                break  # the variants are GPU settings: one CPU run says it all

    if not args.no_served:
        rows = asyncio.run(
            served_side_by_side(
                models[0],
                crops,
                [int(c) for c in args.clients.split(",")],
                args.calls,
                args.faces_per_call,
                args.served_max_batch,
            )
        )
        report["served"] = rows
        print(f"\nserved ({models[0].stem}, {args.faces_per_call} face(s) per call):\n")
        print("| clients | batching | round | p50 ms | p95 ms | faces/s |\n|---|---|---|---|---|---|")
        for r in rows:
            cells = [
                r["clients"],
                "on" if r["batching"] else "off",
                r["round"],
                r["p50_ms"],
                r["p95_ms"],
                r["faces_per_s"],
            ]
            print("| " + " | ".join(map(str, cells)) + " |")
        for n in sorted({r["clients"] for r in rows}):
            on = [r for r in rows if r["clients"] == n and r["batching"]]
            off = [r for r in rows if r["clients"] == n and not r["batching"]]
            ratio = statistics.mean(r["faces_per_s"] for r in on) / statistics.mean(r["faces_per_s"] for r in off)
            p50 = statistics.mean(r["p50_ms"] for r in on) - statistics.mean(r["p50_ms"] for r in off)
            print(f"{n} clients: batching on/off throughput x{ratio:.2f}, p50 {p50:+.2f} ms")

    out = ROOT / "bench" / "results" / f"embedder-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**report, "machine": machine.describe()}, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
