"""docker-compose.yml run by podman-compose, and the podman calls the deployment tests make."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "facerec"  # `name:` in docker-compose.yml
METRICS_PORTS = {"detector": 9101, "embedder": 9102, "registry": 9103, "stream": 9104}


class PodmanError(RuntimeError):
    pass


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise PodmanError(f"podman {' '.join(args)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Compose:
    """podman-compose over the repo's own docker-compose.yml, unchanged; settings through the environment."""

    binary: str
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, "-f", str(ROOT / "docker-compose.yml"), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **self.env},
        )
        if result.returncode != 0:
            raise PodmanError(f"podman-compose {' '.join(args)}: exit {result.returncode}\n{result.stderr[-4000:]}")
        return result

    def containers(self, service: str | None = None, *, all_states: bool = False) -> list[str]:
        args = ["ps", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={PROJECT}"]
        if service is not None:
            args += ["--filter", f"label=com.docker.compose.service={service}"]
        if all_states:
            args.append("--all")
        return sorted(podman(*args).stdout.split())


def healthy(container: str) -> bool:
    """The image's own HEALTHCHECK, run by hand (podman without systemd never runs it by itself)."""
    return podman("healthcheck", "run", container, check=False, timeout=60).returncode == 0


def wait_healthy(containers: Sequence[str], timeout_s: float) -> dict[str, float]:
    """Seconds from now until each container's healthcheck first passes."""
    start = time.monotonic()
    ready: dict[str, float] = {}
    while len(ready) < len(containers):
        for name in containers:
            if name not in ready and healthy(name):
                ready[name] = time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            missing = sorted(set(containers) - set(ready))
            logs = {name: podman("logs", "--tail", "20", name, check=False).stderr[-2000:] for name in missing}
            raise PodmanError(f"not healthy after {timeout_s:.0f} s: {missing}\n{json.dumps(logs, indent=1)}")
        time.sleep(0.5)
    return ready


def main_pid(container: str) -> int:
    return int(podman("inspect", "--format", "{{.State.Pid}}", container).stdout.strip())


def restart_count(container: str) -> int:
    return int(podman("inspect", "--format", "{{.RestartCount}}", container).stdout.strip())


def metrics_text(container: str, service: str) -> str:
    """A service's own /metrics, read inside its container (the port is not published)."""
    url = f"http://127.0.0.1:{METRICS_PORTS[service]}/metrics"
    script = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
    return podman("exec", container, "python", "-c", script).stdout


def metric(container: str, service: str, name: str) -> float:
    """One counter of a service's own /metrics."""
    text = metrics_text(container, service)
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    if found is None:
        raise PodmanError(f"{name} not in {container}'s metrics")
    return float(found.group(1))


def image_size_mb(image: str) -> float:
    return int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout.strip()) / 1e6


def leftovers() -> list[str]:
    """Containers, volumes, networks and pods of the project still present."""
    label = f"label=io.podman.compose.project={PROJECT}"
    found = [f"container {c}" for c in podman("ps", "-a", "--format", "{{.Names}}", "--filter", label).stdout.split()]
    volumes = podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
    found += [f"volume {v}" for v in volumes if v.startswith(f"{PROJECT}_")]
    networks = podman("network", "ls", "--format", "{{.Name}}").stdout.split()
    found += [f"network {n}" for n in networks if n.startswith(f"{PROJECT}_")]
    monitors = subprocess.run(["pgrep", "-af", "conmon"], capture_output=True, text=True).stdout.splitlines()
    found += [f"process {line}" for line in monitors if f"{PROJECT}_" in line]
    return found
