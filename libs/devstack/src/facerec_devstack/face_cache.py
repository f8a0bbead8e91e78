"""Every face the product finds in a photo, with its embedding, cached by model and file hash.

Accuracy work on the crowd (4,901 photos) needs each photo detected and every face embedded
once: about ten minutes on 2 cores. This runs the services' own detector and model in process
and keeps the result per photo under `.cache/faces/<detector>-<model version>/`, so a rerun
reads it back in seconds. What is cached is what the detector answers (box, score, landmarks,
pose) plus the embedding of each face: enough to replay face choice and matching offline.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facerec_common.subject import Choice, FaceGeometry, choose

ROOT = Path(__file__).resolve().parents[4]
CACHE_DIR = ROOT / ".cache" / "faces"
# Bump when detection or alignment changes what a photo yields.
DETECTOR_KEY = "mtcnn-v1"


@dataclass(frozen=True)
class PhotoFaces:
    """One photo's faces in the detector's order (largest first)."""

    width: int
    height: int
    boxes: npt.NDArray[np.float32]  # (n, 4): x, y, width, height
    scores: npt.NDArray[np.float32]  # (n,)
    landmarks: npt.NDArray[np.float32]  # (n, 5, 2)
    yaw_pitch: npt.NDArray[np.float32]  # (n, 2), degrees
    embeddings: npt.NDArray[np.float32]  # (n, dim), L2-normalised

    def __len__(self) -> int:
        return len(self.scores)

    def geometry(self) -> list[FaceGeometry]:
        """The faces as subject choice sees them (as the gateway builds them from the detector's answer)."""
        return [
            FaceGeometry(
                float(x), float(y), float(w), float(h), float(s), [(float(a), float(b)) for a, b in lm], float(yp[0])
            )
            for (x, y, w, h), s, lm, yp in zip(self.boxes, self.scores, self.landmarks, self.yaw_pitch, strict=True)
        ]

    def subject(self) -> Choice | None:
        return choose(self.geometry(), self.width, self.height) if len(self) else None


def _key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_version(model_path: Path) -> str:
    return _key(model_path)[:12]


def _folder(model_version: str) -> Path:
    return CACHE_DIR / f"{DETECTOR_KEY}-{model_version}"


def _load(file: Path) -> PhotoFaces:
    with np.load(file) as z:
        w, h = (int(v) for v in z["size"])
        return PhotoFaces(w, h, z["boxes"], z["scores"], z["landmarks"], z["yaw_pitch"], z["embeddings"])


_pipeline = None


def _worker_init(model_path: str) -> None:
    global _pipeline
    # One core per worker: the pool is the parallelism.
    for knob in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(knob, "1")
    from facerec_devstack.inprocess import InProcessPipeline

    _pipeline = InProcessPipeline(Path(model_path), threads=1)


def _compute(job: tuple[str, str]) -> str:
    path, target = job
    assert _pipeline is not None
    detection = _pipeline.detector.run(Path(path).read_bytes(), _pipeline.all_faces)
    faces = detection.faces
    dim = _pipeline.model.identity.dimension
    embeddings = (
        _pipeline.model.embed(np.stack([f.aligned for f in faces])) if faces else np.zeros((0, dim), np.float32)
    )
    tmp = Path(target).with_suffix(".tmp.npz")
    np.savez(
        tmp,
        size=np.array([detection.width, detection.height]),
        boxes=np.array([[f.raw.x, f.raw.y, f.raw.width, f.raw.height] for f in faces], np.float32).reshape(-1, 4),
        scores=np.array([f.raw.score for f in faces], np.float32),
        landmarks=np.array([f.raw.landmarks for f in faces], np.float32).reshape(-1, 5, 2),
        yaw_pitch=np.array([[f.quality.yaw_deg, f.quality.pitch_deg] for f in faces], np.float32).reshape(-1, 2),
        embeddings=np.asarray(embeddings, np.float32),
    )
    tmp.replace(target)
    return path


def faces_of(
    paths: Iterable[Path], model_path: Path, workers: int = 2, progress: bool = True
) -> dict[Path, PhotoFaces]:
    """Each photo's faces, from the cache where present; the rest computed (in `workers` processes)."""
    folder = _folder(model_version(model_path))
    folder.mkdir(parents=True, exist_ok=True)
    targets = {p: folder / f"{_key(p)}.npz" for p in paths}
    missing = [(str(p), str(t)) for p, t in targets.items() if not t.exists()]
    if missing:
        # Spawned, not forked: the caller may hold gRPC channels and threads, which a fork breaks.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=spawn, initializer=_worker_init, initargs=(str(model_path),)
        ) as pool:
            for done, _ in enumerate(pool.map(_compute, missing, chunksize=8), 1):
                if progress and (done % 100 == 0 or done == len(missing)):
                    print(f"  detected and embedded {done} / {len(missing)} photos", flush=True)
    return {p: _load(t) for p, t in targets.items()}


def photos_under(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.glob("*/*.jpg"))
