"""Detector throughput: our MTCNN on ONNX Runtime against the `mtcnn` package on TensorFlow,
on the same photos and cores, in one run.

    .venv/bin/python bench/detector.py [--photos 120] [--rounds 2]

Each runtime runs in a child process of its own (so import time and memory are its own): load,
warm up, then detect every photo (the dev set's portraits, group photos and photos without a
face, decoded once) one at a time, then with one worker thread per core. Both go through the
detector's own MtcnnDetector (same downscale, same minimum face), runtime "tensorflow" being the
`mtcnn` package itself. Rounds alternate the runtimes because this machine is noisy; each
figure is the best round. Prints photos/s, the ratio, start-up seconds and resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = {"onnx": "ours: MTCNN on ONNX Runtime", "tensorflow": "mtcnn 1.0.0 package (TensorFlow)"}


def _photos(count: int) -> list[Path]:
    from facerec_devstack import photos

    data = photos.data_dir()
    portraits = sorted((data / "faces").rglob("*.jpg"))
    others = sorted(p for folder in ("group", "no-face") for p in (data / folder).iterdir() if p.is_file())
    step = max(1, len(portraits) // max(1, count - len(others)))
    return (others + portraits[::step])[:count]


def child(runtime: str, count: int) -> dict[str, Any]:
    """One runtime, measured in this process."""
    started = time.perf_counter()
    from facerec_detector.mtcnn_runtime import MtcnnDetector
    from facerec_devstack.photos import load_rgb

    detector = MtcnnDetector(detect_max_side=1280, runtime=runtime)
    detector.warm_up()
    startup = time.perf_counter() - started
    images = [load_rgb(p) for p in _photos(count)]

    def detect(image: Any) -> int:
        return len(detector.detect(image, min_face_size=20.0, min_score=0.8))

    t0 = time.perf_counter()
    faces = sum(detect(image) for image in images)
    sequential = len(images) / (time.perf_counter() - t0)
    workers = len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        assert sum(pool.map(detect, images)) == faces
        parallel = len(images) / (time.perf_counter() - t0)
    return {
        "photos": len(images),
        "faces": faces,
        "startup_s": round(startup, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "photos_per_s_1": round(sequential, 2),
        "photos_per_s_workers": round(parallel, 2),
        "workers": workers,
    }


def run_child(runtime: str, count: int) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", runtime, "--photos", str(count)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=sorted(RUNTIMES), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.photos)))
        return

    rounds: dict[str, list[dict[str, Any]]] = {runtime: [] for runtime in RUNTIMES}
    for round_ in range(args.rounds):
        for runtime in RUNTIMES:
            result = run_child(runtime, args.photos)
            rounds[runtime].append(result)
            print(f"round {round_ + 1} {runtime}: {result}", file=sys.stderr)
    best = {
        runtime: {
            **results[0],
            "photos_per_s_1": max(r["photos_per_s_1"] for r in results),
            "photos_per_s_workers": max(r["photos_per_s_workers"] for r in results),
            "startup_s": min(r["startup_s"] for r in results),
        }
        for runtime, results in rounds.items()
    }
    ours, theirs = best["onnx"], best["tensorflow"]
    if ours["faces"] != theirs["faces"]:
        print(f"warning: faces found differ: {ours['faces']} vs {theirs['faces']}", file=sys.stderr)
    cores = ours["workers"]
    print(f"{ours['photos']} dev photos ({ours['faces']} faces), {cores} cores, best of {args.rounds} rounds\n")
    print(f"{'':36}{'photos/s 1 at a time':>22}{f'photos/s {cores} workers':>20}{'start-up':>10}{'peak RSS':>10}")
    for runtime, label in RUNTIMES.items():
        r = best[runtime]
        print(
            f"{label:36}{r['photos_per_s_1']:>22.2f}{r['photos_per_s_workers']:>20.2f}"
            f"{r['startup_s']:>9.1f}s{r['max_rss_mb']:>7} MB"
        )
    print(
        f"{'ratio':36}{ours['photos_per_s_1'] / theirs['photos_per_s_1']:>21.2f}x"
        f"{ours['photos_per_s_workers'] / theirs['photos_per_s_workers']:>19.2f}x"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"detector-{time.strftime('%Y%m%d-%H%M%S')}.json"
    from facerec_devstack import machine

    path.write_text(json.dumps({"best": best, "rounds": rounds, "machine": machine.describe()}, indent=2) + "\n")
    print(f"\nwritten: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
