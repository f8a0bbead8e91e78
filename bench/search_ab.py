"""Search latency of two or more running gateways, side by side.

    .venv/bin/python bench/search_ab.py --urls http://127.0.0.1:8000,http://127.0.0.1:8020 --collection g100k

The same probes go to each gateway in alternating rounds (A then B, B then A, ...), each round
on a new kept-alive connection, so the host's drift from minute to minute falls on all of them
alike. This is how a change is compared with the code before it on a machine whose speed varies
by 2x from hour to hour: start the previous code's gateway (or gateway and registry) beside the
new one on one `make run` database, then run this. The collection must exist (e.g. loaded by
`bench/search.py --url … --keep g100k`). Probes are random unit vectors: latency only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import httpx
import numpy as np
from search import percentiles, timed_posts  # bench/search.py: the same client and timing

from facerec_devstack import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=lambda s: s.split(","), required=True, help="gateways, comma-separated")
    parser.add_argument("--collection", required=True)
    parser.add_argument("--rounds", type=int, default=6, help="rounds per gateway")
    parser.add_argument("--probes", type=int, default=300, help="searches per round")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--identify", type=Path, help="a photo: also identify it this many times per round")
    parser.add_argument("--identify-calls", type=int, default=20)
    args = parser.parse_args()

    headers = {"x-api-key": os.environ["FACEREC_API_KEY"]} if os.environ.get("FACEREC_API_KEY") else {}
    path = f"/api/v1/collections/{args.collection}/search"
    probes = np.random.default_rng(5).standard_normal((args.probes, 512)).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    bodies = list(enumerate(json.dumps({"embedding": p.tolist(), "top_k": args.top_k}).encode() for p in probes))
    for url in args.urls:  # warm each gateway's connections and caches alike
        timed_posts(url, path, headers, bodies[:50])
    stalls = machine.stalls()
    timings: dict[str, list[float]] = {url: [] for url in args.urls}
    identified: dict[str, list[float]] = {url: [] for url in args.urls}
    for number in range(args.rounds):
        for url in args.urls if number % 2 == 0 else args.urls[::-1]:
            timings[url] += [ms for _, ms, _ in timed_posts(url, path, headers, bodies)]
            if args.identify:
                identified[url] += _identify(url, args.collection, headers, args.identify, args.identify_calls)

    first = statistics.fmean(timings[args.urls[0]])
    print(f"\nmachine: {machine.summary(machine.describe())}; before the rounds {machine.stalls_summary(stalls)}")
    print(f"{args.rounds} rounds of {args.probes} searches of '{args.collection}' per gateway, alternating\n")
    print("| gateway | p50 ms | p95 ms | p99 ms | mean ms | mean / first |")
    print("|---|---|---|---|---|---|")
    for url, ms in timings.items():
        p = percentiles(ms)
        mean = statistics.fmean(ms)
        print(f"| {url} | {p['p50']} | {p['p95']} | {p['p99']} | {mean:.2f} | {mean / first:.3f} |")
    if args.identify:
        print(f"\nidentify of {args.identify.name}, {args.identify_calls} per round per gateway\n")
        print("| gateway | p50 ms | p95 ms | mean ms | mean / first |")
        print("|---|---|---|---|---|")
        first = statistics.fmean(identified[args.urls[0]])
        for url, ms in identified.items():
            p = percentiles(ms)
            mean = statistics.fmean(ms)
            print(f"| {url} | {p['p50']} | {p['p95']} | {mean:.1f} | {mean / first:.3f} |")


def _identify(url: str, collection: str, headers: dict[str, str], photo: Path, calls: int) -> list[float]:
    """Milliseconds of each identify of the photo, on one kept-alive connection."""
    data = photo.read_bytes()
    done = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for _ in range(calls):
            start = time.perf_counter()
            reply = client.post(f"/api/v1/collections/{collection}/identify", files={"file": (photo.name, data)})
            done.append((time.perf_counter() - start) * 1000)
            if reply.status_code != 200:
                raise RuntimeError(f"identify answered {reply.status_code}: {reply.text[:300]}")
    return done


if __name__ == "__main__":
    main()
