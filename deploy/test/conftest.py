"""The deployment test's summary: gathered by the tests, printed after them and kept as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "deploy-test.json"


class Summary:
    def __init__(self) -> None:
        self.sections: dict[str, list[tuple[str, str]]] = {}

    def add(self, section: str, what: str, value: str) -> None:
        self.sections.setdefault(section, []).append((what, value))

    def lines(self) -> list[str]:
        width = max((len(what) for rows in self.sections.values() for what, _ in rows), default=0)
        out = []
        for section, rows in self.sections.items():
            out.append(f"{section}:")
            out += [f"  {what.ljust(width)}  {value}" for what, value in rows]
        return out


SUMMARY = Summary()


@pytest.fixture(scope="session")
def summary() -> Summary:
    return SUMMARY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SUMMARY.sections:
        return
    terminalreporter.section("deployment summary")
    for line in SUMMARY.lines():
        terminalreporter.write_line(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(SUMMARY.sections, indent=1) + "\n")
    terminalreporter.write_line(f"(also in {RESULTS.relative_to(RESULTS.parents[2])})")
