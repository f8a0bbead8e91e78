"""The machine a benchmark ran on: what it is (a line, or a record), and how often its host pauses it.

The 2-core machine the benchmarks run on has answered the same 100k-face search in 2.7 ms p50
one day and in 7-9 ms on others, the code unchanged. A figure names the processor and caches it
was measured on, and a latency tail the host's pauses of that hour, so that a change of host is
not read as a change of the code.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import psutil

CACHES = Path("/sys/devices/system/cpu/cpu0/cache")


def describe() -> dict[str, Any]:
    """Processor, usable cores, caches by level (as Linux reports them for cpu0) and memory."""
    return {
        "processor": _processor(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "caches": _caches(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
    }


def summary(machine: dict[str, Any]) -> str:
    """E.g. "Intel(R) Xeon(R) Processor (family 6 model 207), 2 cores, L1d 48 KiB, L2 2 MiB, L3 300 MiB, 23.5 GiB"."""
    caches = ", ".join(f"{name} {size}" for name, size in machine["caches"].items())
    parts = [machine["processor"], f"{machine['cores']} cores", caches, f"{machine['memory_gib']} GiB"]
    return ", ".join(part for part in parts if part)


def stalls(seconds: float = 5.0) -> dict[str, float]:
    """How much of `seconds` this machine ran a process at under half speed.

    A loop of fixed work that needs nothing but a core (no memory beyond its caches, no I/O) is
    timed round after round; a round that takes over twice the median ran while the core was
    taken away. On a shared 2-core host such pauses came every 1.5-2 s for about 0.1 s, with
    nothing of ours running, slowing every process 2-14x: they are what a latency tail can't
    avoid there, so a tail figure is read beside this one. Run it with the machine otherwise idle.
    """
    work = 1_000
    # Rounds of about half a millisecond, sized by the median of a few: one round may be paused.
    while statistics.median(_timed(work) for _ in range(5)) < 0.0005:
        work *= 2
    rounds = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        rounds.append(_timed(work))
    median = statistics.median(rounds)
    ordered = sorted(rounds)
    return {
        "round_ms": round(median * 1000, 3),
        "slow_share": round(sum(r for r in rounds if r > 2 * median) / sum(rounds), 4),
        "p99_over_p50": round(ordered[int(0.99 * (len(ordered) - 1))] / median, 2),
    }


def stalls_summary(found: dict[str, float]) -> str:
    return (
        f"under half speed {found['slow_share']:.1%} of the time "
        f"(a {found['round_ms']:.2f} ms compute round: p99 {found['p99_over_p50']:.1f}x its p50)"
    )


def _timed(work: int) -> float:
    started = time.perf_counter()
    sum(range(work))
    return time.perf_counter() - started


def _processor() -> str:
    """The model name, and the family and model numbers: virtual machines often hide the name."""
    try:
        fields = dict(
            (key.strip(), value.strip())
            for key, _, value in (line.partition(":") for line in Path("/proc/cpuinfo").read_text().splitlines())
            if value
        )
    except OSError:
        return platform.processor() or platform.machine()
    name = fields.get("model name", platform.machine())
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']} model {fields['model']})"
    return name


def _caches() -> dict[str, str]:
    """{"L1d": "48 KiB", "L2": "2 MiB", ...}: data and unified caches; empty where not reported."""
    found = {}
    for entry in sorted(CACHES.glob("index*")):
        try:
            level, kind, size = ((entry / name).read_text().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        if kind != "Instruction":
            found[f"L{level}" + ("d" if kind == "Data" else "")] = _size(size)
    return found


def _size(text: str) -> str:
    """Linux's "2048K" as "2 MiB"."""
    if not text.endswith("K") or not text[:-1].isdigit():
        return text
    kib = int(text[:-1])
    return f"{kib // 1024} MiB" if kib % 1024 == 0 else f"{kib} KiB"
