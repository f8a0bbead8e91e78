"""Generate the Python stubs of every contract under protos/ into protos/python/.

The stubs are committed; tests/test_protos_fresh.py fails when they drift from
the .proto files. Run `make protos` after editing a contract.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
PYTHON_ROOT = PROTO_ROOT / "python"


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "facerec").rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for folder in [out_dir / "facerec", *(out_dir / "facerec").rglob("*")]:
        if folder.is_dir():
            (folder / "__init__.py").touch()
    (out_dir / "facerec" / "py.typed").touch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PYTHON_ROOT, help="folder that receives facerec/")
    out: Path = parser.parse_args().out
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        target = out / "facerec"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(tmp) / "facerec", target)
    print(f"stubs written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
