"""Embeddings on the wire as packed little-endian float32 (`facerec.common.v1.Embedding`)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from facerec.common.v1 import types_pb2
from facerec_common.errors import InvalidArgument

FLOAT32 = np.dtype("<f4")
# How far from 1 an embedding's L2 norm may be and still count as normalised (float32 rounding
# leaves ~1e-7; anything near 1e-3 was not normalised at all).
UNIT_NORM_TOLERANCE = 1e-3


def pack(vector: npt.NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype=FLOAT32).tobytes()


def unpack(data: bytes) -> npt.NDArray[np.float32]:
    if len(data) % FLOAT32.itemsize:
        raise InvalidArgument(f"A packed float32 vector has a multiple of 4 bytes; got {len(data)}.")
    vector: npt.NDArray[np.float32] = np.frombuffer(data, dtype=FLOAT32)
    return vector


def message(values: npt.ArrayLike) -> types_pb2.Embedding:
    """Values (an array, a list of floats) as the embedding message every service passes."""
    return types_pb2.Embedding(vector=pack(np.asarray(values, dtype=np.float32)))


def is_unit(vector: npt.NDArray[np.float32]) -> bool:
    """Whether the vector is L2-normalised (and finite), as every stored embedding must be."""
    norm = float(np.linalg.norm(vector.astype(np.float64)))
    return math.isfinite(norm) and abs(norm - 1.0) <= UNIT_NORM_TOLERANCE
