"""The suite itself: tests that could pass without testing are caught here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_DIRS = [
    "tests",
    "libs",
    "gateway/tests",
    "detector-service/tests",
    "embedder-service/tests",
    "registry-service/tests",
    "stream-service/tests",
]


def _test_files() -> list[Path]:
    files = sorted({p for d in TEST_DIRS for p in (ROOT / d).rglob("test_*.py") if ".venv" not in p.parts})
    assert len(files) >= 50, "the test files were not found"
    return files


def test_every_end_to_end_file_is_marked() -> None:
    e2e = sorted((ROOT / "tests" / "e2e").glob("test_*.py"))
    assert len(e2e) >= 10
    unmarked = [p.name for p in e2e if "pytestmark = pytest.mark.e2e" not in p.read_text()]
    assert unmarked == []


def test_no_test_skips_itself() -> None:
    """A missing real part fails its tests (conftest.py's require_tool); nothing else skips."""
    skipping = re.compile(r"pytest\.(skip\(|mark\.skip|importorskip)")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _test_files()
        if p.name != "test_suite_hygiene.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if skipping.search(line)
    ]
    assert found == []


def test_no_source_file_is_over_450_lines() -> None:
    """Small modules: a file past this length holds more than one concern (benchmarks and
    generated stubs aside)."""
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    sources = [f for f in tracked.stdout.split() if not f.startswith("bench/") and "_pb2" not in f]
    assert len(sources) > 100
    long = {f: n for f in sources if (n := len((ROOT / f).read_text().splitlines())) > 450}
    assert long == {}
