from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from facerec_devstack.processes import Ports
from facerec_devstack.stack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, pg_root, model_path: Path) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """The whole product as separate processes on free loopback ports: started once per session."""
    data_dir = tmp_path_factory.mktemp("stack")
    config = StackConfig(
        data_dir=data_dir,
        model_path=model_path,
        ports=Ports.free(),
        database_url=pg_root.ensure_database("e2e"),
        traces_dir=data_dir / "traces",
    )
    running = Stack(config)
    running.start()
    yield running
    running.stop()


CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def facerec_cli(stack: Stack) -> CliRun:
    """Runs the `facerec` command line tool against the stack: facerec_cli("people", "--collection", c)."""

    def run(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "facerec_client.cli", "--url", stack.gateway_url, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)

    return run


@pytest.fixture(scope="session")
def run_example() -> Callable[..., str]:
    """Runs one of examples/ to its end and returns what it printed: run_example("grpc_client.py", address)."""

    def run(script: str, *args: str) -> str:
        command = [sys.executable, str(Path(__file__).resolve().parents[1] / "examples" / script), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout

    return run


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client
