"""Search at scale through the HTTP API: import N synthetic faces, then latency and recall.

    .venv/bin/python bench/search.py --faces 10000,100000,1000000 [--url http://127.0.0.1:8000] [--keep NAME]

For each size it writes a synthetic gallery's collection file, then imports it from disk through
`POST /collections/{c}/import` (timed),
waits for the registry's index (and, where it can see the database, for the autovacuum that
follows a large import: --no-settle searches during it), then sends genuine-like probes (cosine 0.3-0.8 to one
enrolled face) and probes that match nobody through `POST /collections/{c}/search`, with the
index and with `exact`, side by side, at 1 and 4 concurrent clients. Recall@1/@10 are
computed against exact search done here in numpy on the same vectors (person level: the
best face of each person, as the API ranks). It also times `identify` of a 7-face group
photo on the gallery and on a one-face collection (the difference is what search adds),
the registry's memory and the database's size per million faces, and, on its own stack,
a restart of the registry until its index is ready again. Before and after the searches it
reads how much of 5 s the host ran a fixed compute loop at under half speed (shared hosts pause
their guests: latency tails are read beside that). Without --url it starts a
throwaway stack. Vectors are synthetic: figures are for speed and recall, never accuracy.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from facerec_devstack import footprint, machine, photos, synthetic
from facerec_devstack.processes import Ports
from facerec_devstack.stack import Stack, StackConfig

ROOT = Path(__file__).resolve().parent.parent
GROUP_PHOTO = "group/2008_004176.jpg"  # 7 faces
PER_PERSON = 2


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": round(statistics.median(ordered), 2), "p95": at(0.95), "p99": at(0.99)}


def current_model(client: httpx.Client, data: Path) -> synthetic.Model:
    with (data / "faces" / "Hugh_Grant" / "Hugh_Grant_0001.jpg").open("rb") as photo:
        reply = client.post("/api/v1/embed", files={"file": photo})
    reply.raise_for_status()
    body = reply.json()
    return synthetic.Model(body["model"]["name"], body["model"]["version"], len(body["faces"][0]["embedding"]))


def database_dsn(url: str) -> str | None:
    """The stack's database, where the bench runs on the same machine as its registry."""
    registry = next((p for p in footprint.stack_parts(url) if p.name == "registry"), None)
    if registry is None:
        return None
    dsn: str = registry.root.environ().get("DATABASE_URL", "")
    return dsn.replace("+psycopg", "")


def database_bytes(url: str) -> int | None:
    dsn = database_dsn(url)
    if dsn is None:
        return None
    with psycopg.connect(dsn) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(size[0]) if size else None


def wait_for_vacuum(url: str, timeout_s: float = 900) -> float | None:
    """Seconds until the stack's faces and people tables need no autovacuum and none runs.

    After a large import PostgreSQL's autovacuum reads the new rows once (about two minutes of
    both cores at 1M faces here), starting up to a minute after the commit; it would be measured
    as search latency, so the searches are timed after it.
    """
    dsn = database_dsn(url)
    if dsn is None:
        return None
    start = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() - start < timeout_s:
            busy = conn.execute(VACUUM_DUE).fetchone()
            if busy is not None and not busy[0]:
                break
            time.sleep(2)
    return time.monotonic() - start


# A vacuum running, or one the autovacuum launcher will start (its default triggers: rows
# inserted, or dead, past a threshold plus a share of the table).
VACUUM_DUE = """
SELECT EXISTS (SELECT 1 FROM pg_stat_progress_vacuum) OR EXISTS (
    SELECT 1 FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.relname IN ('faces', 'people') AND (
        s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8
            + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0)
        OR s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
            + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)))
"""


def registry_mb(url: str) -> float | None:
    return footprint.memory_mb([p for p in footprint.stack_parts(url) if p.name == "registry"]).get("registry")


def exact_people(vectors: np.ndarray, probe: np.ndarray, k: int) -> list[int]:
    """Person numbers of the k best people (by their best face), best first."""
    scores = vectors @ probe
    people = scores.reshape(-1, PER_PERSON).max(axis=1) if len(scores) % PER_PERSON == 0 else None
    assert people is not None
    top = np.argpartition(-people, k)[:k]
    return [int(p) for p in top[np.argsort(-people[top])]]


class Searcher:
    def __init__(self, url: str, collection: str, headers: dict[str, str]) -> None:
        self.url, self.collection, self.headers = url, collection, headers
        self.names: dict[str, int] = {}

    def search(self, client: httpx.Client, probe: np.ndarray, exact: bool) -> tuple[float, dict[str, Any]]:
        body = {"embedding": probe.tolist(), "top_k": 10, "exact": exact}
        start = time.perf_counter()
        reply = client.post(f"/api/v1/collections/{self.collection}/search", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return elapsed, result

    def run(self, probes: np.ndarray, exact: bool, clients: int) -> tuple[list[float], list[dict[str, Any]]]:
        """Each client a process of its own (concurrent clients in one process would queue for
        its interpreter lock), timing from a prepared body's send to the whole answer read."""
        path = f"/api/v1/collections/{self.collection}/search"
        bodies = [json.dumps({"embedding": p.tolist(), "top_k": 10, "exact": exact}).encode() for p in probes]
        chunks = [list(range(c, len(probes), clients)) for c in range(clients)]
        jobs = [(self.url, path, self.headers, [(i, bodies[i]) for i in chunk]) for chunk in chunks]
        if clients == 1:
            parts = [timed_posts(*jobs[0])]
        else:
            with multiprocessing.get_context("fork").Pool(clients) as pool:
                parts = pool.starmap(timed_posts, jobs)
        done = sorted(row for part in parts for row in part)
        return [ms for _, ms, _ in done], [_result(status, answer) for _, _, (status, answer) in done]


# The product's "try again shortly" (a deadline passed, a service overloaded): counted, with the
# time it took, rather than ending a run of many minutes. Any other error is a fault and stops it.
UNAVAILABLE = 503


def _result(status: int, answer: bytes) -> dict[str, Any]:
    if status == UNAVAILABLE:  # no candidates: a miss for recall
        return {"candidates": [], "match": False, "search_method": None, "failed": json.loads(answer)["error"]["code"]}
    result: dict[str, Any] = json.loads(answer)
    return result


def timed_posts(
    url: str, path: str, headers: dict[str, str], bodies: list[tuple[int, bytes]]
) -> list[tuple[int, float, tuple[int, bytes]]]:
    """POST each body on one kept-alive connection: (number, ms, (status, answer)). The standard library's
    client: httpx spent 2.7-3.1 ms of CPU per search here, on the cores the stack runs on (1.3 ms)."""
    target = urllib.parse.urlsplit(url)
    connection_type = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(target.hostname or "127.0.0.1", target.port, timeout=120)
    sent = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host", "accept-encoding")}
    sent["Content-Type"] = "application/json"
    done = []
    try:
        for number, body in bodies:
            start = time.perf_counter()
            connection.request("POST", path, body, sent)
            reply = connection.getresponse()
            answer = reply.read()
            elapsed = (time.perf_counter() - start) * 1000
            if reply.status not in (200, UNAVAILABLE):
                raise RuntimeError(f"search answered {reply.status}: {answer[:300]!r}")
            done.append((number, elapsed, (reply.status, answer)))
    finally:
        connection.close()
    return done


def person_number(candidate: dict[str, Any]) -> int:
    return int(candidate["name"].removeprefix("person "))


def recall(results: list[dict[str, Any]], truth: list[list[int]]) -> tuple[float, float]:
    at1 = at10 = 0.0
    for result, expected in zip(results, truth, strict=True):
        found = [person_number(c) for c in result["candidates"]]
        at1 += bool(found) and found[0] == expected[0]
        at10 += len(set(found[:10]) & set(expected[:10])) / 10
    return at1 / len(truth), at10 / len(truth)


def read_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


def stream_import(client: httpx.Client, collection: str, chunks: Iterator[bytes]) -> dict[str, Any]:
    reply = client.post(
        f"/api/v1/collections/{collection}/import",
        content=chunks,
        headers={"content-type": "application/x-ndjson"},
        timeout=3600,
    )
    if reply.status_code != 200:
        sys.exit(f"import failed: {reply.status_code} {reply.text[:500]}")
    body: dict[str, Any] = reply.json()
    return body


def wait_for_index(searcher: Searcher, client: httpx.Client, probe: np.ndarray, timeout_s: float = 600) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            _, result = searcher.search(client, probe, exact=False)
        except httpx.HTTPStatusError as exc:
            # Until the index is loaded a search scans in SQL, which can outlast the gateway's deadline.
            if exc.response.status_code != 503:
                raise
            result = {"search_method": "loading"}
        if result["search_method"] == "index":
            return time.monotonic() - start
        time.sleep(0.5)
    return float("nan")


def identify_ms(client: httpx.Client, collection: str, image: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    reply = client.post(f"/api/v1/collections/{collection}/identify", files={"file": ("g.jpg", image)})
    elapsed = (time.perf_counter() - start) * 1000
    reply.raise_for_status()
    return elapsed, len(reply.json()["faces"])


def identify_share(
    client: httpx.Client, model: synthetic.Model, collection: str, vectors: np.ndarray, runs: int
) -> dict[str, Any]:
    """A group photo identified against the big collection and against a one-person one."""
    image = (photos.data_dir() / GROUP_PHOTO).read_bytes()
    small = f"{collection}-small"
    client.delete(f"/api/v1/collections/{small}")
    stream_import(client, small, synthetic.collection_file(model, vectors[:PER_PERSON], PER_PERSON))
    for warm in (collection, small):
        identify_ms(client, warm, image)
    # Alternated, first one then the other, so the machine's drift weighs on both galleries alike.
    big: list[float] = []
    small_times: list[float] = []
    faces = 0
    for run in range(runs):
        for gallery in (collection, small)[:: 1 if run % 2 == 0 else -1]:
            elapsed, faces = identify_ms(client, gallery, image)
            (big if gallery == collection else small_times).append(elapsed)
    client.delete(f"/api/v1/collections/{small}")
    big_ms, small_ms = statistics.median(big), statistics.median(small_times)
    return {
        "faces": faces,
        "p50_ms": round(big_ms, 1),
        "p50_ms_one_face_gallery": round(small_ms, 1),
        "search_share": round(max(0.0, big_ms - small_ms) / big_ms, 3),
    }


def bench_size(
    url: str, client: httpx.Client, model: synthetic.Model, size: int, args: argparse.Namespace, stack: Stack | None
) -> dict[str, Any]:
    rng = np.random.default_rng(size)
    collection = args.keep or f"bench-search-{size}"
    client.delete(f"/api/v1/collections/{collection}")
    vectors = synthetic.unit_vectors(rng, size, model.dimension)
    db_before, mem_before = database_bytes(url), registry_mb(url)
    with tempfile.TemporaryDirectory(prefix="facerec-bench-file-") as folder:
        # Written first and sent from disk, as `facerec import` sends a file: making the file is
        # no part of an import (at 1M faces, ~23 s of CPU on the cores the stack uses).
        file = Path(folder) / "gallery.jsonl"
        with file.open("wb") as out:
            out.writelines(synthetic.collection_file(model, vectors, PER_PERSON))
            out.flush()
            os.fsync(out.fileno())  # its writing-back is not timed either
        start = time.monotonic()
        imported = stream_import(client, collection, read_chunks(file))
        import_s = time.monotonic() - start
    print(f"  imported {imported['faces_imported']:,} faces in {import_s:.1f} s", flush=True)
    searcher = Searcher(url, collection, dict(client.headers))
    index_s = wait_for_index(searcher, client, vectors[0])
    db_after, mem_after = database_bytes(url), registry_mb(url)
    vacuum_s = wait_for_vacuum(url) if args.settle else None
    if vacuum_s is not None:
        print(f"  autovacuum after the import done {vacuum_s:.0f} s later; searching now", flush=True)

    targets = rng.choice(size, args.queries, replace=False)
    genuine = synthetic.probes_near(rng, vectors[targets], rng.uniform(0.3, 0.8, args.queries).astype(np.float32))
    strangers = synthetic.unit_vectors(rng, args.queries // 4, model.dimension)
    probes = np.concatenate([genuine, strangers])
    truth = [exact_people(vectors, p, 10) for p in probes]
    record: dict[str, Any] = {
        "faces": size,
        "import_s": round(import_s, 1),
        "import_faces_per_s": round(size / import_s),
        "index_ready_after_import_s": round(index_s, 1),
        "vacuum_after_import_s": None if vacuum_s is None else round(vacuum_s),
    }
    # The host's own pauses, beside the latencies they lengthen (read with the stack idle).
    record["host_stalls_before"] = machine.stalls()
    print(f"  host before the searches: {machine.stalls_summary(record['host_stalls_before'])}", flush=True)
    for method, exact in (("index", False), ("exact", True)):
        subset = probes if not exact else probes[: args.exact_queries]
        if not len(subset):
            continue
        for clients in (1, 4):
            ms, results = searcher.run(subset, exact, clients)
            row: dict[str, Any] = dict(percentiles(ms))
            used = {r["search_method"] for r in results if r["search_method"] is not None}
            row["method"] = "/".join(sorted(used))
            failed = [r["failed"] for r in results if "failed" in r]
            if failed:
                row["failed"] = dict(collections.Counter(failed))
                print(f"  {method}, {clients} clients: {len(failed)} of {len(results)} answered 503 {row['failed']}")
            if clients == 1:
                g = len(genuine) if not exact else min(len(genuine), len(subset))
                row["recall@1_genuine"], row["recall@10_genuine"] = recall(results[:g], truth[:g])
                if not exact:
                    row["recall@1_strangers"], _ = recall(results[g:], truth[g : len(subset)])
                    row["strangers_unmatched"] = sum(not r["match"] for r in results[g:]) / max(1, len(results) - g)
            record[f"{method}_{clients}c"] = row
    record["host_stalls_after"] = machine.stalls()
    print(f"  host after the searches: {machine.stalls_summary(record['host_stalls_after'])}", flush=True)
    if db_before is not None and db_after is not None:
        record["database_mb_per_million"] = round((db_after - db_before) / 2**20 * 1e6 / size)
    if mem_before is not None and mem_after is not None:
        record["registry_mb"] = mem_after
        record["registry_mb_per_million"] = round((mem_after - mem_before) * 1e6 / size)

    if args.identify_runs:
        record["identify_group"] = identify_share(client, model, collection, vectors, args.identify_runs)
    if stack is not None:
        stack.group.stop("registry")
        started = time.monotonic()
        stack.group.restart("registry")
        stack.group.wait_grpc("registry", stack.address("registry"), 300)
        record["registry_restart_to_index_s"] = round(
            time.monotonic() - started + wait_for_index(searcher, client, vectors[0]), 1
        )
    if not args.keep:
        client.delete(f"/api/v1/collections/{collection}")
    return record


def print_table(records: list[dict[str, Any]]) -> None:
    print("\n| faces | method | clients | p50 ms | p95 ms | p99 ms | recall@1 | recall@10 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in records:
        for method in ("index", "exact"):
            for clients in (1, 4):
                row = r.get(f"{method}_{clients}c")
                if row is None:  # --exact-queries 0
                    continue
                r1 = row.get("recall@1_genuine", "")
                r10 = row.get("recall@10_genuine", "")
                print(
                    f"| {r['faces']:,} | {row['method']} | {clients} | {row['p50']} | {row['p95']} | {row['p99']} "
                    f"| {r1 if r1 == '' else f'{r1:.3f}'} | {r10 if r10 == '' else f'{r10:.3f}'} |"
                )
    for r in records:
        extra = {k: v for k, v in r.items() if not k.endswith("c")}
        print(json.dumps(extra))


def run(url: str, args: argparse.Namespace, stack: Stack | None) -> list[dict[str, Any]]:
    headers = {"x-api-key": os.environ["FACEREC_API_KEY"]} if os.environ.get("FACEREC_API_KEY") else {}
    records = []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        model = current_model(client, photos.data_dir())
        for size in args.faces:
            print(f"{size:,} faces ...", flush=True)
            records.append(bench_size(url, client, model, size, args, stack))
            print_table(records[-1:])
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000])
    parser.add_argument("--url", help="a running stack, e.g. http://127.0.0.1:8000 (default: a throwaway one)")
    parser.add_argument("--keep", metavar="NAME", help="leave the (last) loaded collection in place under NAME")
    parser.add_argument("--queries", type=int, default=400, help="genuine probes (plus a quarter as many strangers)")
    parser.add_argument(
        "--no-settle",
        dest="settle",
        action="store_false",
        help="search right after the import, while PostgreSQL's autovacuum reads the new rows",
    )
    parser.add_argument("--exact-queries", type=int, default=40, help="probes also searched with exact=true")
    parser.add_argument("--identify-runs", type=int, default=20)
    args = parser.parse_args()
    host = machine.describe()
    print(f"machine: {machine.summary(host)}", flush=True)
    if args.url:
        records = run(args.url, args, None)
    else:
        model_path = Path(os.environ.get("FACEREC_EMBEDDER_MODEL_PATH", ROOT / "models" / "w600k_mbf.onnx"))
        with tempfile.TemporaryDirectory(prefix="facerec-bench-") as tmp:
            stack = Stack(StackConfig(data_dir=Path(tmp), model_path=model_path, ports=Ports.free()))
            stack.start()
            try:
                records = run(stack.gateway_url, args, stack)
            finally:
                stack.stop()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"search-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps([{**record, "machine": host} for record in records], indent=2))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
