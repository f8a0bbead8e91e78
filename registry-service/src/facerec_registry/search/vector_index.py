"""One collection's face vectors held in memory, searched exhaustively or through a compressed index.

Pure computation, no database: `search.indexes` keeps these in step with PostgreSQL.

A `CollectionIndex` is a `base` (a frozen block of rows, with a FAISS product-quantisation
index over it once large enough) plus a `delta` of rows added since the base was built,
which is always scanned exactly. Deletes clear a row's bit in the base's `alive` mask or
drop it from the delta. Every change builds a new `Snapshot` and swaps it in whole, so a
search running in another thread reads one consistent state without locks.

Candidates from the compressed index are re-ranked with the exact float32 vectors, so every
similarity returned is exact; only which faces are considered can differ from a full scan.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from facerec_registry.face_arrays import Floats, Ids, Rows
from facerec_registry.search.ann import ShardedIndex, inner_products

Method = Literal["exact", "index"]


@dataclass(frozen=True)
class Hit:
    face_id: bytes
    person_id: bytes
    similarity: float


@dataclass(frozen=True)
class Snapshot:
    base: Rows
    alive: npt.NDArray[np.bool_]
    # Row numbers of base.face_ids in sorted order, to find a face's row by binary search.
    order: npt.NDArray[np.intp]
    ann: ShardedIndex | None  # compressed index over base rows, or None: base is scanned exactly
    delta: Rows
    dead: int  # rows of base no longer alive

    @property
    def size(self) -> int:
        return len(self.base) - self.dead + len(self.delta)


@dataclass(frozen=True)
class IndexSettings:
    # FAISS index over the base. Default: a random rotation (spreads the variance evenly over
    # the sub-quantisers), then product quantisation with 4-bit codes for every four
    # dimensions, scanned in full with SIMD ("fast scan"); chosen by measurement (README).
    factory: str | None = None
    # Collections smaller than this are scanned exactly: as fast, and exact.
    min_faces: int = 10_000
    # Compressed-index candidates re-ranked exactly per search (at least 8 per person asked for).
    candidates: int = 512

    def factory_for(self, dimension: int) -> str:
        return self.factory or f"RR{dimension},PQ{dimension // 4}x4fs"

    # Rebuild the base when the delta or the deleted rows pass this share of it.
    rebuild_ratio: float = 0.1
    # Threads one search reads the compressed index with (it is split into as many shards).
    threads: int = 2


@dataclass
class CollectionIndex:
    """The faces of one collection and model, as of change number `applied_seq`."""

    collection_id: bytes
    model_version: str
    dimension: int
    settings: IndexSettings
    applied_seq: int = 0
    snapshot: Snapshot = field(init=False)
    # The current names of the people these faces belong to, by person id (16 bytes), as of
    # `applied_seq` or later: added with their faces or renamed, gone with their last face.
    names: dict[bytes, str] = field(default_factory=dict)
    _write: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.snapshot = _snapshot(Rows.empty(self.dimension), None, Rows.empty(self.dimension))

    # -- changes (one writer at a time; searches never wait)

    def reset(self, rows: Rows, seq: int, names: dict[bytes, str]) -> None:
        """Replace everything with `rows` and `names` (a full load); the caller builds the index with `rebuild`."""
        with self._write:
            self.snapshot = _snapshot(Rows.empty(self.dimension), None, rows)
            self.names = names
            self.applied_seq = seq

    def apply(self, removed: Ids, added: Rows, seq: int, names: dict[bytes, str], faceless: Ids | None = None) -> None:
        """Drop `removed` face ids, then add `added` rows and `names` (new and renamed people) and
        forget the names of `faceless` people: the changes up to change number `seq`."""
        with self._write:
            self.names.update(names)
            for person in faceless if faceless is not None else ():
                self.names.pop(person.tobytes(), None)
            s = self.snapshot
            alive, dead, delta = s.alive, s.dead, s.delta
            if len(removed):
                in_base = _rows_of(s.base.face_ids, s.order, removed)
                in_base = in_base[alive[in_base]]
                if len(in_base):
                    alive = alive.copy()
                    alive[in_base] = False
                    dead += len(in_base)
                if len(delta):
                    delta = delta.take(~np.isin(delta.face_ids, removed))
            if len(added):
                delta = Rows.concat([delta, added]) if len(delta) else added
            self.snapshot = replace(s, alive=alive, dead=dead, delta=delta)
            self.applied_seq = seq

    def people_of(self, face_ids: Ids) -> Ids:
        """The distinct people that the faces `face_ids` (of those held) belong to."""
        s = self.snapshot
        if not len(face_ids):  # most catch-ups delete nothing: no pass over every row
            return s.base.person_ids[:0]
        in_base = _rows_of(s.base.face_ids, s.order, face_ids)
        in_delta = np.isin(s.delta.face_ids, face_ids)
        return np.unique(np.concatenate([s.base.person_ids[in_base], s.delta.person_ids[in_delta]]))

    def needs_rebuild(self) -> bool:
        s = self.snapshot
        if s.ann is None:
            return s.size >= self.settings.min_faces
        limit = self.settings.rebuild_ratio * len(s.base)
        return len(s.delta) > limit or s.dead > limit

    def rebuild(self) -> None:
        """Fold the delta into a new base with a fresh compressed index (seconds per million rows).

        Runs outside the write lock so searches and small changes go on; changes that land
        meanwhile are carried over before the swap.
        """
        start = self.snapshot
        rows = Rows.concat([start.base.take(start.alive), start.delta])
        ann = _build_ann(rows.vectors, self.settings) if len(rows) >= self.settings.min_faces else None
        with self._write:
            now = self.snapshot
            # Rows deleted or added since `start`: deletes cleared alive bits or left the delta.
            gone = np.concatenate([start.base.face_ids[start.alive & ~now.alive], _missing(start.delta, now.delta)])
            fresh = now.delta.take(~np.isin(now.delta.face_ids, start.delta.face_ids))
            snapshot = _snapshot(rows, ann, fresh)
            if len(gone):
                rows_gone = _rows_of(snapshot.base.face_ids, snapshot.order, gone)
                alive = snapshot.alive.copy()
                alive[rows_gone] = False
                snapshot = replace(snapshot, alive=alive, dead=len(rows_gone))
            self.snapshot = snapshot

    # -- search (any thread)

    def search(self, query: Floats, top_k: int, exact: bool) -> tuple[list[Hit], Method]:
        """The best face of each of the `top_k` most similar people, most similar first."""
        return self.search_many(query[None, :], top_k, exact)[0]

    def search_many(self, queries: Floats, top_k: int, exact: bool) -> list[tuple[list[Hit], Method]]:
        """`search` for each row of `queries`, in one pass over the index (a group photo's faces)."""
        s = self.snapshot
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        use_index = s.ann is not None and not exact
        method: Method = "index" if use_index else "exact"
        delta_scores = queries @ s.delta.vectors.T
        if s.ann is not None and use_index:
            wanted = max(self.settings.candidates, 8 * top_k)
            # Over-ask by the dead rows so deletes never starve the candidates.
            ask = min(wanted + s.dead, len(s.base))
            found = s.ann.search(queries, ask, self.settings.threads)
        else:
            all_scores = queries @ s.base.vectors.T
        results = []
        for i, query in enumerate(queries):
            if use_index:
                rows = found[i][found[i] >= 0]
                rows = rows[s.alive[rows]]
                base_scores = inner_products(s.base.vectors, rows, query)
                base_faces, base_people = s.base.face_ids[rows], s.base.person_ids[rows]
            else:
                base_scores = np.where(s.alive, all_scores[i], -np.inf).astype(np.float32)
                base_faces, base_people = s.base.face_ids, s.base.person_ids
            scores = np.concatenate([base_scores, delta_scores[i]])
            faces = np.concatenate([base_faces, s.delta.face_ids])
            people = np.concatenate([base_people, s.delta.person_ids])
            results.append((_best_per_person(scores, faces, people, top_k), method))
        return results

    def memory_bytes(self) -> int:
        s = self.snapshot
        arrays = (s.base.vectors, s.base.face_ids, s.base.person_ids, s.alive, s.order)
        delta = (s.delta.vectors, s.delta.face_ids, s.delta.person_ids)
        ann = s.ann.code_bytes if s.ann is not None else 0
        return sum(a.nbytes for a in (*arrays, *delta)) + ann


def _snapshot(base: Rows, ann: ShardedIndex | None, delta: Rows) -> Snapshot:
    order = np.argsort(base.face_ids, kind="stable")
    return Snapshot(base=base, alive=np.ones(len(base), bool), order=order, ann=ann, delta=delta, dead=0)


def _rows_of(face_ids: Ids, order: npt.NDArray[np.intp], wanted: Ids) -> npt.NDArray[np.intp]:
    """Rows of `face_ids` (sorted by `order`) holding any of `wanted`; absent ids are skipped."""
    if not len(face_ids):
        return np.empty(0, np.intp)
    at = np.searchsorted(face_ids[order], wanted)
    at = np.minimum(at, len(order) - 1)
    hit = face_ids[order[at]] == wanted
    rows: npt.NDArray[np.intp] = order[at[hit]]
    return rows


def _missing(before: Rows, after: Rows) -> Ids:
    return before.face_ids[~np.isin(before.face_ids, after.face_ids)]


def _build_ann(vectors: Floats, settings: IndexSettings) -> ShardedIndex:
    return ShardedIndex.build(vectors, settings.factory_for(vectors.shape[1]), settings.threads)


def _best_per_person(scores: Floats, faces: Ids, people: Ids, top_k: int) -> list[Hit]:
    """Top `top_k` people by their best face. Widens the look until it has enough people."""
    valid = int(np.isfinite(scores).sum())
    look = min(valid, 4 * top_k)
    while True:
        top = np.argpartition(-scores, look - 1)[:look] if 0 < look < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        hits: list[Hit] = []
        seen: set[bytes] = set()
        for row in top:
            person = people[row].tobytes()
            if person not in seen:
                seen.add(person)
                hits.append(Hit(faces[row].tobytes(), person, float(scores[row])))
                if len(hits) == top_k:
                    return hits
        if look >= valid:
            return hits
        look = min(valid, look * 4)


__all__ = ["CollectionIndex", "Hit", "IndexSettings", "Method"]
