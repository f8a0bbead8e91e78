"""Embeddings on the wire as packed little-endian float32 (the embedder's answers)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from facerec_common.errors import InvalidArgument

FLOAT32 = np.dtype("<f4")


def pack(vector: npt.NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype=FLOAT32).tobytes()


def unpack(data: bytes) -> npt.NDArray[np.float32]:
    if len(data) % FLOAT32.itemsize:
        raise InvalidArgument(f"A packed float32 vector has a multiple of 4 bytes; got {len(data)}.")
    vector: npt.NDArray[np.float32] = np.frombuffer(data, dtype=FLOAT32)
    return vector
