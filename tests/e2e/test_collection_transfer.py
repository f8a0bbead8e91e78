"""Export and import of a collection through the gateway's REST routes and the `facerec` CLI:
real photos enrolled, exported with images, imported elsewhere, recognised and re-embeddable there."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest

from facerec_devstack import photos, synthetic
from facerec_devstack.lossy_proxy import AnswerLosingProxy
from facerec_devstack.partial_post import answer_head, partial_post

pytestmark = pytest.mark.e2e
Cli = Callable[..., subprocess.CompletedProcess[str]]  # the facerec_cli fixture (tests/conftest.py)
V1 = "/api/v1"
MB = 1 << 20


@pytest.fixture(scope="module")
def enrolled(api: httpx.Client, data_dir: Path) -> tuple[str, dict[str, list[Path]]]:
    """Four real people with two photos each; their last photo stays unseen, as a probe."""
    name = f"transfer-{uuid.uuid4().hex[:8]}"
    people = {p: paths for p, paths in photos.people(data_dir).items() if len(paths) >= 3}
    chosen = dict(list(people.items())[:4])
    assert api.post(f"{V1}/collections", json={"name": name}).status_code == 201
    for person, paths in chosen.items():
        created = api.post(f"{V1}/collections/{name}/people", json={"name": person, "external_id": person}).json()
        for path in paths[:2]:
            reply = api.post(
                f"{V1}/collections/{name}/people/{created['person_id']}/faces",
                files={"file": (path.name, path.read_bytes())},
                data={"select": "largest"},
            )
            assert reply.status_code == 201, reply.text
    return name, chosen


def test_export_import_with_images_then_recognise_and_reembed(
    api: httpx.Client, facerec_cli: Cli, enrolled: tuple[str, dict[str, list[Path]]], tmp_path: Path
) -> None:
    name, chosen = enrolled
    out = tmp_path / "copy.jsonl"
    done = facerec_cli("export", name, "-o", str(out), "--images")
    assert done.returncode == 0, done.stderr
    lines = out.read_bytes().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "facerec.collection"
    assert (header["people"], header["faces"]) == (4, 8)
    assert all("aligned" in json.loads(line) for line in lines[5:])

    target = f"{name}-cli"
    done = facerec_cli("import", target, str(out), "--new-ids")
    assert done.returncode == 0, done.stderr
    assert "imported 4 people and 8 faces" in done.stdout
    for person, paths in chosen.items():
        probe = {"file": (paths[-1].name, paths[-1].read_bytes())}
        reply = api.post(f"{V1}/collections/{target}/identify", files=probe)
        assert reply.status_code == 200, reply.text
        best = reply.json()["faces"][0]
        assert best["match"]
        assert best["candidates"][0]["name"] == person
        assert reply.json()["search_method"] == "exact"  # far below the index threshold
    # The crops came along, so the copy can be re-embedded.
    assert api.post(f"{V1}/collections/{target}/reembed").status_code == 200
    image = api.get(f"{V1}/collections/{target}/faces", params={"limit": 1}).json()["faces"][0]["face_id"]
    assert api.get(f"{V1}/collections/{target}/faces/{image}/image").status_code == 200


def test_import_refusals_through_rest_and_cli(
    api: httpx.Client, facerec_cli: Cli, enrolled: tuple[str, dict[str, list[Path]]], tmp_path: Path
) -> None:
    name, _ = enrolled
    exported = api.get(f"{V1}/collections/{name}/export").content
    header, *rest = exported.splitlines(keepends=True)

    other = json.loads(header)
    other["model"]["version"] = "000000000000"
    reply = api.post(f"{V1}/collections/{name}-x/import", content=json.dumps(other).encode() + b"\n" + b"".join(rest))
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "MODEL_MISMATCH"

    broken = header + b"".join(rest[:3]) + b'{"type": "person"}\n' + b"".join(rest[3:])
    reply = api.post(f"{V1}/collections/{name}-x/import", content=broken, params={"new_ids": True})
    assert reply.status_code == 422
    assert reply.json()["error"]["message"].startswith("line 5:")

    reply = api.post(f"{V1}/collections/{name}/import", content=exported)
    assert reply.status_code == 409  # the same ids exist already: nothing imported
    assert reply.json()["error"]["code"] == "ALREADY_EXISTS"
    assert api.get(f"{V1}/collections/{name}").json()["face_count"] == 8
    assert api.get(f"{V1}/collections/{name}-x").status_code == 404

    missing = facerec_cli("export", "no-such-collection", "-o", str(tmp_path / "x.jsonl"))
    assert missing.returncode != 0
    assert "404 COLLECTION_NOT_FOUND" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_bytes(exported[: len(exported) // 2].rsplit(b"\n", 1)[0] + b"\n")
    done = facerec_cli("import", f"{name}-t", str(truncated), "--new-ids")
    assert done.returncode != 0
    assert "truncated" in done.stderr


def test_an_import_sent_again_with_its_key_is_answered_not_repeated(
    api: httpx.Client, enrolled: tuple[str, dict[str, list[Path]]], tmp_path: Path
) -> None:
    name, _ = enrolled
    exported = api.get(f"{V1}/collections/{name}/export").content
    path = f"{V1}/collections/{name}-again/import"
    key = {"Idempotency-Key": f"copy-{uuid.uuid4()}"}
    first = api.post(path, content=exported, params={"new_ids": True}, headers=key)
    assert (first.status_code, first.json()["replayed"]) == (200, False), first.text
    again = api.post(path, content=exported, params={"new_ids": True}, headers=key).json()
    assert (again["replayed"], again["faces_imported"], again["collection"]["face_count"]) == (True, 8, 8)
    refused = api.post(path, content=exported, params={"new_ids": True}, headers={"Idempotency-Key": "two words"})
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.json()["error"]["message"]

    # The CLI names each import with a key; when the answer is lost after the import was done, it
    # sends the file again with that key and is answered from the first.
    file = tmp_path / "copy.jsonl"
    file.write_bytes(exported)
    with AnswerLosingProxy((api.base_url.host, api.base_url.port or 80), lose=1) as proxy:
        command = [sys.executable, "-m", "facerec_client.cli", "--url", f"http://127.0.0.1:{proxy.port}"]
        done = subprocess.run(
            [*command, "import", f"{name}-lost", str(file), "--new-ids"], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    assert "sending it again with the same key" in done.stderr
    assert "(the answer to the attempt before, kept under key" in done.stdout
    assert api.get(f"{V1}/collections/{name}-lost").json()["face_count"] == 8


@pytest.fixture(scope="module")
def large_file(api: httpx.Client, enrolled: tuple[str, dict[str, list[Path]]]) -> bytes:
    """A collection file of some 58 MB, of the deployment's model."""
    header = json.loads(api.get(f"{V1}/collections/{enrolled[0]}/export").content.splitlines()[0])
    model = synthetic.Model(header["model"]["name"], header["model"]["version"], header["model"]["dimension"])
    vectors = synthetic.unit_vectors(np.random.default_rng(11), 20_000, model.dimension)  # speed only
    return b"".join(synthetic.collection_file(model, vectors, 2))


@pytest.fixture(scope="module")
def early_bad_line(large_file: bytes) -> bytes:
    """That file with a bad line 3."""
    lines = large_file.split(b"\n")
    lines[2] = b'{"type": "person", "id": "x"}'
    return b"\n".join(lines)


def test_an_early_bad_line_of_a_large_streamed_file_is_named(api: httpx.Client, early_bad_line: bytes) -> None:
    # The registry refuses at line 3 while the rest of the file is still on its way: the refusal
    # must reach the client as itself, never as a bare transport error (a 500), every time.
    body = early_bad_line
    for _ in range(4):
        reply = api.post(
            f"{V1}/collections/early-{uuid.uuid4().hex[:8]}/import",
            content=iter([body[at : at + 2**20] for at in range(0, len(body), 2**20)]),
        )
        assert reply.status_code == 422, reply.text
        assert reply.json()["error"]["message"].startswith("line 3:")


def test_a_refused_import_is_answered_before_the_client_has_sent_its_file(
    api: httpx.Client, early_bad_line: bytes
) -> None:
    # The client sends the first 2 MB of 58 and then waits: the answer must come without the rest.
    path = f"{V1}/collections/early-{uuid.uuid4().hex[:8]}/import"
    with partial_post(api.base_url.host, api.base_url.port or 80, path, early_bad_line, 2 * MB) as conn:
        answer = answer_head(conn)  # a timeout (a failure) if the gateway waits for the rest
    assert answer.startswith(b"HTTP/1.1 422"), answer[:200]


def test_an_import_sent_again_is_answered_before_the_file_is_sent_again(api: httpx.Client, large_file: bytes) -> None:
    name = f"again-{uuid.uuid4().hex[:8]}"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    path = f"{V1}/collections/{name}/import"
    assert api.post(path, content=large_file, headers=key).status_code == 200
    with partial_post(api.base_url.host, api.base_url.port or 80, path, large_file, 2 * MB, headers=key) as conn:
        answer = answer_head(conn)  # a timeout (a failure) if the gateway waits for the rest
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert api.get(f"{V1}/collections/{name}").json()["face_count"] == 20_000
    assert api.delete(f"{V1}/collections/{name}").status_code == 204


def test_a_client_gone_mid_import_leaves_nothing(api: httpx.Client, large_file: bytes) -> None:
    name = f"gone-{uuid.uuid4().hex[:8]}"
    with partial_post(
        api.base_url.host, api.base_url.port or 80, f"{V1}/collections/{name}/import", large_file, 20 * MB
    ):
        time.sleep(1)  # the registry has staged part of the file
    for _ in range(100):  # the registry hears of the cancel and rolls back
        if api.get(f"{V1}/collections/{name}").status_code == 404:
            break
        time.sleep(0.1)
    assert api.get(f"{V1}/collections/{name}").status_code == 404
    # ... and the next import of that name is whole.
    reply = api.post(f"{V1}/collections/{name}/import", content=large_file)
    assert reply.status_code == 200, reply.text
    assert reply.json()["faces_imported"] == 20_000
    assert api.delete(f"{V1}/collections/{name}").status_code == 204
