"""`python -m facerec_devstack`: run the whole stack in the foreground until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from facerec_common.logs import configure_logging
from facerec_devstack.stack import Stack, default_config


def main() -> None:
    configure_logging("devstack", log_format="text")
    for noisy in ("pgserver", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = default_config()
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
    print("stopped.")


if __name__ == "__main__":
    main()
