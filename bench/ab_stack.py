"""This tree's stack and another commit's gateway and registry beside it, to compare them side by side.

    .venv/bin/python bench/ab_stack.py --baseline COMMIT -- COMMAND [ARG ...]

Starts a throwaway stack of this tree on free ports, then, from a `git worktree` of COMMIT, that
commit's registry and gateway on other free ports, on the same database and the same detector and
embedder (their contracts must be wire-compatible, as the services' own are across one release).
Runs COMMAND with FACEREC_AB_URLS="<this tree's gateway>,<COMMIT's gateway>", then stops it all.
For example, search at 100k faces, new against old:

    .venv/bin/python bench/ab_stack.py --baseline 7b6d2e6 -- sh -c '
      .venv/bin/python bench/search.py --url ${FACEREC_AB_URLS%%,*} --faces 100000 --keep g100k &&
      .venv/bin/python bench/search_ab.py --urls $FACEREC_AB_URLS --collection g100k'
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from facerec_devstack.processes import Ports, Service, free_port
from facerec_devstack.stack import Stack, StackConfig

ROOT = Path(__file__).resolve().parents[1]
# Where each package's code lives in a checkout: the baseline's go first on PYTHONPATH.
SOURCES = ["protos/python", "libs/common/src", "registry-service/src", "gateway/src"]
STARTUP_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    with tempfile.TemporaryDirectory(prefix="facerec-ab-") as tmp:
        worktree = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), args.baseline], cwd=ROOT, check=True)
        config = StackConfig(data_dir=Path(tmp) / "data", model_path=ROOT / "models/w600k_mbf.onnx", ports=Ports.free())
        stack = Stack(config)
        try:
            stack.start()
            baseline = _start_baseline(stack, worktree)
            urls = f"{stack.gateway_url},{baseline}"
            print(f"this tree: {stack.gateway_url}   {args.baseline}: {baseline}", flush=True)
            status = subprocess.run(command, cwd=ROOT, env={**os.environ, "FACEREC_AB_URLS": urls}).returncode
        finally:
            stack.stop()
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
    sys.exit(status)


def _start_baseline(stack: Stack, worktree: Path) -> str:
    """The baseline's registry and gateway in the stack's process group; its gateway's URL."""
    assert stack.database_url is not None
    path = os.pathsep.join(str(worktree / s) for s in SOURCES)
    common = {"PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    registry, gateway, grpc_port = free_port(), free_port(), free_port()
    stack.group.start(
        Service(
            "baseline-registry",
            "facerec_registry",
            {
                **common,
                "DATABASE_URL": stack.database_url,
                "FACEREC_REGISTRY_PORT": str(registry),
                "FACEREC_REGISTRY_METRICS_PORT": "-1",
            },
        )
    )
    stack.group.wait_grpc("baseline-registry", f"127.0.0.1:{registry}", STARTUP_S)
    stack.group.start(
        Service(
            "baseline-gateway",
            "facerec_gateway",
            {
                **common,
                "FACEREC_GATEWAY_PORT": str(gateway),
                "FACEREC_GATEWAY_GRPC_PORT": str(grpc_port),
                "FACEREC_GATEWAY_DETECTOR_ADDRESS": stack.address("detector"),
                "FACEREC_GATEWAY_EMBEDDER_ADDRESS": stack.address("embedder"),
                "FACEREC_GATEWAY_REGISTRY_ADDRESS": f"127.0.0.1:{registry}",
            },
        )
    )
    url = f"http://127.0.0.1:{gateway}"
    stack.group.wait_http("baseline-gateway", f"{url}/readyz", STARTUP_S)
    return url


if __name__ == "__main__":
    main()
