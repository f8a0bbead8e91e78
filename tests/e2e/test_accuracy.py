"""Floors on recognition quality, measured by bench/accuracy.py through the running services.

The floors hold for the default model (w600k_mbf) on ../shared/data; a new default
model needs its own. Measured values are in docs/accuracy.md.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_accuracy", ROOT / "bench" / "accuracy.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(stack: Stack, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("accuracy")
    result: dict[str, Any] = asyncio.run(_bench().measure(stack.gateway_url, data_dir, out))
    assert (out / "accuracy-w600k_mbf.json").is_file()
    assert (out / "accuracy-w600k_mbf.png").stat().st_size > 10_000
    return result


def test_verification_floor(report: dict[str, Any]) -> None:
    assert report["verification"]["accuracy_at_threshold"] >= 0.98  # broken alignment: 0.90, mirrored landmarks: 0.50
    assert report["verification_all_pairs"]["far_at_threshold"] <= 2e-4
    # A red/blue channel swap costs this model little accuracy (98.8 %) but lowers genuine
    # scores from 0.603 to 0.579: this floor catches it (the pipeline is deterministic).
    assert report["median_genuine_similarity"] >= 0.59


def test_too_few_pairs_are_said(report: dict[str, Any]) -> None:
    assert report["verification"]["too_few_pairs_for"] == ["0.001"]  # 300 impostor pairs
    assert report["verification_all_pairs"]["tar_at_far"]["0.001"] >= 0.97


def test_identification_floor(report: dict[str, Any]) -> None:
    ident = report["identification"]
    assert ident["rank1"] >= 0.95
    assert ident["fpir_at_threshold"] <= 0.05
    assert ident["fnir_at_threshold"] <= 0.05


def test_detection_floor(report: dict[str, Any]) -> None:
    det = report["detection"]
    assert det["faces_found_in_no_face_photos"] == 0
    assert det["labelled_face_found"] >= 0.99
    assert det["group_recall_iou_0.4"] >= 0.9


def test_every_dev_photo_passes_the_enrolment_gate(report: dict[str, Any]) -> None:
    gate = report["quality_gate"]
    assert gate["refused"] == {}
    assert gate["accepted"] == gate["photos"] == 256


CROWD_PEOPLE = 150  # a subset: its faces are computed in about a minute, then cached


@pytest.fixture(scope="module")
def crowd_report(stack: Stack, data_dir: Path, model_path: Path, report: dict[str, Any]) -> dict[str, Any]:
    async def measure() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=120) as client:
            result: dict[str, Any] = await _bench().measure_crowd(
                client, data_dir, model_path, report["model"], people=CROWD_PEOPLE
            )
            return result

    return asyncio.run(measure())


def test_face_choice_floor_on_the_crowd(crowd_report: dict[str, Any]) -> None:
    choice = crowd_report["face_choice"]
    assert choice["judged_photos"] >= 300
    assert choice["subject_is_named_person"] >= 0.98  # measured 1.0 (0.9982 on the whole crowd)
    assert choice["multiple_faces_rate"] <= 0.01  # measured 0 (0 on the whole crowd); the old rule refused 11 %
    # The strict judge, on every photo of the subset: measured 0 (1 of 4,901 on the whole crowd).
    assert choice["subject_not_central_rate"] <= 0.002, choice["not_central_choices"]


def test_verification_and_stranger_floors_on_the_crowd(crowd_report: dict[str, Any]) -> None:
    verification = crowd_report["verification_10fold"]
    assert verification["genuine_pairs"] >= 200
    assert verification["accuracy_mean"] >= 0.98  # 0.9962 on the whole crowd
    strangers = crowd_report["strangers_rotated"]
    assert strangers["strangers"] >= 400
    assert strangers["fpir"] <= 0.02  # 0.0037 on the whole crowd, 1,560-person galleries, 6 draws


def test_open_set_floor_on_the_crowd(crowd_report: dict[str, Any]) -> None:
    open_set = crowd_report["open_set"]
    assert (open_set["enrolled_people"], open_set["strangers"]) == (CROWD_PEOPLE, CROWD_PEOPLE // 2)
    assert open_set["rank1"] >= 0.97  # measured 0.9957
    default = open_set["default"]
    assert (default["threshold_basis"], default["target_fpir"]) == ("open_set", 0.003)
    assert default["fpir"] <= 0.03  # measured 0 of 75 strangers
    assert default["fnir"] <= 0.05  # measured 0.0087
