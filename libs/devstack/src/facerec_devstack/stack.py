"""The whole product on one machine: what `make run`, the end-to-end tests and the benchmarks start."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from facerec_devstack.postgres import EmbeddedPostgres
from facerec_devstack.processes import Ports, Service, ServiceGroup

STARTUP_TIMEOUT_S = 180.0


@dataclass
class StackConfig:
    data_dir: Path
    model_path: Path
    ports: Ports
    database_name: str = "facerec"
    # Any PostgreSQL 15+ with pgvector; None starts the embedded one under data_dir.
    database_url: str | None = None
    extra_env: dict[str, str] | None = None
    # Each process writes its trace spans as JSON lines to <traces_dir>/<service>.jsonl.
    traces_dir: Path | None = None
    # The stream service (cameras); also started whenever FACEREC_STREAM_CAMERAS declares some.
    stream: bool = False


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.group = ServiceGroup(config.data_dir / "logs")
        self.postgres: EmbeddedPostgres | None = None
        self.database_url = ""

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ports.gateway}"

    def address(self, service: str) -> str:
        return f"127.0.0.1:{getattr(self.config.ports, service)}"

    def traces_file(self, service: str) -> Path | None:
        return self.config.traces_dir / f"{service}.jsonl" if self.config.traces_dir else None

    def metrics_urls(self) -> dict[str, str]:
        """Where Prometheus scrapes each part."""
        ports = self.config.ports
        return {
            "gateway": f"{self.gateway_url}/metrics",
            "detector": f"http://127.0.0.1:{ports.detector_metrics}/metrics",
            "embedder": f"http://127.0.0.1:{ports.embedder_metrics}/metrics",
            "registry": f"http://127.0.0.1:{ports.registry_metrics}/metrics",
        }

    def start(self) -> None:
        c = self.config
        try:
            if c.database_url:
                self.database_url = c.database_url
            else:
                self.postgres = EmbeddedPostgres(c.data_dir / "postgres")
                self.database_url = self.postgres.ensure_database(c.database_name)
            extra = c.extra_env or {}
            common = {"PYTHONUNBUFFERED": "1", **extra}
            services = [
                Service(
                    "registry",
                    "facerec_registry",
                    {
                        **common,
                        "DATABASE_URL": self.database_url,
                        "FACEREC_REGISTRY_PORT": str(c.ports.registry),
                        "FACEREC_REGISTRY_METRICS_PORT": str(c.ports.registry_metrics),
                    },
                ),
                Service(
                    "embedder",
                    "facerec_embedder",
                    {
                        **common,
                        "FACEREC_EMBEDDER_PORT": str(c.ports.embedder),
                        "FACEREC_EMBEDDER_METRICS_PORT": str(c.ports.embedder_metrics),
                        "FACEREC_EMBEDDER_MODEL_PATH": str(c.model_path.resolve()),
                    },
                ),
                Service(
                    "detector",
                    "facerec_detector",
                    {
                        **common,
                        "FACEREC_DETECTOR_PORT": str(c.ports.detector),
                        "FACEREC_DETECTOR_METRICS_PORT": str(c.ports.detector_metrics),
                    },
                ),
            ]
            # Start all three first: their model loads overlap.
            for service in services:
                self._start(service)
            for service in services:
                self.group.wait_grpc(service.name, self.address(service.name), STARTUP_TIMEOUT_S)
            self._start(
                Service(
                    "gateway",
                    "facerec_gateway",
                    {
                        **common,
                        "FACEREC_GATEWAY_PORT": str(c.ports.gateway),
                        "FACEREC_GATEWAY_GRPC_PORT": str(c.ports.public_grpc),
                        "FACEREC_GATEWAY_DETECTOR_ADDRESS": self.address("detector"),
                        "FACEREC_GATEWAY_EMBEDDER_ADDRESS": self.address("embedder"),
                        "FACEREC_GATEWAY_REGISTRY_ADDRESS": self.address("registry"),
                    },
                )
            )
            self.group.wait_http("gateway", f"{self.gateway_url}/readyz", STARTUP_TIMEOUT_S)
            if self.config.stream or os.environ.get("FACEREC_STREAM_CAMERAS"):
                self._start_stream(common)
        except BaseException:
            self.stop()
            raise

    def _start_stream(self, common: dict[str, str]) -> None:
        """The stream service: watches the cameras stored in the registry (its leases give it all)."""
        port = int(os.environ.get("FACEREC_STREAM_PORT", "50054"))
        env = {
            **common,
            "FACEREC_STREAM_PORT": str(port),
            "FACEREC_STREAM_DETECTOR_ADDRESS": self.address("detector"),
            "FACEREC_STREAM_EMBEDDER_ADDRESS": self.address("embedder"),
            "FACEREC_STREAM_REGISTRY_ADDRESS": self.address("registry"),
        }
        self._start(Service("stream", "facerec_stream", env))
        self.group.wait_grpc("stream", f"127.0.0.1:{port}", STARTUP_TIMEOUT_S)

    def _start(self, service: Service) -> None:
        traces = self.traces_file(service.name)
        if traces is not None:
            traces.parent.mkdir(parents=True, exist_ok=True)
            service.env["FACEREC_TRACES_FILE"] = str(traces)
        self.group.start(service)

    def stop(self) -> None:
        self.group.stop_all()
        if self.postgres is not None:
            self.postgres.close()
            self.postgres = None


def default_config() -> StackConfig:
    root = Path(os.environ.get("FACEREC_HOME", ".")).resolve()
    return StackConfig(
        data_dir=root / ".data",
        model_path=Path(os.environ.get("FACEREC_EMBEDDER_MODEL_PATH", root / "models" / "w600k_mbf.onnx")),
        ports=Ports.from_env(),
        database_url=os.environ.get("DATABASE_URL") or None,
        stream=True,  # `make run`: cameras added through the API are watched at once
    )


@contextmanager
def gateway_url(url: str | None, model_path: Path) -> Iterator[str]:
    """`url` when given (e.g. a running `make run`), else a throwaway stack on free ports."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="facerec-stack-") as tmp:
        stack = Stack(StackConfig(data_dir=Path(tmp), model_path=model_path, ports=Ports.free()))
        stack.start()
        try:
            yield stack.gateway_url
        finally:
            stack.stop()
