"""Fixtures every test tier shares: the real photos, the real model, one embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facerec_devstack import photos

ROOT = Path(__file__).resolve().parent
# Real parts some tests drive (nginx, Prometheus, Chromium, kubectl) are installed by `make test`;
# a missing one fails those tests, so CI cannot pass without them. A developer without them
# may set this to skip those tests instead.
ALLOW_MISSING_TOOLS = "FACEREC_TESTS_ALLOW_MISSING_TOOLS"


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str | None, str], str]:
    """`require_tool(path, how_to_install)`: the path, or the test fails (skips if allowed)."""

    def require(path: str | None, how_to_install: str) -> str:
        if path is not None:
            return path
        message = f"missing: {how_to_install} (`make test` installs it)"
        if os.environ.get(ALLOW_MISSING_TOOLS) == "1":
            pytest.skip(f"{message}; skipped because {ALLOW_MISSING_TOOLS}=1")
        pytest.fail(f"{message}; set {ALLOW_MISSING_TOOLS}=1 to skip these tests instead", pytrace=False)

    return require


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Real photos (LFW faces, group photos, no-face photos): ../shared/data or $FACEREC_TEST_DATA."""
    path = photos.data_dir()
    if not (path / "faces").is_dir():
        pytest.fail(f"test photos not found in {path}; set FACEREC_TEST_DATA")
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = Path(os.environ.get("FACEREC_EMBEDDER_MODEL_PATH", ROOT / "models" / "w600k_mbf.onnx"))
    if not path.is_file():
        pytest.fail(f"model {path} missing; run `make models`")
    return path


@pytest.fixture(scope="session")
def shared_tmp() -> Iterator[Path]:
    """A folder other users may enter (PostgreSQL runs as `pgserver`, nginx's workers as
    `nobody`), outside pytest's own: every pytest run resets that one to the owner alone, so a
    second run on the machine would lock them out of a first one's files. Removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="facerec-tests-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_root(shared_tmp: Path) -> Iterator[object]:
    """One embedded PostgreSQL + pgvector for the whole session (pgserver)."""
    from facerec_devstack.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(shared_tmp / "pg" / "data")
    yield server
    server.close()
