"""An ArcFace ONNX model behind one small interface: aligned RGB crops in, unit vectors out."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort

from facerec_common.models import known_by_version

log = logging.getLogger(__name__)

INPUT_SIZE = 112


@dataclass(frozen=True)
class ModelIdentity:
    name: str
    version: str
    dimension: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalisation(graph: onnx.GraphProto) -> tuple[float, float]:
    """(mean, std) the model expects: 0/1 when it normalises itself (leading Sub+Mul), else 127.5/127.5.

    The same rule InsightFace's ArcFaceONNX applies to its model zoo.
    """
    ops = [node.op_type for node in graph.node[:8]]
    if "Sub" in ops and "Mul" in ops:
        return 0.0, 1.0
    return 127.5, 127.5


def _dynamic_batch(model: onnx.ModelProto) -> None:
    # Many exported ArcFace files declare batch 1; ORT then warns on every larger batch.
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"


class ArcFaceModel:
    def __init__(self, path: Path, providers: list[str], max_batch: int, intra_op_threads: int = 0) -> None:
        sha256 = file_sha256(path)
        version = sha256[:12]
        known = known_by_version(version)
        model = onnx.load(str(path))
        self._mean, self._std = _normalisation(model.graph)
        _dynamic_batch(model)

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = intra_op_threads
        available = set(ort.get_available_providers())
        chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(model.SerializeToString(), options, providers=chosen)
        self._input = self._session.get_inputs()[0].name
        self.provider: str = self._session.get_providers()[0]
        self._max_batch = max_batch

        shape = self._session.get_inputs()[0].shape
        if list(shape[1:]) != [3, INPUT_SIZE, INPUT_SIZE]:
            raise ValueError(f"{path}: expected an ArcFace input of [N,3,112,112], got {shape}")
        dimension = int(self._session.get_outputs()[0].shape[1])
        self.identity = ModelIdentity(name=known.name if known else path.stem, version=version, dimension=dimension)
        log.info(
            "loaded %s (version %s, %d-d) on %s; sha256 %s",
            self.identity.name,
            version,
            dimension,
            self.provider,
            sha256,
        )

    def embed(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """[N,112,112,3] RGB uint8 -> [N,D] float32 with unit L2 norm."""
        if len(crops) == 0:
            return np.empty((0, self.identity.dimension), dtype=np.float32)
        outputs = [self._run(crops[i : i + self._max_batch]) for i in range(0, len(crops), self._max_batch)]
        vectors = np.concatenate(outputs).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
        return unit

    def _run(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        blob = (crops.astype(np.float32) - self._mean) / self._std
        blob = np.ascontiguousarray(blob.transpose(0, 3, 1, 2))
        result: npt.NDArray[np.float32] = self._session.run(None, {self._input: blob})[0]
        return result

    def warm_up(self, largest_batch: int = 1) -> list[int]:
        """Run batches of 1, 2, 4 ... `largest_batch` faces once, so early callers do not pay a
        provider's first-run cost for those shapes (cuDNN and TensorRT pick kernels per shape).
        Returns the batch sizes run."""
        shapes = sorted({min(1 << i, largest_batch) for i in range(max(largest_batch, 1).bit_length() + 1)})
        for batch in shapes:
            self.embed(np.zeros((batch, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8))
        return shapes
