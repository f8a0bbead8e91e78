"""The `facerec` command line tool against the running stack: bulk enrolment with progress, a
refusal summary and a resumable second run; identify, verify, listings; the typed client."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from facerec_client import AsyncClient, Client, GrpcClient, NotFound, Refused
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e

PEOPLE = 6
Cli = Callable[..., subprocess.CompletedProcess[str]]  # the facerec_cli fixture (tests/conftest.py)


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A few people of the dev set as person folders, plus a photo with no face in one of them."""
    root = tmp_path_factory.mktemp("enrol")
    people = sorted(p for p in (data_dir / "faces").iterdir() if p.is_dir())[:PEOPLE]
    for person in people:
        (root / person.name).mkdir()
        for photo in sorted(person.glob("*.jpg"))[:3]:
            (root / person.name / photo.name).symlink_to(photo)
    no_face = sorted((data_dir / "no-face").iterdir())[0]
    (root / people[0].name / f"zz-{no_face.name}").symlink_to(no_face)
    return root


def test_enrol_a_folder_then_nothing_new_on_a_second_run(facerec_cli: Cli, photo_folder: Path, tmp_path: Path) -> None:
    collection = f"cli-{uuid.uuid4().hex[:8]}"
    photos = sum(1 for p in photo_folder.rglob("*") if p.is_file() or p.is_symlink())
    refusals = tmp_path / "refused.csv"
    first = facerec_cli("enrol", str(photo_folder), "--collection", collection, "--refusals", str(refusals))
    assert first.returncode == 0, first.stderr
    assert f"{photos}/{photos} photos" in first.stderr  # the progress bar reached the end
    assert f"enrolled {photos - 1} photos, skipped 0 already enrolled, refused 1; {PEOPLE} new people" in first.stdout
    assert "NO_FACE" in first.stdout
    with refusals.open() as file:
        rows = list(csv.DictReader(file))
    assert [r["code"] for r in rows] == ["NO_FACE"]
    assert Path(rows[0]["path"]).name.startswith("zz-")

    second = facerec_cli("enrol", str(photo_folder), "--collection", collection)
    assert second.returncode == 0, second.stderr
    assert f"enrolled 0 photos, skipped {photos - 1} already enrolled, refused 1; 0 new people" in second.stdout

    listed = facerec_cli("people", "--collection", collection)
    assert len(listed.stdout.splitlines()) == PEOPLE
    assert "3 faces" in listed.stdout
    assert collection in facerec_cli("collections").stdout

    person = sorted(p for p in photo_folder.iterdir())[1]
    probe = sorted(person.iterdir())[0]
    identified = facerec_cli("identify", "--collection", collection, str(probe))
    assert person.name.replace("_", " ") in identified.stdout


def test_failures_are_one_line_and_non_zero(facerec_cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    missing = facerec_cli("enrol", str(tmp_path / "nowhere"), "--collection", "x")
    assert missing.returncode != 0
    assert len(missing.stderr.strip().splitlines()) == 1
    unknown = facerec_cli("people", "--collection", f"none-{uuid.uuid4().hex[:6]}")
    assert unknown.returncode != 0
    assert "404" in unknown.stderr
    portrait = sorted((data_dir / "faces").rglob("*.jpg"))[0]
    same = facerec_cli("verify", str(portrait), str(portrait))
    assert same.returncode == 0
    assert same.stdout.startswith("same person")


def test_typed_client_sync_and_async(stack: Stack, data_dir: Path) -> None:
    photo = sorted((data_dir / "faces").rglob("*.jpg"))[0]
    collection = f"client-{uuid.uuid4().hex[:8]}"
    with Client(stack.gateway_url) as client:
        client.create_collection(collection)
        ada = client.create_person(collection, "Ada", external_id="E-1")
        enrolled = client.enrol(collection, ada.person_id, photo)
        assert enrolled.person_id == ada.person_id
        found = client.identify(collection, photo)
        assert found.faces[0].name == "Ada"
        with pytest.raises(NotFound):
            list(client.people(f"none-{uuid.uuid4().hex[:6]}"))
        with pytest.raises(Refused) as refused:
            client.enrol(collection, ada.person_id, b"not an image")
        assert refused.value.request_id

    async def in_async() -> list[str]:
        async with AsyncClient(stack.gateway_url) as client:
            result = await client.identify(collection, photo)
            return [str(face.name) for face in result.faces]

    assert asyncio.run(in_async())[0] == "Ada"


def test_typed_client_over_grpc(stack: Stack, data_dir: Path) -> None:
    photo = sorted((data_dir / "faces").rglob("*.jpg"))[0]
    collection = f"grpc-{uuid.uuid4().hex[:8]}"
    with GrpcClient(stack.address("public_grpc")) as client:
        client.create_collection(collection)
        bob = client.create_person(collection, "Bob", external_id="E-2")
        assert client.enrol(collection, bob.person_id, photo).person_id == bob.person_id
        assert client.identify(collection, photo).faces[0].name == "Bob"
        assert client.verify(photo, photo).match
        with pytest.raises(NotFound) as missing:
            client.identify(f"none-{uuid.uuid4().hex[:6]}", photo)
        assert missing.value.code == "COLLECTION_NOT_FOUND"
        with pytest.raises(Refused) as refused:
            client.enrol(collection, bob.person_id, b"not an image")
        assert refused.value.code in {"INVALID_IMAGE", "UNSUPPORTED_MEDIA_TYPE"}


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_the_client_tour_example_runs(stack: Stack, run_example: Callable[..., str], transport: str) -> None:
    where = stack.address("public_grpc") if transport == "grpc" else stack.gateway_url
    out = run_example("python_client.py", where, *(["--grpc"] if transport == "grpc" else []))
    assert "enrolled face" in out
    assert ": Hugh Grant (" in out
    assert "refused: NO_FACE" in out
    assert "not found: COLLECTION_NOT_FOUND" in out
