"""`python -m facerec_devstack`: run the whole stack in the foreground until Ctrl-C."""

from __future__ import annotations

import fcntl
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO

from facerec_common.logs import configure_logging
from facerec_devstack.stack import Stack, default_config


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


def main() -> None:
    configure_logging("devstack", log_format="text")
    for noisy in ("pgserver", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = default_config()
    lock = hold(config.data_dir)
    stack = Stack(config)
    print("starting facerec (first start loads the models: ~10 s) ...", flush=True)
    stack.start()
    metrics = "\n               ".join(f"{name:9} {url}" for name, url in stack.metrics_urls().items())
    db = "embedded PostgreSQL in " + str(config.data_dir / "postgres") if stack.postgres else "DATABASE_URL"
    print(
        f"""
facerec is running
  REST API     {stack.gateway_url}   (docs: {stack.gateway_url}/docs)
  console      {stack.gateway_url}/console/
  gRPC API     {stack.address("public_grpc")}   (facerec.v1.FaceService)
  detector     gRPC {stack.address("detector")}
  embedder     gRPC {stack.address("embedder")}   model {config.model_path}
  registry     gRPC {stack.address("registry")}   {db}
  metrics      {metrics}
  logs         {stack.group.log_dir}/
Ctrl-C stops everything; enrolled faces are kept for the next run.""",
        flush=True,
    )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    while not done.is_set():
        for name in stack.group.services:
            try:
                stack.group.assert_running(name)
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                done.set()
        done.wait(1.0)
    print("\nstopping ...", flush=True)
    stack.stop()
    lock.close()
    print("stopped.")


if __name__ == "__main__":
    main()
