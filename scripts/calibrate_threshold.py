"""Calibrate the match threshold of an ArcFace model on real photos.

Embeds every photo in <data>/faces with the product's own detector and model,
scores all same-person pairs (genuine) and all different-person pairs
(impostor), and picks the lowest cosine threshold whose false-match rate on
impostor pairs is at most --target-fmr. Prints the figures and writes them as
JSON (docs/calibration/<model>.json) so the choice is recorded per model.

    .venv/bin/python scripts/calibrate_threshold.py [--model models/w600k_mbf.onnx]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from facerec_devstack import photos
from facerec_devstack.inprocess import InProcessPipeline

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "w600k_mbf.onnx")
    parser.add_argument("--data", type=Path, default=photos.data_dir())
    parser.add_argument("--target-fmr", type=float, default=1e-4)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "calibration")
    args = parser.parse_args()

    pipeline = InProcessPipeline(args.model)
    labels, vectors = [], []
    for person, paths in photos.people(args.data).items():
        for path in paths:
            vectors.append(pipeline.embed_largest_face(path.read_bytes()))
            labels.append(person)
    matrix = np.stack(vectors)
    genuine: list[float] = []
    impostor: list[float] = []
    for i, j in itertools.combinations(range(len(labels)), 2):
        (genuine if labels[i] == labels[j] else impostor).append(float(matrix[i] @ matrix[j]))
    gen, imp = np.array(genuine), np.sort(np.array(impostor))

    allowed = int(np.floor(args.target_fmr * len(imp)))  # impostor pairs allowed at or above the threshold
    threshold = float(imp[len(imp) - allowed - 1]) + 1e-4
    fmr = float((imp >= threshold).mean())
    fnmr = float((gen < threshold).mean())

    index = {
        str(p): k for k, p in enumerate(str(path) for paths in photos.people(args.data).values() for path in paths)
    }
    correct = 0
    listed = photos.pairs(args.data)
    for a, b, same in listed:
        score = float(matrix[index[str(a)]] @ matrix[index[str(b)]])
        correct += (score >= threshold) == same

    model = pipeline.model.identity
    report = {
        "model": {"name": model.name, "version": model.version, "dimension": model.dimension},
        "photos": len(labels),
        "people": len(set(labels)),
        "genuine_pairs": len(gen),
        "impostor_pairs": len(imp),
        "target_fmr": args.target_fmr,
        "threshold": round(threshold, 4),
        "fmr_at_threshold": fmr,
        "fnmr_at_threshold": round(fnmr, 4),
        "genuine": {"min": round(float(gen.min()), 4), "median": round(float(np.median(gen)), 4)},
        "impostor": {"max": round(float(imp.max()), 4), "p99.9": round(float(np.quantile(imp, 0.999)), 4)},
        "faces_pairs_accuracy": round(correct / len(listed), 4),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{model.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
