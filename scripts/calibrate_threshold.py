"""Calibrate a model's thresholds on real photos: the 1:1 operating point and the impostor tail
that 1:N thresholds are derived from.

Takes each photo's subject (the product's own face choice) in <data>/faces and <data>/crowd
(4,901 unfiltered LFW photos of 2,560 people), scores every same-person pair and every
different-person pair, and records:
- `threshold`: the lowest score whose false-match rate (FMR) is at most --target-fmr (1:1);
- `impostor_tail`: the score at each FMR from 1e-1 down to the lowest rate the pairs can show,
  and the slope of its last decades, which extends it (facerec_common.open_set);
- FNMR on genuine pairs at each point, and a plot of the trade-off (docs/threshold-tradeoff.png).
Impostor pairs come only from photos with one face (about 9 million pairs): in a photo of two
people the face taken may be the other one, and LFW names a few people twice (ALIASES); both
would count one person's two photos as "different people" and fake the far tail.
The record goes to libs/common/src/facerec_common/calibration/<model>.json, which the services
read. Faces come from the cache of bench/accuracy.py (computed on first use, ~15 min on 2 cores).

    .venv/bin/python scripts/calibrate_threshold.py [--model models/w600k_mbf.onnx]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facerec_common import open_set
from facerec_devstack import face_cache, photos
from facerec_devstack.crowd import ALIASES

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "libs" / "common" / "src" / "facerec_common" / "calibration"
# Fewer impostor pairs than this above a point make its rate too noisy to record.
MIN_PAIRS_PER_POINT = 10
TAIL_FIT_FROM_FMR = 1e-4


def subject_vector(faces: face_cache.PhotoFaces) -> npt.NDArray[np.float32] | None:
    choice = faces.subject()
    return None if choice is None else faces.embeddings[choice.index]


def pair_scores(
    vectors: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], single: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(genuine, impostor) scores of every pair, by blocks of rows; impostor pairs only between
    photos with a single face."""
    genuine, impostor = [], []
    for start in range(0, len(vectors), 512):
        block = vectors[start : start + 512] @ vectors.T
        rows = np.arange(start, min(start + 512, len(vectors)))
        upper = np.arange(len(vectors))[None, :] > rows[:, None]
        same = labels[rows][:, None] == labels[None, :]
        genuine.append(block[upper & same])
        impostor.append(block[upper & ~same & single[rows][:, None] & single[None, :]])
    return np.concatenate(genuine), np.sort(np.concatenate(impostor))


def tail_points(impostor: npt.NDArray[np.float32]) -> list[tuple[float, float]]:
    n = len(impostor)
    points: list[tuple[float, float]] = []
    exponent = 1.0
    while True:
        fmr = 10**-exponent
        allowed = math.floor(fmr * n)
        if allowed < MIN_PAIRS_PER_POINT:
            return points
        # The lowest score with at most `allowed` impostor pairs at or above it.
        points.append((fmr, float(impostor[n - allowed - 1]) + 1e-4))
        exponent += 0.5


def plot(genuine: npt.NDArray[np.float32], tail: open_set.ImpostorTail, model: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.linspace(0.1, 0.8, 141)
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=100)
    for faces in (100, 10_000, 1_000_000, 100_000_000):
        fpir = [open_set.expected_fpir(tail, float(s), faces) for s in scores]
        ax.semilogy(scores, fpir, label=f"FPIR, gallery of {faces:,} faces")
    fnmr = [(genuine < s).mean() for s in scores]
    ax.semilogy(scores, np.maximum(fnmr, 1e-4), "k--", label="FNMR (genuine pairs below)")
    ax.axhline(open_set.DEFAULT_TARGET_FPIR, color="grey", linewidth=0.8)
    ax.set_ylim(1e-4, 1.05)
    ax.set_xlabel("threshold (cosine similarity)")
    ax.set_ylabel("rate")
    ax.set_title(f"{model}: strangers matched (FPIR) vs genuine pairs missed, by threshold")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "w600k_mbf.onnx")
    parser.add_argument("--data", type=Path, default=photos.data_dir())
    parser.add_argument("--target-fmr", type=float, default=open_set.DEFAULT_TARGET_FMR)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "threshold-tradeoff.png")
    args = parser.parse_args()

    paths = [*face_cache.photos_under(args.data / "faces"), *face_cache.photos_under(args.data / "crowd")]
    faces = face_cache.faces_of(paths, args.model)
    kept = [(p, v) for p in paths if (v := subject_vector(faces[p])) is not None]
    person = {p: ALIASES.get(p.parent.name, p.parent.name) for p, _ in kept}
    names = sorted(set(person.values()))
    labels = np.array([names.index(person[p]) for p, _ in kept])
    single = np.array([len(faces[p]) == 1 for p, _ in kept])
    vectors = np.stack([v for _, v in kept])
    genuine, impostor = pair_scores(vectors, labels, single)

    points = tail_points(impostor)
    fit = [(math.log10(f), s) for f, s in points if f <= TAIL_FIT_FROM_FMR]
    slope = float(np.polyfit([s for _, s in fit], [lf for lf, _ in fit], 1)[0])
    tail = open_set.ImpostorTail(tuple(points), decades_per_unit=-slope)
    threshold = tail.score_at(args.target_fmr)

    dev = [i for i, (p, _) in enumerate(kept) if p.parts[-3] == "faces"]
    dev_genuine, _ = pair_scores(vectors[dev], labels[dev], single[dev])
    version = face_cache.model_version(args.model)
    record = {
        "model": {"name": args.model.stem, "version": version, "dimension": int(vectors.shape[1])},
        "photos": len(kept),
        "photos_without_a_face": len(paths) - len(kept),
        "people": len(names),
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "target_fmr": args.target_fmr,
        "threshold": round(threshold, 4),
        "fnmr_at_threshold": round(float((genuine < threshold).mean()), 4),
        "fnmr_at_threshold_dev_faces": round(float((dev_genuine < threshold).mean()), 4),
        "impostor_tail": {
            "points": [[f, round(s, 4)] for f, s in points],
            "decades_per_unit": round(-slope, 3),
            "fnmr": [round(float((genuine < s).mean()), 4) for _, s in points],
        },
        "impostor_max": round(float(impostor[-1]), 4),
        "genuine_median": round(float(np.median(genuine)), 4),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.model.stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    plot(genuine, tail, args.model.stem, args.plot)
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
