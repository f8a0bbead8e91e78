"""Does embedding each face and its mirror image (the sum, as the model's authors evaluate) pay
for its cost? On the crowd, side by side in one run.

    .venv/bin/python bench/mirror_embedding.py [--people N]

Detects every crowd photo with the services' own detector, embeds each face's aligned crop and
its left-right mirror with the services' own model, and scores the photos' subjects both ways:
LFW's 10-fold 1:1 protocol on the crowd's pairs, and FNIR at FPIR 0.3 % / 1 % with every photo a
stranger against rotated 1,560-person galleries (thresholds found from the strangers' scores
themselves, since the service's calibration is for plain embeddings). Prints the embedding time
per face both ways and the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facerec_devstack import crowd, photos
from facerec_devstack.inprocess import InProcessPipeline
from facerec_devstack.machine import describe, summary

ROOT = Path(__file__).resolve().parents[1]


def fnir_at_fpir_rotated(
    photos_: list[crowd.Photo], gallery_people: int, fpirs: tuple[float, ...], folds: int = 5, seed: int = 1729
) -> dict[str, float]:
    """Every photo with several of its person's photos is a mated probe (its person enrolled from
    another photo) and every photo a stranger to galleries without its person; FNIR at each FPIR."""
    stranger_top: list[float] = []
    mated: list[tuple[bool, float]] = []
    for r in crowd.rotations(photos_, gallery_people, folds, seed):
        gallery = r.vectors[[r.first[n] for n in r.gallery]]
        stranger_top += list((r.vectors[r.probes] @ gallery.T).max(axis=1))
        # Mated: the same gallery with each of this fold's people enrolled from their first photo.
        own = sorted({r.people[i] for i in r.probes})
        both = np.concatenate([gallery, r.vectors[[r.first[n] for n in own]]])
        labels = r.gallery + own
        for i in r.probes:
            if i == r.first[r.people[i]]:
                continue
            scores = both @ r.vectors[i]
            best = int(np.argmax(scores))
            mated.append((labels[best] == r.people[i], float(scores[best])))
    out = {}
    for fpir in fpirs:
        _, fnir = crowd.fnir_at_fpir(mated, np.array(stranger_top), fpir)
        out[f"fnir_at_fpir_{fpir:g}"] = round(fnir, 4)
    out["mated_probes"] = len(mated)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="a quick subset of the crowd")
    args = parser.parse_args()
    model = ROOT / "models" / "w600k_mbf.onnx"
    pipeline = InProcessPipeline(model)
    plain_s = mirror_s = 0.0
    plain_photos, mirror_photos = [], []
    for photo in crowd.load(photos.data_dir(), model, args.people):
        detection = pipeline.detector.run(photo.path.read_bytes(), pipeline.all_faces)
        crops: npt.NDArray[np.uint8] = (
            np.stack([f.aligned for f in detection.faces]) if detection.faces else np.zeros((0, 112, 112, 3), np.uint8)
        )
        started = time.perf_counter()
        plain = pipeline.model.embed(crops)
        plain_s += time.perf_counter() - started
        started = time.perf_counter()
        both = pipeline.model.embed(np.concatenate([crops, crops[:, :, ::-1]])) if len(crops) else plain
        summed = both[: len(crops)] + both[len(crops) :] if len(crops) else plain
        mirrored = summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
        mirror_s += time.perf_counter() - started
        if len(photo.faces) != len(crops):
            continue  # detected otherwise than when cached: leave the photo out of both
        plain_photos.append(dataclasses.replace(photo, faces=dataclasses.replace(photo.faces, embeddings=plain)))
        mirror_photos.append(
            dataclasses.replace(photo, faces=dataclasses.replace(photo.faces, embeddings=mirrored.astype(np.float32)))
        )
    faces = sum(len(p.faces) for p in plain_photos)
    result: dict[str, Any] = {"machine": describe(), "photos": len(plain_photos), "faces": faces}
    for label, photos_, seconds in (("plain", plain_photos, plain_s), ("mirror_sum", mirror_photos, mirror_s)):
        result[label] = {
            "embed_ms_per_face": round(1000 * seconds / max(faces, 1), 2),
            "verification_10fold": crowd.verification_10fold(photos_),
            "open_set_rotated": fnir_at_fpir_rotated(photos_, 1560, (0.003, 0.01)),
        }
    print(summary(result["machine"]))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
