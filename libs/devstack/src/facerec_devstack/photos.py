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
