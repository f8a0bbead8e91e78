"""Which cosine threshold decides a match: 1:1 at the model's operating point, 1:N from a
target false-positive identification rate and the size of the gallery searched."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from facerec_common import open_set
from facerec_common.models import known_by_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Threshold:
    value: float
    basis: str  # "open_set", "one_to_one" or "request"
    target_fpir: float = 0.0


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
