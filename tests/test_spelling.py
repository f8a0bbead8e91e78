"""One spelling in code and docs: "enrol" (enrols, enrolled, enrolling, enrolment). The public
API keeps the names it was published with (`EnrollFace`, `enrollable`), and the internal
registry RPC keeps its wire name beside the public one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTHER_SPELLING = re.compile(r"enroll(?!ed|ing|able)", re.IGNORECASE)
PUBLISHED = re.compile(r"Enroll(Face|FaceRequest|FaceResponse)\b|\benrollable\b")


def test_one_spelling() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [
        ROOT / f
        for f in tracked.splitlines()
        if f.endswith((".py", ".md", ".proto", ".js", ".html", ".yaml", ".yml"))
        and "_pb2" not in f
        and f != "tests/test_spelling.py"
    ]
    assert len(files) > 100
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for path in files
        if path.is_file()
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OTHER_SPELLING.search(PUBLISHED.sub("", line))
    ]
    assert found == []
