"""Every matching decision of the registry.

Which way a search goes: through this replica's index when it is current (checked by one
statement read while the index is searched); else in a transaction, through the index once it has
caught up with every change that transaction sees; else by the exact scan in SQL. And which
threshold decides a match: 1:1 at the model's operating point, 1:N from a target false-positive
identification rate and the size of the gallery searched.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facerec_common import open_set
from facerec_common.models import known_by_version
from facerec_registry import metrics
from facerec_registry.face_arrays import Vector
from facerec_registry.search.indexes import SearchIndexes
from facerec_registry.search.vector_index import Hit, Method
from facerec_registry.store import match_reads
from facerec_registry.store.connection import Database
from facerec_registry.store.records import Candidate, ModelRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Threshold:
    value: float
    basis: str  # "open_set", "one_to_one" or "request"
    target_fpir: float = 0.0


@dataclass(frozen=True)
class Matches:
    """For each query embedding, the best face of each person, most similar first; and what a
    1:N threshold is derived from: the faces searched and the collection's target FPIR."""

    found: list[tuple[list[Candidate], Method]]
    gallery_faces: int
    target_fpir: float | None


@dataclass(frozen=True)
class Verdict:
    """One query's answer: its candidates, and whether the best of them is a match."""

    candidates: list[Candidate]
    method: Method
    threshold: Threshold
    gallery_faces: int

    @property
    def match(self) -> bool:
        return bool(self.candidates) and self.candidates[0].similarity >= self.threshold.value


@dataclass(frozen=True)
class Comparison:
    similarity: float
    threshold: float

    @property
    def match(self) -> bool:
        return self.similarity >= self.threshold


class ThresholdPolicy:
    def __init__(self, override: float | None, fallback: float, default_target_fpir: float) -> None:
        self._override = override
        self._fallback = fallback
        self._default_target_fpir = default_target_fpir
        self._warned: set[tuple[str, str]] = set()

    def for_model(self, version: str) -> float:
        """The 1:1 threshold (verification, a search within one person)."""
        if self._override is not None:
            return self._override
        known = known_by_version(version)
        if known is not None and known.threshold is not None:
            return known.threshold
        self._warn(version, f"has no calibrated threshold; using {self._fallback:.3f}")
        return self._fallback

    def one_to_one(self, version: str, asked: float | None) -> Threshold:
        if asked is not None:
            return Threshold(asked, "request")
        return Threshold(self.for_model(version), "one_to_one")

    def open_set(
        self,
        version: str,
        gallery_faces: int,
        asked: float | None,
        request_fpir: float | None,
        collection_fpir: float | None,
    ) -> Threshold:
        """The 1:N threshold: a caller's threshold wins; else the one that keeps the chance of a
        stranger matching anyone at the target, for this many faces (never below 1:1's)."""
        if asked is not None:
            return Threshold(asked, "request")
        target = next(t for t in (request_fpir, collection_fpir, self._default_target_fpir) if t is not None)
        floor = self.for_model(version)
        known = known_by_version(version)
        if self._override is not None or known is None or known.impostor_tail is None:
            if self._override is None:
                self._warn(version, "has no measured impostor tail: 1:N uses the 1:1 threshold")
            return Threshold(floor, "one_to_one")
        value = open_set.identification_threshold(known.impostor_tail, gallery_faces, target, floor)
        return Threshold(value, "open_set", target)

    def _warn(self, version: str, message: str) -> None:
        if (version, message) not in self._warned:
            self._warned.add((version, message))
            log.warning("model %s %s", version, message)


class Matching:
    def __init__(self, db: Database, indexes: SearchIndexes | None, thresholds: ThresholdPolicy) -> None:
        self._db = db
        self._indexes = indexes
        self._thresholds = thresholds

    async def search(
        self,
        collection: str,
        model: ModelRef,
        embeddings: Sequence[Vector],
        top_k: int,
        person_id: uuid.UUID | None,
        exact: bool,
    ) -> Matches:
        """For each embedding, the best face of each person (of `person_id` alone, if given),
        most similar first."""
        started = time.perf_counter()
        matches = await self._search(collection, model, embeddings, top_k, person_id, exact)
        method = matches.found[0][1] if matches.found else "exact"
        metrics.SEARCH_SECONDS.labels(method).observe(time.perf_counter() - started)
        if person_id is None:
            metrics.COLLECTION_FACES.labels(collection).set(matches.gallery_faces)
        return matches

    def decide(
        self,
        matches: Matches,
        model_version: str,
        asked: float | None,
        request_fpir: float | None,
        one_to_one: bool,
    ) -> list[Verdict]:
        """Each query's verdict at the threshold that applies: 1:1 within one person, else 1:N
        (`asked`, a caller's own threshold, wins either way)."""
        if one_to_one:
            threshold = self._thresholds.one_to_one(model_version, asked)
        else:
            threshold = self._thresholds.open_set(
                model_version, matches.gallery_faces, asked, request_fpir, matches.target_fpir
            )
        return [Verdict(found, method, threshold, matches.gallery_faces) for found, method in matches.found]

    def compare(self, model_version: str, a: Vector, b: Vector, asked: float | None) -> Comparison:
        """Two embeddings of one model, at the model's 1:1 threshold unless one is asked for."""
        similarity = float(a.astype(np.float64) @ b.astype(np.float64))
        return Comparison(similarity, asked if asked is not None else self._thresholds.for_model(model_version))

    async def _search(
        self,
        collection: str,
        model: ModelRef,
        embeddings: Sequence[Vector],
        top_k: int,
        person_id: uuid.UUID | None,
        exact: bool,
    ) -> Matches:
        if person_id is None and self._indexes is not None:
            found = await self._current(self._indexes, collection, model, embeddings, top_k, exact)
            if found is not None:
                return found
        return await self._checked(collection, model, embeddings, top_k, person_id, exact)

    async def _current(
        self,
        indexes: SearchIndexes,
        collection: str,
        model: ModelRef,
        embeddings: Sequence[Vector],
        top_k: int,
        exact: bool,
    ) -> Matches | None:
        """The common case of an index that is current: one statement, read while the index is
        searched.

        The statement reads the collection's row, and sees every write answered before it. When that
        row shows no change the searched index had not applied, the index's hits and names are what
        `_checked` would answer; otherwise None, and the caller takes `_checked`'s way (also when the
        statement fails: `_checked` checks its connection first and answers, or says what is wrong).
        """
        read = await match_reads.head_during(
            self._db, collection, lambda: indexes.search_as_is(collection, model.version, embeddings, top_k, exact)
        )
        if read is None:
            return None
        searched, head = read
        if searched is None or head is None:
            return None  # no index here, or the collection is gone: `_checked` says so
        collection_id, applied_seq, faces, found, names = searched
        if (
            head.collection_id != collection_id
            or head.model_version != model.version
            or max(head.change_seq, head.reload_seq) > applied_seq
        ):
            return None
        results: list[tuple[list[Candidate], Method]] = []
        for hits, method in found:
            candidates = []
            for hit in hits:
                name = names.get(hit.person_id)
                if name is None:
                    return None  # not expected: `_checked` reads names from the database
                candidates.append(
                    Candidate(uuid.UUID(bytes=hit.face_id), uuid.UUID(bytes=hit.person_id), name, hit.similarity)
                )
            results.append((candidates, method))
        return Matches(results, faces, head.target_fpir)

    async def _checked(
        self,
        collection: str,
        model: ModelRef,
        embeddings: Sequence[Vector],
        top_k: int,
        person_id: uuid.UUID | None,
        exact: bool,
    ) -> Matches:
        """In one transaction: through the replica's index when it has one for the collection (it
        first catches up with every change this transaction can see); else by the exact SQL scan."""
        async with match_reads.checked_reads(self._db, collection, model, person_id) as reads:
            if not reads.comparable:
                return Matches([([], "exact") for _ in embeddings], 0, reads.target_fpir)
            state = reads.state(len(embeddings[0])) if person_id is None and self._indexes is not None else None
            if state is not None and self._indexes is not None:
                searched = await self._indexes.search(state, embeddings, top_k, exact)
                if searched is not None:
                    found, faces = searched
                    # A face deleted since the index last caught up has no owner any more: dropped.
                    owners = await reads.owners(list({uuid.UUID(bytes=h.face_id) for hits, _ in found for h in hits}))
                    return Matches(_with_names(found, owners), faces, reads.target_fpir)
            exact_found: list[tuple[list[Candidate], Method]] = [
                (await reads.exact(e, top_k, person_id), "exact") for e in embeddings
            ]
            faces = 0 if person_id is not None else await reads.face_count()
            return Matches(exact_found, faces, reads.target_fpir)


def _with_names(
    found: list[tuple[list[Hit], Method]], names: dict[uuid.UUID, tuple[uuid.UUID, str]]
) -> list[tuple[list[Candidate], Method]]:
    """Hits as candidates; a hit whose face is not in `names` (deleted) is dropped."""
    results: list[tuple[list[Candidate], Method]] = []
    for hits, method in found:
        candidates = []
        for hit in hits:
            face_id = uuid.UUID(bytes=hit.face_id)
            if face_id in names:
                person_id, name = names[face_id]
                candidates.append(Candidate(face_id, person_id, name, hit.similarity))
        results.append((candidates, method))
    return results
