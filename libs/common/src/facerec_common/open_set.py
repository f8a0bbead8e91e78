"""Thresholds from a model's measured impostor score tail: 1:1 at a false-match rate (FMR),
1:N at a false-positive identification rate (FPIR) that holds as the gallery grows.

A stranger searched against a gallery of n faces is compared with each of them; if one
comparison falsely matches with probability f, some face matches with probability
1 - (1 - f)^n. So for a target FPIR the per-comparison rate must shrink with n, and the
threshold climbs the impostor tail. The tail is measured on millions of different-person
pairs (scripts/calibrate_threshold.py); below the lowest rate measured it is extended by
the exponential fit of its last decades.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

DEFAULT_TARGET_FMR = 1e-4
# NIST FRVT 1:N's reference operating point: 0.3 % of strangers matched to someone.
DEFAULT_TARGET_FPIR = 3e-3


@dataclass(frozen=True)
class ImpostorTail:
    """Scores at which the impostor false-match rate falls to each measured rate."""

    points: tuple[tuple[float, float], ...]  # (fmr, score), fmr decreasing, score increasing
    # Beyond the last point: log10(fmr) falls by this much per unit of score.
    decades_per_unit: float

    def score_at(self, fmr: float) -> float:
        """The lowest score whose false-match rate is at most `fmr`."""
        if not 0 < fmr < 1:
            raise ValueError("a false-match rate is in (0, 1)")
        points = self.points
        if fmr >= points[0][0]:
            return points[0][1]
        for (f_hi, s_lo), (f_lo, s_hi) in itertools.pairwise(points):
            if f_lo <= fmr <= f_hi:
                at = (math.log10(f_hi) - math.log10(fmr)) / (math.log10(f_hi) - math.log10(f_lo))
                return s_lo + at * (s_hi - s_lo)
        f_last, s_last = points[-1]
        return s_last + (math.log10(f_last) - math.log10(fmr)) / self.decades_per_unit

    def fmr_at(self, score: float) -> float:
        """The false-match rate of one comparison at `score` (the inverse of score_at)."""
        points = self.points
        if score <= points[0][1]:
            return points[0][0]
        for (f_hi, s_lo), (f_lo, s_hi) in itertools.pairwise(points):
            if s_lo <= score <= s_hi:
                at = (score - s_lo) / max(s_hi - s_lo, 1e-12)
                return float(10 ** (math.log10(f_hi) - at * (math.log10(f_hi) - math.log10(f_lo))))
        f_last, s_last = points[-1]
        return float(10 ** (math.log10(f_last) - (score - s_last) * self.decades_per_unit))


def per_comparison_rate(target_fpir: float, gallery_faces: int) -> float:
    """The FMR per comparison that keeps the chance of any false match at `target_fpir`."""
    return -math.expm1(math.log1p(-target_fpir) / max(gallery_faces, 1))


def identification_threshold(tail: ImpostorTail, gallery_faces: int, target_fpir: float, floor: float) -> float:
    """The 1:N threshold for a gallery of `gallery_faces`; never below the 1:1 one (`floor`)."""
    return max(floor, tail.score_at(per_comparison_rate(target_fpir, gallery_faces)))


def expected_fpir(tail: ImpostorTail, threshold: float, gallery_faces: int) -> float:
    return -math.expm1(gallery_faces * math.log1p(-tail.fmr_at(threshold)))


@cache
def calibration(model_name: str) -> dict[str, object] | None:
    """The model's calibration record (written by scripts/calibrate_threshold.py), if any."""
    path = resources.files("facerec_common") / "calibration" / f"{model_name}.json"
    if not path.is_file():
        return None
    record: dict[str, object] = json.loads(path.read_text())
    return record


def tail_of(record: dict[str, object]) -> ImpostorTail:
    tail = record["impostor_tail"]
    assert isinstance(tail, dict)
    points = tuple((float(f), float(s)) for f, s in tail["points"])
    decades_per_unit = float(tail["decades_per_unit"])
    if not points or decades_per_unit <= 0:
        raise ValueError("a calibration record needs tail points and a falling tail (decades_per_unit > 0)")
    return ImpostorTail(points=points, decades_per_unit=decades_per_unit)
