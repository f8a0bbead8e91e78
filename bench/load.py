"""Sustained mixed load: identify, enrol and list through the REST API for a set duration.

A fixed number of concurrent clients (closed loop: each sends its next request when the
last one is answered) or, with --rate, requests paced at a target rate with the same cap
on requests in flight. Nothing queues without bound: the load is what the stack can carry.

Setup enrols the first photo of every person in <data>/faces into a collection of its own
(`load-<time>`, deleted at the end unless --keep). Then, for --warmup seconds (not counted:
models and caches settle) and --duration seconds (counted), each client picks an operation
by --mix weights:

    identify  POST /collections/{c}/identify  with another photo of a random person
    enrol     POST /collections/{c}/people/{id}/faces  another photo of a random person
    list      GET  /collections/{c}/people  or  .../faces?person_id=  (alternating)

It prints throughput, latency percentiles and errors per operation, identify's rank-1
rate, and the memory of each service at the start and the end of the counted part
(sampled every few seconds; RSS of each service, PSS of PostgreSQL's processes). Exit
status 1 when a request failed or a service's memory grew more than --max-growth-mb.
Figures go to bench/results/load-<time>.json too.

    make load                                               # its own stack on free ports, 3 min
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --duration 600 --clients 4
    .venv/bin/python bench/load.py --rate 3 --mix identify=8,enrol=1,list=1
    FACEREC_API_KEY=... .venv/bin/python bench/load.py --url ...  # keys mode: an admin key
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from facerec_devstack import machine, photos
from facerec_devstack.footprint import SHARED_BUFFERS, Part, memory_mb, stack_parts
from facerec_devstack.stack import gateway_url

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = ("identify", "enrol", "list")
EXPECTED = {"identify": 200, "enrol": 201, "list": 200}
HEADINGS = ("p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms")
HEADINGS = ("p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms")


@dataclass
class Person:
    person_id: str
    name: str
    probes: list[bytes]  # photos other than the enrolled one


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    identified: int = 0
    recognised: int = 0

    def record(self, seconds: float, error: str | None) -> None:
        self.latencies.append(seconds)
        if error:
            self.errors[error] += 1


@dataclass
class Sample:
    at_s: float
    memory_mb: dict[str, float]


def parse_mix(text: str) -> dict[str, int]:
    mix = {op: 0 for op in OPERATIONS}
    for item in text.split(","):
        op, _, weight = item.partition("=")
        if op not in mix or not weight.isdigit():
            raise argparse.ArgumentTypeError(f"--mix wants e.g. identify=6,enrol=2,list=2, not {text!r}")
        mix[op] = int(weight)
    if not any(mix.values()):
        raise argparse.ArgumentTypeError("--mix needs at least one weight above 0")
    return mix


def percentile(sorted_ms: list[float], q: float) -> float:
    return round(sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))], 1)


def summary(tally: Tally, seconds: float) -> dict[str, object]:
    ms = sorted(1000 * t for t in tally.latencies)
    out: dict[str, object] = {"requests": len(ms), "throughput_rps": round(len(ms) / seconds, 2)}
    if ms:
        out |= {f"p{int(q * 100)}_ms": percentile(ms, q) for q in (0.5, 0.9, 0.95, 0.99)}
        out["max_ms"] = round(ms[-1], 1)
    out["errors"] = sum(tally.errors.values())
    out["error_kinds"] = dict(tally.errors)
    return out


def _error(reply: httpx.Response, expected: int) -> str | None:
    if reply.status_code == expected:
        return None
    try:
        code = reply.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    return f"{reply.status_code} {code}".strip()


class Load:
    def __init__(self, client: httpx.AsyncClient, collection: str, people: list[Person], mix: dict[str, int]) -> None:
        self.client = client
        self.base = f"/api/v1/collections/{collection}"
        self.people = people
        self.ops, self.weights = zip(*mix.items(), strict=True)
        self.tallies = {op: Tally() for op in OPERATIONS}
        self.rng = random.Random(7)
        self.lists = 0

    async def one(self) -> None:
        op: str = self.rng.choices(self.ops, self.weights)[0]
        person = self.rng.choice(self.people)
        probe = self.rng.choice(person.probes)
        tally = self.tallies[op]
        start = time.perf_counter()
        try:
            if op == "identify":
                reply = await self.client.post(f"{self.base}/identify", files={"file": ("p.jpg", probe, "image/jpeg")})
            elif op == "enrol":
                reply = await self.client.post(
                    f"{self.base}/people/{person.person_id}/faces",
                    data={"select": "largest"},
                    files={"file": ("p.jpg", probe, "image/jpeg")},
                )
            else:
                self.lists += 1
                if self.lists % 2:
                    reply = await self.client.get(f"{self.base}/people", params={"limit": 50})
                else:
                    reply = await self.client.get(f"{self.base}/faces", params={"person_id": person.person_id})
        except httpx.HTTPError as exc:
            tally.record(time.perf_counter() - start, type(exc).__name__)
            return
        tally.record(time.perf_counter() - start, _error(reply, EXPECTED[op]))
        if op == "identify" and reply.status_code == 200:
            faces = reply.json()["faces"]
            tally.identified += 1
            top = faces[0] if faces else None
            tally.recognised += bool(top and top["match"] and top["candidates"][0]["person_id"] == person.person_id)

    async def run(self, seconds: float, clients: int, rate: float | None) -> None:
        """Until `seconds` pass: `clients` loops; with `rate`, they share one schedule of that many
        requests/s (after a stall at most 1 s of missed slots is caught up)."""
        end = time.monotonic() + seconds
        next_slot = time.monotonic()

        async def client_loop() -> None:
            nonlocal next_slot
            while time.monotonic() < end:
                if rate:
                    slot, next_slot = next_slot, max(next_slot, time.monotonic() - 1.0) + 1.0 / rate
                    await asyncio.sleep(max(0.0, slot - time.monotonic()))
                    if time.monotonic() >= end:
                        return
                await self.one()

        await asyncio.gather(*(client_loop() for _ in range(clients)))


async def enrol_gallery(client: httpx.AsyncClient, collection: str, people: dict[str, list[Path]]) -> list[Person]:
    limit = asyncio.Semaphore(4)

    async def enrol(name: str, paths: list[Path]) -> Person:
        async with limit:
            made = await client.post(f"/api/v1/collections/{collection}/people", json={"name": name})
            made.raise_for_status()
            person_id = made.json()["person_id"]
            face = await client.post(
                f"/api/v1/collections/{collection}/people/{person_id}/faces",
                data={"select": "largest"},
                files={"file": ("p.jpg", paths[0].read_bytes(), "image/jpeg")},
            )
            face.raise_for_status()
            return Person(person_id, name, [p.read_bytes() for p in paths[1:]])

    return list(await asyncio.gather(*(enrol(n, p) for n, p in people.items())))


async def sample_memory(parts: list[Part], start: float, every_s: float, into: list[Sample]) -> None:
    while True:
        memory = await asyncio.to_thread(memory_mb, parts)
        into.append(Sample(round(time.monotonic() - start, 1), memory))
        await asyncio.sleep(every_s)


async def progress(load: Load, start: float, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        done = sum(len(t.latencies) for t in load.tallies.values())
        errors = sum(sum(t.errors.values()) for t in load.tallies.values())
        elapsed = time.monotonic() - start
        print(f"  {elapsed:5.0f} s  {done:6d} requests  {done / elapsed:5.2f} req/s  {errors} errors", flush=True)


async def run(url: str, args: argparse.Namespace) -> dict[str, object]:
    people = dict(list(photos.people(args.data).items())[: args.people])
    collection = f"load-{time.strftime('%Y%m%d-%H%M%S')}"
    headers = {"X-API-Key": key} if (key := os.environ.get("FACEREC_API_KEY")) else {}
    limits = httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(base_url=url, timeout=args.timeout, headers=headers, limits=limits) as client:
        print(f"enrolling {len(people)} people into collection {collection} ...", flush=True)
        (await client.post("/api/v1/collections", json={"name": collection})).raise_for_status()
        try:
            gallery = await enrol_gallery(client, collection, people)
            load = Load(client, collection, gallery, args.mix)
            print(f"warm-up {args.warmup:.0f} s (not counted) ...", flush=True)
            await load.run(args.warmup, args.clients, args.rate)
            load.tallies = {op: Tally() for op in OPERATIONS}
            parts = stack_parts(url)
            samples: list[Sample] = []
            start = time.monotonic()
            background = [
                asyncio.create_task(sample_memory(parts, start, args.sample_every, samples)),
                asyncio.create_task(progress(load, start, 10.0)),
            ]
            print(f"load {args.duration:.0f} s ...", flush=True)
            await load.run(args.duration, args.clients, args.rate)
            elapsed = time.monotonic() - start
            for task in background:
                task.cancel()
            samples.append(Sample(round(elapsed, 1), memory_mb(parts)))
        finally:
            if not args.keep:
                await client.delete(f"/api/v1/collections/{collection}")
    everything = Tally()
    for tally in load.tallies.values():
        everything.latencies += tally.latencies
        everything.errors += tally.errors
    identify = load.tallies["identify"]
    return {
        "url": url,
        "clients": args.clients,
        "rate": args.rate,
        "mix": args.mix,
        "people": len(gallery),
        "seconds": round(elapsed, 1),
        "total": summary(everything, elapsed),
        **{op: summary(t, elapsed) for op, t in load.tallies.items() if t.latencies},
        "identify_rank1": round(identify.recognised / identify.identified, 4) if identify.identified else None,
        "memory": [asdict(s) for s in samples],
    }


def report(record: dict[str, object], max_growth_mb: float) -> bool:
    """Print the figures; True when there were no errors and memory stayed flat."""
    rows = ["total", *(op for op in OPERATIONS if op in record)]
    pace = f"{record['rate']} req/s" if record["rate"] else "unpaced"
    print(f"\n{record['seconds']} s, {record['clients']} clients, {pace}, mix {record['mix']}")
    print(f"{'':10}{'requests':>9}{'req/s':>8}" + "".join(f"{h:>9}" for h in HEADINGS) + f"{'errors':>8}")
    for row in rows:
        f = record[row]
        assert isinstance(f, dict)
        cells = [f.get(h.replace(" ", "_"), "-") for h in HEADINGS]
        print(
            f"{row:10}{f['requests']:>9}{f['throughput_rps']:>8}"
            + "".join(f"{c:>9}" for c in cells)
            + f"{f['errors']:>8}"
        )
        if f["error_kinds"]:
            print(f"{'':10}errors: {f['error_kinds']}")
    print(f"identify rank-1 (enrolled person found): {record['identify_rank1']}")
    memory = record["memory"]
    assert isinstance(memory, list)
    flat = True
    if not memory or not memory[0]["memory_mb"]:
        print("memory: the stack's processes are not on this machine (or not visible to this user)")
    else:
        print(f"\n{'memory MB':10}{'start':>9}{'end':>9}{'peak':>9}{'change':>9}")
        for name in memory[0]["memory_mb"]:
            series = [s["memory_mb"][name] for s in memory if name in s["memory_mb"]]
            change = series[-1] - series[0]
            # The buffer cache fills up to shared_buffers as the data grows: bounded, not a leak.
            flat &= change <= max_growth_mb or name == SHARED_BUFFERS
            print(f"{name:10}{series[0]:>9}{series[-1]:>9}{max(series):>9}{change:>+9.1f}")
        print(f"({SHARED_BUFFERS}: PostgreSQL's shared memory, mostly its buffer cache, capped by shared_buffers)")
    total = record["total"]
    assert isinstance(total, dict)
    ok = total["errors"] == 0 and flat
    print(
        f"\n{'OK' if ok else 'FAILED'}: {total['errors']} errors, memory {'flat' if flat else 'grew'}"
        f" (limit +{max_growth_mb:.0f} MB per service)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running gateway, e.g. `make run`'s; default: a fresh stack on free ports")
    parser.add_argument("--duration", type=float, default=180, help="counted seconds of load (default 180)")
    parser.add_argument("--warmup", type=float, default=20, help="seconds of load before counting (default 20)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients = most requests in flight")
    parser.add_argument("--rate", type=float, help="target requests/s over all clients; default: as fast as answered")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("identify=6,enrol=2,list=2"))
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request counts as failed")
    parser.add_argument("--sample-every", type=float, default=5, help="seconds between memory samples")
    parser.add_argument("--max-growth-mb", type=float, default=32, help="memory growth per service that fails")
    parser.add_argument("--people", type=int, default=60, help="people enrolled before the load (default 60)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for the JSON record")
    parser.add_argument("--keep", action="store_true", help="keep the load collection afterwards")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "w600k_mbf.onnx")
    parser.add_argument("--data", type=Path, default=photos.data_dir())
    args = parser.parse_args()
    if args.clients < 1 or args.duration <= 0 or args.warmup < 0 or (args.rate is not None and args.rate <= 0):
        parser.error("--clients, --duration and --rate must be positive, --warmup at least 0")

    with gateway_url(args.url, args.model) as url:
        record = asyncio.run(run(url, args))
    ok = report(record, args.max_growth_mb)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({**record, "machine": machine.describe()}, indent=2) + "\n")
    print(f"written to {path}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
