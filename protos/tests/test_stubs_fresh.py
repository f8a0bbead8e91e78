"""The committed stubs are exactly what the .proto files generate."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

PROTOS = Path(__file__).resolve().parents[1]


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate", PROTOS / "generate.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_protos(tmp_path: Path) -> None:
    _load_generator().generate(tmp_path)
    fresh, committed = tmp_path / "facerec", PROTOS / "python" / "facerec"
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(
        p.relative_to(committed) for p in committed.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert fresh_files == committed_files, "run `make protos`"
    stale = [str(p) for p in fresh_files if not filecmp.cmp(fresh / p, committed / p, shallow=False)]
    assert not stale, f"stubs out of date, run `make protos`: {stale}"
