"""Start the services as child processes, wait until they are ready, stop them cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import httpx

from facerec_common.healthcheck import check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Ports:
    detector: int = 50051
    embedder: int = 50052
    registry: int = 50053
    gateway: int = 8000
    public_grpc: int = 50050
    # Prometheus /metrics of the gRPC services (the gateway serves its own at /metrics).
    detector_metrics: int = 9101
    embedder_metrics: int = 9102
    registry_metrics: int = 9103

    @classmethod
    def free(cls) -> Ports:
        return cls(*(free_port() for _ in fields(cls)))

    @classmethod
    def from_env(cls) -> Ports:
        """The defaults, each overridden by the service's own variable (e.g. FACEREC_GATEWAY_PORT)."""
        variables = {
            "detector": "FACEREC_DETECTOR_PORT",
            "embedder": "FACEREC_EMBEDDER_PORT",
            "registry": "FACEREC_REGISTRY_PORT",
            "gateway": "FACEREC_GATEWAY_PORT",
            "public_grpc": "FACEREC_GATEWAY_GRPC_PORT",
            "detector_metrics": "FACEREC_DETECTOR_METRICS_PORT",
            "embedder_metrics": "FACEREC_EMBEDDER_METRICS_PORT",
            "registry_metrics": "FACEREC_REGISTRY_METRICS_PORT",
        }
        defaults = cls()
        return cls(**{name: int(os.environ.get(var, getattr(defaults, name))) for name, var in variables.items()})


def terminate(process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout_s`; returns once it is gone."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Service:
    name: str
    module: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None


@dataclass
class ServiceGroup:
    """The child processes of one stack; logs go to `log_dir/<name>.log`."""

    log_dir: Path
    services: dict[str, Service] = field(default_factory=dict)

    def start(self, service: Service) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        service.log_path = self.log_dir / f"{service.name}.log"
        with service.log_path.open("ab") as log:
            service.process = subprocess.Popen(
                [sys.executable, "-m", service.module],
                env={**os.environ, **service.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order.
            )
        self.services[service.name] = service

    def assert_running(self, name: str) -> None:
        service = self.services[name]
        assert service.process is not None
        if service.process.poll() is not None:
            tail = service.log_path.read_text(errors="replace")[-4000:] if service.log_path else ""
            raise RuntimeError(f"{name} exited with code {service.process.returncode}:\n{tail}")

    def wait_grpc(self, name: str, address: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.assert_running(name)
            if check(address, timeout_s=1.0):
                return
            time.sleep(0.2)
        raise TimeoutError(
            f"{name} at {address} not SERVING after {timeout_s:.0f}s (log: {self.services[name].log_path})"
        )

    def wait_http(self, name: str, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.assert_running(name)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{name} at {url} not ready after {timeout_s:.0f}s (log: {self.services[name].log_path})")

    def stop(self, name: str, timeout_s: float = 15.0) -> None:
        service = self.services.get(name)
        if service is not None and service.process is not None:
            terminate(service.process, timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would: no draining, no goodbye."""
        service = self.services[name]
        assert service.process is not None
        service.process.kill()
        service.process.wait()

    def restart(self, name: str) -> None:
        """Start a stopped or killed service again with the same settings and port."""
        self.start(self.services[name])

    def stop_all(self) -> None:
        for name in reversed(list(self.services)):
            self.stop(name)
