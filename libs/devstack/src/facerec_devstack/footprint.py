"""Which local processes serve a running stack, and how much memory each part holds.

Found from the gateway's URL alone, so it works for `make run` as well as for a throwaway
stack: the process listening on the gateway's port, the backend addresses in its
environment, the processes listening there, and PostgreSQL from the registry's DATABASE_URL.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil

BACKENDS = ("detector", "embedder", "registry")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
# PostgreSQL maps its shared memory anonymously; Linux names such mappings /dev/zero.
SHARED_SEGMENT = "/dev/zero"
SHARED_BUFFERS = "pg shared"


@dataclass(frozen=True)
class Part:
    """One part of the stack: a process and its children (uvicorn workers, PostgreSQL backends)."""

    name: str
    root: psutil.Process

    def processes(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return [self.root, *self.root.children(recursive=True)]
        return []

    def memory_mb(self) -> dict[str, float]:
        """RSS of a service (with any worker processes). PostgreSQL as two figures: its
        processes' own memory (PSS outside the shared segment) and the shared segment, mostly
        buffer cache, which fills up to `shared_buffers` as data is touched and then stays.
        Empty once the process is gone."""
        own = shared = 0
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                if self.name != "postgres":
                    own += process.memory_info().rss
                    continue
                for mapping in process.memory_maps(grouped=True):
                    if mapping.path.startswith(SHARED_SEGMENT):
                        shared += mapping.pss
                    else:
                        own += mapping.pss
        if not own:
            return {}
        if self.name != "postgres":
            return {self.name: _mb(own)}
        return {"postgres": _mb(own), SHARED_BUFFERS: _mb(shared)}


def _mb(size: int) -> float:
    return round(size / 2**20, 1)


def listener(port: int) -> psutil.Process | None:
    """The local process listening on TCP `port`, if this user may see it."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    return None


def _local_port(address: str) -> int | None:
    host, _, port = address.rpartition(":")
    return int(port) if host.strip("[]") in LOCAL_HOSTS and port.isdigit() else None


def _postgres(database_url: str) -> psutil.Process | None:
    url = urlsplit(database_url.replace("+psycopg", ""))
    socket_dir = parse_qs(url.query).get("host", [""])[0]
    if socket_dir.startswith("/"):  # Unix socket: the embedded server keeps it beside its data.
        pid_file = Path(socket_dir) / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            return psutil.Process(int(pid_file.read_text().split()[0]))
        return None
    if url.hostname in LOCAL_HOSTS:
        return listener(url.port or 5432)
    return None


def stack_parts(gateway_url: str) -> list[Part]:
    """The parts of the stack behind `gateway_url` that run on this machine (empty if none)."""
    url = urlsplit(gateway_url)
    if url.hostname not in LOCAL_HOSTS:
        return []
    gateway = listener(url.port or 80)
    if gateway is None:
        return []
    parts = [Part("gateway", gateway)]
    with contextlib.suppress(psutil.Error):
        env = gateway.environ()
        for name in BACKENDS:
            port = _local_port(env.get(f"FACEREC_GATEWAY_{name.upper()}_ADDRESS", ""))
            process = listener(port) if port else None
            if process is not None:
                parts.append(Part(name, process))
    registry = next((p for p in parts if p.name == "registry"), None)
    if registry is not None:
        with contextlib.suppress(psutil.Error):
            postgres = _postgres(registry.root.environ().get("DATABASE_URL", ""))
            if postgres is not None:
                parts.append(Part("postgres", postgres))
    return parts


def memory_mb(parts: list[Part]) -> dict[str, float]:
    """Memory of every part still running, by name (see Part.memory_mb)."""
    return {name: mb for part in parts for name, mb in part.memory_mb().items()}
