"""Which cosine threshold decides a match for a given model."""

from __future__ import annotations

import logging

from facerec_common.models import known_by_version

log = logging.getLogger(__name__)


class ThresholdPolicy:
    def __init__(self, override: float | None, fallback: float) -> None:
        self._override = override
        self._fallback = fallback
        self._warned: set[str] = set()

    def for_model(self, version: str) -> float:
        if self._override is not None:
            return self._override
        known = known_by_version(version)
        if known is not None and known.threshold is not None:
            return known.threshold
        if version not in self._warned:
            self._warned.add(version)
            log.warning("model %s has no calibrated threshold; using %.3f", version, self._fallback)
        return self._fallback
