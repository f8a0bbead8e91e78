"""Every package of the repo declares what its code imports (directly or through what it declares),
so installing one package alone gives it what it needs, and no package leans on another by accident."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "protos",
    "libs/common",
    "libs/devstack",
    "gateway",
    "detector-service",
    "embedder-service",
    "registry-service",
    "stream-service",
    "client",
]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]).lower()


@cache
def _closure(distribution: str) -> frozenset[str]:
    """The distribution and everything it requires, as installed."""
    seen = {distribution}
    try:
        requires = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return frozenset(seen)
    for requirement in requires:
        if "extra ==" not in requirement:
            seen |= _closure(_name(requirement))
    return frozenset(seen)


def _imports(source: Path) -> set[str]:
    found: set[str] = set()
    for path in source.rglob("*.py"):
        if path.name.endswith(("_pb2.py", "_pb2_grpc.py", "_pb2.pyi")) or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_are_declared(package: str) -> None:
    project = tomllib.loads((ROOT / package / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project.get("dependencies", [])}
    declared |= {_name(r) for extra in project.get("optional-dependencies", {}).values() for r in extra}
    own = _name(project["name"])
    reachable = set().union(*(_closure(d) for d in declared | {own}))
    providers = metadata.packages_distributions()
    missing = []
    for module in sorted(_imports(ROOT / package / "src")):
        if module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = {_name(d) for d in providers.get(module, [])}
        assert distributions, f"{package}: nothing installed provides `{module}`"
        if not distributions & reachable:
            missing.append(f"{module} (from {', '.join(sorted(distributions))})")
    assert missing == [], f"{package} imports what it does not declare: {missing}"
