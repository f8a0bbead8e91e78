"""Open-set thresholds from an impostor tail: monotone in the gallery and the target, exact on
the measured points, extended past them, and the calibration the services read is this model's."""

from __future__ import annotations

import math

import pytest

from facerec_common import open_set
from facerec_common.models import MOBILEFACENET

TAIL = open_set.ImpostorTail(points=((1e-2, 0.15), (1e-4, 0.25), (1e-6, 0.35)), decades_per_unit=20.0)


def test_scores_follow_the_measured_points_and_the_fit_beyond() -> None:
    assert TAIL.score_at(1e-4) == pytest.approx(0.25)
    assert TAIL.score_at(1e-3) == pytest.approx(0.20)
    assert TAIL.score_at(1e-8) == pytest.approx(0.35 + 2 / 20)
    for fmr in (1e-2, 3e-4, 1e-6, 1e-9):
        assert TAIL.fmr_at(TAIL.score_at(fmr)) == pytest.approx(fmr, rel=1e-6)


def test_the_threshold_climbs_with_the_gallery_and_falls_with_the_target() -> None:
    by_size = [open_set.identification_threshold(TAIL, n, 1e-3, floor=0.0) for n in (10, 1_000, 100_000, 10**7)]
    assert by_size == sorted(by_size)
    assert open_set.identification_threshold(TAIL, 1000, 1e-2, 0.0) < open_set.identification_threshold(
        TAIL, 1000, 1e-4, 0.0
    )
    # Never below the 1:1 operating point, however small the gallery.
    assert open_set.identification_threshold(TAIL, 1, 0.1, floor=0.25) == 0.25


def test_the_target_is_what_the_gallery_then_yields() -> None:
    for faces in (100, 50_000, 2_000_000):
        threshold = open_set.identification_threshold(TAIL, faces, 1e-3, floor=0.0)
        assert open_set.expected_fpir(TAIL, threshold, faces) == pytest.approx(1e-3, rel=1e-3)
    assert open_set.per_comparison_rate(0.001, 1) == pytest.approx(0.001)
    assert open_set.per_comparison_rate(0.001, 1000) == pytest.approx(-math.expm1(math.log1p(-0.001) / 1000))


def test_the_default_model_carries_its_own_calibration() -> None:
    tail = MOBILEFACENET.impostor_tail
    assert tail is not None, "run scripts/calibrate_threshold.py"
    record = open_set.calibration(MOBILEFACENET.name)
    assert record is not None
    assert MOBILEFACENET.threshold == record["threshold"]  # models.py and the record agree
    assert len(tail.points) >= 8  # down to at least 1e-5 from 1e-1 by half decades
    assert all(b[1] > a[1] for a, b in zip(tail.points, tail.points[1:], strict=False))
