"""End-to-end benchmark: the HTTP API under N concurrent clients vs the same pipeline in one process.

Registers the first photo of every person in <data>/faces and recognises their
second photo, through the gateway (real detector, embedder, registry and
PostgreSQL, each its own process), then runs the same photos through detect ->
embed -> match in this process with no network, and prints both side by side
with their ratio. Figures go to bench/results/e2e-<time>.json too.

    make bench                                     # starts its own stack on free ports
    .venv/bin/python bench/e2e.py --clients 8 --rounds 3
    .venv/bin/python bench/e2e.py --url http://127.0.0.1:8000   # against `make run` (adds people to it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

from facerec_devstack import machine, photos
from facerec_devstack.inprocess import InProcessPipeline
from facerec_devstack.stack import gateway_url

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figures:
    requests: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    errors: int


def figures(latencies: list[float], seconds: float, errors: int) -> Figures:
    ms = sorted(1000 * t for t in latencies)
    return Figures(
        requests=len(ms),
        seconds=round(seconds, 2),
        throughput_rps=round(len(ms) / seconds, 2),
        p50_ms=round(statistics.median(ms), 1),
        p95_ms=round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        errors=errors,
    )


async def _http_phase(url: str, jobs: list[tuple[str, dict[str, str], bytes]], clients: int) -> tuple[Figures, list]:  # type: ignore[type-arg]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(jobs)):
        queue.put_nowait(i)
    latencies: list[float] = []
    replies: list = [None] * len(jobs)  # type: ignore[type-arg]
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            path, form, image = jobs[i]
            start = time.perf_counter()
            reply = await client.post(path, data=form, files={"file": ("photo.jpg", image, "image/jpeg")})
            latencies.append(time.perf_counter() - start)
            if reply.status_code != 200:
                errors += 1
            replies[i] = reply.json()

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return figures(latencies, elapsed, errors), replies


def run_http(url: str, people: dict[str, list[Path]], clients: int, rounds: int) -> dict[str, object]:
    tag = f"bench-{int(time.time())}-"
    enrol = [("/api/face/register", {"name": tag + name}, paths[0].read_bytes()) for name, paths in people.items()]
    no_form: dict[str, str] = {}
    probe = [("/api/face/recognition", no_form, paths[1].read_bytes()) for paths in people.values()] * rounds
    reg, _ = asyncio.run(_http_phase(url, enrol, clients))
    rec, replies = asyncio.run(_http_phase(url, probe, clients))
    names = [tag + name for name in people] * rounds
    correct = sum(bool(r and r.get("match") and r.get("name") == n) for r, n in zip(replies, names, strict=True))
    return {"register": reg, "recognise": rec, "rank1": round(correct / len(names), 4)}


def run_inprocess(model: Path, people: dict[str, list[Path]], rounds: int, threshold: float) -> dict[str, object]:
    pipeline = InProcessPipeline(model)
    gallery, reg_lat = [], []
    start = time.perf_counter()
    for paths in people.values():
        t = time.perf_counter()
        gallery.append(pipeline.embed_largest_face(paths[0].read_bytes()))
        reg_lat.append(time.perf_counter() - t)
    reg = figures(reg_lat, time.perf_counter() - start, 0)
    matrix = np.stack(gallery)
    names = list(people)
    rec_lat, correct = [], 0
    start = time.perf_counter()
    for _ in range(rounds):
        for name, paths in people.items():
            t = time.perf_counter()
            scores = matrix @ pipeline.embed_largest_face(paths[1].read_bytes())
            best = int(scores.argmax())
            rec_lat.append(time.perf_counter() - t)
            correct += scores[best] >= threshold and names[best] == name
    rec = figures(rec_lat, time.perf_counter() - start, 0)
    return {"register": reg, "recognise": rec, "rank1": round(correct / (len(names) * rounds), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running gateway; default: start a fresh stack on free ports")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=2, help="times each probe photo is recognised")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "w600k_mbf.onnx")
    parser.add_argument("--data", type=Path, default=photos.data_dir())
    args = parser.parse_args()

    from facerec_common.models import known_by_version
    from facerec_embedder.arcface import file_sha256

    known = known_by_version(file_sha256(args.model)[:12])
    threshold = known.threshold if known and known.threshold is not None else 0.4
    people = {name: paths for name, paths in photos.people(args.data).items() if len(paths) >= 2}

    with gateway_url(args.url, args.model) as url:
        http = run_http(url, people, args.clients, args.rounds)
    local = run_inprocess(args.model, people, args.rounds, threshold)

    print(f"\n{len(people)} people, {args.rounds} rounds, {args.clients} HTTP clients, model {args.model.name}\n")
    print(f"{'':24}{'HTTP API':>14}{'in-process':>14}{'ratio':>10}")
    for phase in ("register", "recognise"):
        h, p = http[phase], local[phase]
        assert isinstance(h, Figures)
        assert isinstance(p, Figures)
        for field, label in (("throughput_rps", "req/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms")):
            hv, pv = getattr(h, field), getattr(p, field)
            print(f"{phase + ' ' + label:24}{hv:>14}{pv:>14}{hv / pv:>10.2f}")
        print(f"{phase + ' errors':24}{h.errors:>14}{p.errors:>14}")
    print(f"{'rank-1 recognised':24}{http['rank1']:>14}{local['rank1']:>14}")

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    record = {
        "clients": args.clients,
        "rounds": args.rounds,
        "people": len(people),
        "model": args.model.name,
        "http": {k: asdict(v) if isinstance(v, Figures) else v for k, v in http.items()},
        "in_process": {k: asdict(v) if isinstance(v, Figures) else v for k, v in local.items()},
        "machine": machine.describe(),
    }
    (out / f"e2e-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nwritten to bench/results/e2e-{stamp}.json")


if __name__ == "__main__":
    main()
