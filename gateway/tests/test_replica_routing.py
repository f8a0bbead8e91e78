"""The gateway's channels across replicas of one service, with real processes on loopback: calls
go only to replicas whose health says SERVING, and a replica SIGKILLed under load fails no
idempotent call (they are retried on the other). One seam faked: each replica is a small
embedder that answers GetModel with its own name (replica_server.py)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from facerec.embedder.v1 import embedder_pb2
from facerec_gateway.backends import Backends, call
from facerec_gateway.settings import GatewaySettings

SERVER = Path(__file__).with_name("replica_server.py")


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[str]
    port: int
    status_file: Path

    def set_serving(self, serving: bool) -> None:
        self.status_file.write_text("SERVING" if serving else "NOT_SERVING")


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for name in ("a", "b"):
            status = tmp_path / name
            status.write_text("SERVING")
            process = subprocess.Popen(
                [sys.executable, str(SERVER), name, str(status)], stdout=subprocess.PIPE, text=True
            )
            assert process.stdout is not None
            started.append(Replica(name, process, int(process.stdout.readline()), status))
        yield started
    finally:
        for replica in started:
            replica.process.kill()
            replica.process.communicate()


def _backends(replicas: list[Replica]) -> Backends:
    addresses = ",".join(f"127.0.0.1:{r.port}" for r in replicas)
    return Backends.connect(GatewaySettings(embedder_address=f"ipv4:{addresses}"))


async def _answers(backends: Backends, calls: int, clients: int = 4) -> tuple[Counter[str], list[str]]:
    """Which replica answered each of `calls` GetModel calls, and the errors."""
    answered: Counter[str] = Counter()
    errors: list[str] = []
    pending = iter(range(calls))

    async def client() -> None:
        for _ in pending:
            try:
                reply = await call(backends.embedder.GetModel(embedder_pb2.GetModelRequest(), timeout=10))
                answered[reply.model.name] += 1
            except Exception as exc:
                errors.append(repr(exc))

    await asyncio.gather(*(client() for _ in range(clients)))
    return answered, errors


async def _until(backends: Backends, wanted: set[str], timeout_s: float = 10) -> None:
    """Until calls reach exactly the replicas in `wanted` (health changes take a moment to arrive)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answered, _ = await _answers(backends, 20)
        if set(answered) == wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"calls never reached exactly {wanted}")


async def test_calls_go_only_to_serving_replicas(replicas: list[Replica]) -> None:
    b = replicas[1]
    backends = _backends(replicas)
    try:
        await _until(backends, {"a", "b"})
        b.set_serving(False)  # e.g. loading its model after a restart, or draining after SIGTERM
        await _until(backends, {"a"})
        answered, errors = await _answers(backends, 100)
        assert (answered, errors) == (Counter(a=100), [])
        b.set_serving(True)
        await _until(backends, {"a", "b"})
    finally:
        await backends.close()


async def test_a_replica_killed_under_load_fails_no_idempotent_call(replicas: list[Replica]) -> None:
    a = replicas[0]
    backends = _backends(replicas)
    try:
        await _until(backends, {"a", "b"})
        load = asyncio.ensure_future(_answers(backends, 400))
        await asyncio.sleep(0.5)  # ~100 calls in, with calls in flight on both replicas
        a.process.send_signal(signal.SIGKILL)
        answered, errors = await load
        assert errors == []
        assert answered["a"] > 0, answered
        assert answered["b"] > answered["a"], answered
    finally:
        await backends.close()


async def test_with_no_serving_replica_calls_fail_fast_as_unavailable(replicas: list[Replica]) -> None:
    backends = _backends(replicas)
    try:
        await _until(backends, {"a", "b"})
        for replica in replicas:
            replica.set_serving(False)
        await asyncio.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            await backends.embedder.GetModel(embedder_pb2.GetModelRequest(), timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - started < 6  # the retries' backoff, not the 10 s deadline
    finally:
        await backends.close()
