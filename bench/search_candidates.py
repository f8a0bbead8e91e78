"""How the registry's search index was chosen: candidate methods side by side, in process.

    .venv/bin/python bench/search_candidates.py [--faces 1000000] [--probes 200]

Synthetic unit vectors with a decaying variance spectrum (facerec_devstack.synthetic), probes at
cosine 0.3-0.8 to one of them. For each method: build time, single-query latency (one thread)
and recall@1 against exact search, after re-ranking its candidates with the exact vectors.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import faiss  # type: ignore[import-untyped]
import numpy as np

from facerec_devstack import synthetic

METHODS = ["binary", "PQ64x4fs", "PQ128x4fs", "PQ256x4fs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--candidates", type=lambda s: [int(x) for x in s.split(",")], default=[100, 400])
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
    print("| method | build s | candidates | p50 ms | p99 ms | recall@1 |\n|---|---|---|---|---|---|")
    for method in METHODS:
        start = time.perf_counter()
        index: Any
        if method == "binary":
            index = faiss.IndexBinaryFlat(512)
            index.add(np.packbits(vectors - mean > 0, axis=1))
        else:
            index = faiss.index_factory(512, method, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors[:50_000])
            index.add(vectors)
        built = time.perf_counter() - start
        for count in args.candidates if method != "binary" else [c * 10 for c in args.candidates]:
            times, hits = [], 0
            for probe, truth in zip(probes, exact, strict=True):
                start = time.perf_counter()
                query = np.packbits(probe - mean > 0)[None] if method == "binary" else probe[None]
                _, found = index.search(query, count)
                rows = found[0][found[0] >= 0]
                best = rows[int(np.argmax(vectors[rows] @ probe))]
                times.append((time.perf_counter() - start) * 1000)
                hits += int(best == truth)
            p50, p99 = np.percentile(times, [50, 99])
            print(
                f"| {method} | {built:.1f} | {count} | {p50:.2f} | {p99:.2f} | {hits / len(probes):.3f} |", flush=True
            )


if __name__ == "__main__":
    main()
