"""The real test photos (../shared/data): where they are and how they are labelled."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from facerec_common.rgb import RgbArray

REPO_ROOT = Path(__file__).resolve().parents[4]


def data_dir() -> Path:
    return Path(os.environ.get("FACEREC_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))


def load_rgb(path: Path) -> RgbArray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)


def people(root: Path) -> dict[str, list[Path]]:
    """Person name -> their photos, sorted; every person in faces/ has at least 3."""
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted((root / "faces").iterdir()) if d.is_dir()}


def pairs(root: Path) -> list[tuple[Path, Path, bool]]:
    """faces-pairs.txt: (photo a, photo b, same person?)."""
    out = []
    for line in (root / "faces-pairs.txt").read_text().splitlines():
        if line.strip():
            a, b, label = line.split()
            out.append((root / a, root / b, label == "1"))
    return out


Box = tuple[float, float, float, float]


def group_faces(root: Path) -> dict[Path, list[Box]]:
    """group-faces.txt: photo -> its annotated face boxes (left, top, width, height)."""
    out = {}
    for line in (root / "group-faces.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, _, spec = line.split()
            out[root / path] = [tuple(float(v) for v in box.split(",")) for box in spec.split(";")]
    return out  # type: ignore[return-value]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (left, top, width, height) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)
