"""Faces as aligned numpy arrays: the form the store reads them in and the search index holds them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

UUIDS = np.dtype("V16")  # uuid.UUID.bytes, so ids sort, compare and search without Python objects

Floats = npt.NDArray[np.float32]
# One embedding, float32, as read in place from its packed bytes.
Vector = npt.NDArray[np.float32]
Ids = npt.NDArray[np.void]
# People's names by 16-byte id, as search answers give them.
Names = dict[bytes, str]


@dataclass(frozen=True)
class Rows:
    """Faces as three aligned arrays."""

    vectors: Floats  # (n, dim), L2-normalised
    face_ids: Ids  # (n,) 16-byte UUIDs
    person_ids: Ids  # (n,)

    @classmethod
    def empty(cls, dimension: int) -> Rows:
        return cls(np.empty((0, dimension), np.float32), np.empty(0, UUIDS), np.empty(0, UUIDS))

    def __len__(self) -> int:
        return len(self.face_ids)

    def take(self, keep: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> Rows:
        return Rows(self.vectors[keep], self.face_ids[keep], self.person_ids[keep])

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(
            np.concatenate([p.vectors for p in parts]),
            np.concatenate([p.face_ids for p in parts]),
            np.concatenate([p.person_ids for p in parts]),
        )
