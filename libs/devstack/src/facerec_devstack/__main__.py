"""`python -m facerec_devstack`: run the whole stack in the foreground until Ctrl-C."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx

from facerec_common.logs import configure_logging
from facerec_devstack.stack import Stack, StackConfig, default_config

log = logging.getLogger("facerec_devstack")


def hold(data_dir: Path, wait_s: float = 60.0) -> IO[str]:
    """One stack per data folder. A stack started while the last one still stops waits for it
    (its PostgreSQL may take seconds to write its last checkpoint): started at once, the new one
    would attach to that server and lose it a moment later."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = (data_dir / "devstack.lock").open("w")
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                sys.exit(f"another facerec stack still runs on {data_dir}: stop it first (Ctrl-C where it runs)")
            if not told:
                print(f"another facerec stack runs on {data_dir}; waiting up to {wait_s:.0f} s for it to stop ...")
                told = True
            time.sleep(0.5)


def _served(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def banner(stack: Stack, config: StackConfig) -> str:
    """What runs where; only what this configuration serves (no docs or console in production)."""
    url = stack.gateway_url
    docs = f"   (docs: {url}/docs)" if _served(f"{url}/docs") else ""
    console = f"\n  console      {url}/console/" if _served(f"{url}/console/") else ""
    metrics = "\n               ".join(f"{name:9} {url}" for name, url in stack.metrics_urls().items())
    db = "embedded PostgreSQL in " + str(config.data_dir / "postgres") if stack.postgres else "DATABASE_URL"
    stream = ""
    if "stream" in stack.group.services:
        port = os.environ.get("FACEREC_STREAM_PORT", "50054")
        stream = f"\n  stream       gRPC 127.0.0.1:{port}   (cameras: POST {url}/api/v1/cameras)"
    return f"""
facerec is running
  REST API     {url}{docs}{console}
  gRPC API     {stack.address("public_grpc")}   (facerec.v1.FaceService)
  detector     gRPC {stack.address("detector")}
  embedder     gRPC {stack.address("embedder")}   model {config.model_path}
  registry     gRPC {stack.address("registry")}   {db}
  metrics      {metrics}
  CLI          .venv/bin/facerec --url {url} --help{stream}
  logs         {stack.group.log_dir}/
Ctrl-C stops everything; enrolled faces are kept for the next run."""


def _why(exc: BaseException) -> str:
    """One line for a stack that could not start: the failing service's own last words."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    head, tail = lines[0], [line for line in lines[1:] if not line.startswith(("Traceback", "File ", "^"))]
    # The log is kept across runs: this run's words are its last ones.
    settings_error = next((line for line in reversed(tail) if line.startswith("invalid settings")), None)
    return f"{head.rstrip(':')}: {settings_error or (tail[-1] if tail else '')}".rstrip(": ")


def supervise(stack: Stack, done: threading.Event) -> None:
    """Restart a service that dies, waiting longer after each death (1 s, 2 s, ... 30 s); a
    service that then stays up for a minute starts from 1 s again."""
    deaths: dict[str, tuple[int, float]] = {}
    while not done.is_set():
        for name in list(stack.group.services):
            try:
                stack.group.assert_running(name)
            except RuntimeError:
                count, last = deaths.get(name, (0, 0.0))
                count = 1 if time.monotonic() - last > RESET_AFTER_S else count + 1
                delay = min(MAX_DELAY_S, 2.0 ** (count - 1))
                code = stack.group.services[name].process.returncode  # type: ignore[union-attr]
                log.warning(
                    "%s exited with code %s; restarting it in %.0f s (log: %s)",
                    name,
                    code,
                    delay,
                    stack.group.services[name].log_path,
                )
                if done.wait(delay):
                    return
                stack.group.restart(name)
                deaths[name] = (count, time.monotonic())
        done.wait(1.0)


RESET_AFTER_S = 60.0
MAX_DELAY_S = 30.0


def main() -> None:
    configure_logging("devstack", log_format="text")
    for noisy in ("pgserver", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = default_config()
    lock = hold(config.data_dir)
    stack = Stack(config)
    print("starting facerec (first start loads the models: ~10 s) ...", flush=True)
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as exc:
        lock.close()
        sys.exit(f"facerec could not start: {_why(exc)}")
    print(banner(stack, config), flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    supervise(stack, done)
    print("\nstopping ...", flush=True)
    stack.stop()
    lock.close()
    print("stopped.")


if __name__ == "__main__":
    main()
