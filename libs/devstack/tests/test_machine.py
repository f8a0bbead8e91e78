from pathlib import Path

import pytest

from facerec_devstack import machine


def test_the_summary_names_processor_cores_caches_and_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for index, (level, kind, size) in enumerate(
        [(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "2048K"), (3, "Unified", "307200K")]
    ):
        entry = tmp_path / f"index{index}"
        entry.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (entry / name).write_text(f"{value}\n")
    monkeypatch.setattr(machine, "CACHES", tmp_path)
    described = machine.describe()
    assert described["caches"] == {"L1d": "48 KiB", "L2": "2 MiB", "L3": "300 MiB"}
    text = machine.summary(described)
    assert text.startswith(described["processor"])
    assert f"{described['cores']} cores" in text
    assert "L1d 48 KiB, L2 2 MiB, L3 300 MiB" in text
    assert text.endswith(" GiB")


def test_caches_are_left_out_where_the_system_does_not_report_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(machine, "CACHES", tmp_path / "absent")
    assert machine.describe()["caches"] == {}
    assert ", , " not in machine.summary(machine.describe())


def test_stalls_are_a_share_of_the_time_and_a_ratio_of_rounds() -> None:
    found = machine.stalls(0.3)
    assert found["round_ms"] > 0
    assert 0 <= found["slow_share"] < 1
    assert found["p99_over_p50"] >= 1
    assert machine.stalls_summary(found).startswith("under half speed ")
