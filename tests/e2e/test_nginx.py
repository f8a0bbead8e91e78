"""A real nginx with deploy/nginx/nginx.conf (upstreams and ports moved to the test's) in front
of the stack: REST and the public gRPC API pass through it, an upload near the gateway's limit
passes, larger ones get a JSON 413, collection files larger than that stream both ways, and the
request id reaches the client."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest

from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_devstack import synthetic
from facerec_devstack.partial_post import answer_head, partial_post
from facerec_devstack.processes import free_port, terminate
from facerec_devstack.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _nginx_installed(require_tool: Callable[[str | None, str], str]) -> None:
    require_tool(NGINX, "nginx (Debian: apt-get install nginx)")


MB = 1024 * 1024
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def _adapt(config: str, stack: Stack, http_port: int, grpc_port: int, folder: Path) -> str:
    """The deployment's config with only addresses and writable paths changed; each change must apply."""
    changes = [
        (r"server gateway:8000;", f"server {stack.address('gateway')};"),
        (r"server gateway:50050;", f"server {stack.address('public_grpc')};"),
        (r"listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;"),
        (r"listen 50050 http2;", f"listen 127.0.0.1:{grpc_port} http2;"),
        (r"pid /tmp/nginx.pid;", f"pid {folder / 'nginx.pid'};"),
        *(
            (rf"{kind}_temp_path /tmp/nginx-[a-z-]+;", f"{kind}_temp_path {folder / kind};")
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
    ]
    for pattern, replacement in changes:
        config, count = re.subn(pattern, replacement, config, count=1)
        assert count == 1, f"deploy/nginx/nginx.conf no longer has {pattern!r}"
    return config


@pytest.fixture(scope="module")
def nginx(stack: Stack, shared_tmp: Path) -> Iterator[tuple[str, str]]:
    assert NGINX is not None
    folder = shared_tmp / "nginx"  # its workers run as another user
    folder.mkdir()
    folder.chmod(0o755)
    http_port, grpc_port = free_port(), free_port()
    conf = folder / "nginx.conf"
    conf.write_text(_adapt((ROOT / "deploy/nginx/nginx.conf").read_text(), stack, http_port, grpc_port, folder))
    subprocess.run([NGINX, "-q", "-t", "-c", str(conf), "-p", str(folder)], check=True)
    with (folder / "nginx.log").open("wb") as log:
        process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"nginx did not start: {(folder / 'nginx.log').read_text()}"
                time.sleep(0.2)
        yield base, f"127.0.0.1:{grpc_port}"
    finally:
        terminate(process)


def _photo(data_dir: Path) -> Path:
    return sorted((data_dir / "faces").rglob("*.jpg"))[0]


def test_rest_through_nginx_keeps_the_request_id(nginx: tuple[str, str]) -> None:
    base, _ = nginx
    reply = httpx.get(f"{base}/api/v1/collections", headers={"X-Request-ID": "edge-1"}, timeout=30)
    assert reply.status_code == 200
    assert reply.headers["x-request-id"] == "edge-1"
    made = httpx.get(f"{base}/api/v1/collections", timeout=30).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)  # nginx's $request_id, kept by the gateway
    assert httpx.get(f"{base}/metrics", timeout=30).status_code == 404  # scraped inside, not at the edge


def test_upload_near_the_limit_passes_and_larger_ones_get_413(nginx: tuple[str, str], data_dir: Path) -> None:
    base, _ = nginx
    photo = _photo(data_dir).read_bytes()
    # A real photo padded to just under the gateway's 10 MB (decoders stop at the image's end).
    near = photo + b"\0" * (int(9.5 * MB) - len(photo))
    reply = httpx.post(f"{base}/api/v1/detect", files={"file": ("big.jpg", near, "image/jpeg")}, timeout=60)
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["faces"]) >= 1
    # Over the gateway's limit (its JSON 413) and over nginx's own cap (nginx's JSON 413).
    for size in (11 * MB, 13 * MB):
        body = photo + b"\0" * (size - len(photo))
        refused = httpx.post(f"{base}/api/v1/detect", files={"file": ("huge.jpg", body, "image/jpeg")}, timeout=60)
        assert refused.status_code == 413, size
        assert refused.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_public_grpc_through_nginx(nginx: tuple[str, str], data_dir: Path) -> None:
    _, address = nginx
    with grpc.insecure_channel(address) as channel:
        faces = FaceServiceStub(channel)
        found = faces.Detect(pb.DetectRequest(image=_photo(data_dir).read_bytes()), timeout=30)
        assert len(found.faces) >= 1
        with pytest.raises(grpc.RpcError) as refused:
            faces.Detect(pb.DetectRequest(image=b"not an image"), timeout=30)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_collection_files_past_the_upload_cap_stream_through(nginx: tuple[str, str], data_dir: Path) -> None:
    base, _ = nginx
    with _photo(data_dir).open("rb") as photo:
        embedded = httpx.post(f"{base}/api/v1/embed", files={"file": photo}, timeout=60).json()
    model = synthetic.Model(
        embedded["model"]["name"], embedded["model"]["version"], len(embedded["faces"][0]["embedding"])
    )
    faces = 5_000  # synthetic vectors: this checks transport, not accuracy
    body = b"".join(
        synthetic.collection_file(model, synthetic.unit_vectors(np.random.default_rng(7), faces, model.dimension), 1)
    )
    assert len(body) > 13 * MB  # over the cap every other request has
    name = f"edge-{uuid.uuid4().hex[:8]}"
    reply = httpx.post(
        f"{base}/api/v1/collections/{name}/import",
        content=iter([body[at : at + MB] for at in range(0, len(body), MB)]),  # chunked, as the CLI sends
        headers={"content-type": "application/x-ndjson"},
        timeout=300,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["faces_imported"] == faces
    with httpx.stream("GET", f"{base}/api/v1/collections/{name}/export", timeout=300) as exported:
        assert exported.status_code == 200
        lines = sum(chunk.count(b"\n") for chunk in exported.iter_bytes())
    assert lines == 1 + 2 * faces  # header, people, faces
    assert httpx.delete(f"{base}/api/v1/collections/{name}", timeout=60).status_code == 204


def test_a_refused_import_is_answered_through_nginx_before_the_file_is_sent(
    nginx: tuple[str, str], data_dir: Path
) -> None:
    # nginx streams imports to the gateway unbuffered, and passes the gateway's early answer on.
    base, _ = nginx
    with _photo(data_dir).open("rb") as photo:
        embedded = httpx.post(f"{base}/api/v1/embed", files={"file": photo}, timeout=60).json()
    model = synthetic.Model(
        embedded["model"]["name"], embedded["model"]["version"], len(embedded["faces"][0]["embedding"])
    )
    vectors = synthetic.unit_vectors(np.random.default_rng(5), 5_000, model.dimension)
    lines = b"".join(synthetic.collection_file(model, vectors, 1)).split(b"\n")
    lines[2] = b'{"type": "person", "id": "x"}'
    body = b"\n".join(lines)
    path = f"/api/v1/collections/early-{uuid.uuid4().hex[:8]}/import"
    host, port = base.removeprefix("http://").split(":")
    with partial_post(host, int(port), path, body, MB) as conn:
        answer = answer_head(conn)  # a timeout (a failure) if the answer waits for the rest
    assert answer.startswith(b"HTTP/1.1 422"), answer[:300]
    # A client that sends its whole file regardless gets the same answer.
    reply = httpx.post(
        f"{base}{path}", content=iter([body[at : at + MB] for at in range(0, len(body), MB)]), timeout=60
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["message"].startswith("line 3:")
