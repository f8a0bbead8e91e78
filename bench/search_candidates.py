"""How the registry's search index was chosen: candidate methods side by side, in process.

    .venv/bin/python bench/search_candidates.py [--faces 1000000] [--probes 200]

Synthetic unit vectors with a decaying variance spectrum (facerec_devstack.synthetic), probes at
cosine 0.3-0.8 to one of them. For each method: build time, single-query latency (one thread
per shard, as the registry searches) and recall@1 against exact search, after re-ranking its
candidates with the exact vectors.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import faiss  # type: ignore[import-untyped]
import numpy as np

from facerec_devstack import synthetic
from facerec_registry.search.ann import ShardedIndex

METHODS = ["binary", "PQ64x4fs", "PQ128x4fs", "PQ256x4fs", "RR512,PQ128x4fs"]


def searcher(method: str, shards: int, vectors: np.ndarray, mean: np.ndarray) -> Callable[[np.ndarray, int], Any]:
    """Build `method` over `vectors`; answer a function from (probe, candidates) to row numbers."""
    if method == "binary":
        codes = faiss.IndexBinaryFlat(512)
        codes.add(np.packbits(vectors - mean > 0, axis=1))
        return lambda probe, k: codes.search(np.packbits(probe - mean > 0)[None], k)[1][0]
    index = ShardedIndex.build(vectors, method, shards)
    faiss.omp_set_num_threads(1)
    return lambda probe, k: index.search(probe[None], k, shards)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--methods", type=lambda s: s.split(";"), default=METHODS, help="';'-separated")
    parser.add_argument("--candidates", type=lambda s: [int(x) for x in s.split(",")], default=[100, 400])
    parser.add_argument(
        "--shards", type=lambda s: [int(x) for x in s.split(",")], default=[1], help="e.g. 1,2: the registry's split"
    )
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(1)
    vectors = synthetic.unit_vectors(rng, args.faces, 512)
    targets = rng.choice(args.faces, args.probes, replace=False)
    probes = synthetic.probes_near(rng, vectors[targets], rng.uniform(0.3, 0.8, args.probes).astype(np.float32))
    start = time.perf_counter()
    exact = np.array([int(np.argmax(vectors @ p)) for p in probes])
    print(f"exact numpy scan: {(time.perf_counter() - start) / len(probes) * 1000:.1f} ms per query")
    mean = vectors[:100_000].mean(axis=0)
    print("| method | shards | build s | candidates | p50 ms | p99 ms | recall@1 |\n|---|---|---|---|---|---|---|")
    for method in args.methods:
        for shards in args.shards if method != "binary" else [1]:
            start = time.perf_counter()
            search = searcher(method, shards, vectors, mean)
            built = time.perf_counter() - start
            for count in args.candidates if method != "binary" else [c * 10 for c in args.candidates]:
                times, hits = [], 0
                for probe, truth in zip(probes, exact, strict=True):
                    start = time.perf_counter()
                    found = search(probe, count)
                    rows = found[found >= 0]
                    best = rows[int(np.argmax(vectors[rows] @ probe))]
                    times.append((time.perf_counter() - start) * 1000)
                    hits += int(best == truth)
                p50, p99 = np.percentile(times, [50, 99])
                row = [method, shards, f"{built:.1f}", count, f"{p50:.2f}", f"{p99:.2f}", f"{hits / len(probes):.3f}"]
                print("| " + " | ".join(map(str, row)) + " |", flush=True)


if __name__ == "__main__":
    main()
