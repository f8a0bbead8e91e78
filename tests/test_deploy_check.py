"""deploy/check.sh: the compose files, nginx config and rendered Kubernetes manifests pass, and a
manifest with a field Kubernetes does not know fails it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kubectl(require_tool: Callable[[str | None, str], str]) -> str:
    """check.sh renders the kustomizations with kubectl and validates what they render."""
    return require_tool(shutil.which("kubectl"), "kubectl (Debian: apt-get install kubernetes-client)")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(root / "deploy/check.sh")], capture_output=True, text=True, timeout=300)


def test_deployment_files_pass(kubectl: str) -> None:
    result = _check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    for target in ("deploy/k8s", "deploy/k8s/gpu"):
        assert f"PASS  kubernetes-validate --strict -k 1.29.0 ({target})" in result.stdout


def test_an_unknown_field_fails(kubectl: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    for compose in ROOT.glob("docker-compose*.yml"):
        shutil.copy(compose, tmp_path)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    embedder = tmp_path / "deploy/k8s/base/embedder.yaml"
    pull = "imagePullPolicy: IfNotPresent"
    embedder.write_text(embedder.read_text().replace(pull, f"{pull}\n          gpus: 1", 1))
    result = _check(tmp_path)
    assert result.returncode != 0
    assert "FAIL  kubernetes-validate --strict -k 1.29.0 (deploy/k8s)" in result.stdout


def test_dashboard_json_is_what_its_script_writes() -> None:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("build_dashboard", ROOT / "scripts/build_dashboard.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((ROOT / "deploy/grafana/facerec.json").read_text())
    assert committed == module.dashboard(), "run scripts/build_dashboard.py"
