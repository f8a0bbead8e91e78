"""The v1 REST API through the gateway's HTTP port, every service real, real photos."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from facerec_common.models import MOBILEFACENET
from facerec_devstack import photos

pytestmark = pytest.mark.e2e
V1 = "/api/v1"


def _file(path: Path, field: str = "file") -> dict[str, tuple[str, bytes, str]]:
    return {field: (path.name, path.read_bytes(), "image/jpeg")}


def _ok(reply: httpx.Response, status: int = 200) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json() if reply.content else None


def _error(reply: httpx.Response, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code


@pytest.fixture(scope="module")
def people(data_dir: Path) -> dict[str, list[Path]]:
    return photos.people(data_dir)


@pytest.fixture(scope="module")
def gallery(api: httpx.Client, people: dict[str, list[Path]]) -> Iterator[tuple[str, dict[str, str]]]:
    """A collection with 12 people, two photos each; yields (collection, name -> person_id).

    Like a user would, a photo refused for holding several similar faces is
    replaced by the person's next photo.
    """
    name = f"v1-{uuid.uuid4().hex[:8]}"
    _ok(api.post(f"{V1}/collections", json={"name": name}), 201)
    ids = {}
    for person, paths in [(p, paths) for p, paths in people.items() if len(paths) >= 4][:12]:
        created = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": person, "external_id": person}), 201)
        ids[person] = created["person_id"]
        enrolled = 0
        for path in paths[:-1]:  # the last photo stays unseen: the probe
            reply = api.post(f"{V1}/collections/{name}/people/{created['person_id']}/faces", files=_file(path))
            if reply.status_code == 422 and reply.json()["error"]["code"] == "MULTIPLE_FACES":
                continue
            _ok(reply, 201)
            enrolled += 1
            if enrolled == 2:
                break
        assert enrolled == 2, person
    yield name, ids
    api.delete(f"{V1}/collections/{name}")


def _central(faces: list[dict[str, Any]]) -> dict[str, Any]:
    """The face nearest the centre of a 250x250 LFW photo: the person it is labelled with."""
    return min(
        faces,
        key=lambda f: (
            abs(f["box"]["x"] + f["box"]["width"] / 2 - 125) + abs(f["box"]["y"] + f["box"]["height"] / 2 - 125)
        ),
    )


def test_collection_lifecycle(api: httpx.Client) -> None:
    name = f"life-{uuid.uuid4().hex[:8]}"
    created = _ok(api.post(f"{V1}/collections", json={"name": name}), 201)
    assert created | {"created_at": None} == {
        "name": name,
        "people_count": 0,
        "face_count": 0,
        "model": None,
        "created_at": None,
        "target_fpir": None,
    }
    _error(api.post(f"{V1}/collections", json={"name": name}), 409, "COLLECTION_EXISTS")
    _error(api.post(f"{V1}/collections", json={"name": "bad name!"}), 422, "VALIDATION_ERROR")
    _ok(api.post(f"{V1}/collections", json={"name": name + "-2"}), 201)
    seen, cursor = [], None
    while True:
        page = _ok(api.get(f"{V1}/collections", params={"limit": 1, **({"cursor": cursor} if cursor else {})}))
        assert len(page["collections"]) <= 1
        seen += [c["name"] for c in page["collections"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert {name, name + "-2"} <= set(seen)
    _ok(api.delete(f"{V1}/collections/{name}-2"), 204)
    _ok(api.delete(f"{V1}/collections/{name}"), 204)
    _error(api.get(f"{V1}/collections/{name}"), 404, "COLLECTION_NOT_FOUND")


def test_gallery_counts_and_model(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, _ = gallery
    got = _ok(api.get(f"{V1}/collections/{name}"))
    assert (got["people_count"], got["face_count"]) == (12, 24)
    assert got["model"] == {"name": "w600k_mbf", "version": "9cc6e4a75f0e"}


def test_people_paging_patch_and_delete(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, ids = gallery
    seen, cursor = [], None
    while True:
        page = _ok(
            api.get(f"{V1}/collections/{name}/people", params={"limit": 5, **({"cursor": cursor} if cursor else {})})
        )
        seen += [p["person_id"] for p in page["people"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) >= 12
    assert len(set(seen)) == len(seen)
    assert set(ids.values()) <= set(seen)

    extra = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": "Temp", "metadata": {"team": "red"}}), 201)
    patched = _ok(api.patch(f"{V1}/collections/{name}/people/{extra['person_id']}", json={"metadata": {"floor": 2}}))
    assert patched["metadata"] == {"team": "red", "floor": 2}
    _error(
        api.post(f"{V1}/collections/{name}/people", json={"name": "Dup", "external_id": next(iter(ids))}),
        409,
        "EXTERNAL_ID_TAKEN",
    )
    _ok(api.delete(f"{V1}/collections/{name}/people/{extra['person_id']}"), 204)
    _error(api.get(f"{V1}/collections/{name}/people/{extra['person_id']}"), 404, "PERSON_NOT_FOUND")
    _error(api.get(f"{V1}/collections/{name}/people/not-a-uuid"), 422, "INVALID_ARGUMENT")


def test_identify_names_enrolled_people_from_other_photos(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    right = 0
    for person in ids:
        body = _ok(api.post(f"{V1}/collections/{name}/identify", files=_file(people[person][-1]), data={"top_k": 3}))
        face = _central(body["faces"])
        assert body["model"]["name"] == "w600k_mbf"
        names = [c["name"] for c in face["candidates"]]
        assert len(names) == len(set(names)) == 3  # ranked per person, never the same person twice
        right += face["match"] and names[0] == person
    assert right >= 11


def test_identify_a_stranger_is_unknown(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, _ = gallery
    for stranger in list(people.values())[-1]:
        body = _ok(api.post(f"{V1}/collections/{name}/identify", files=_file(stranger)))
        assert not any(f["match"] for f in body["faces"]), stranger.name


def test_identify_returns_every_face_of_group_photos(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], data_dir: Path
) -> None:
    name, _ = gallery
    for path, annotated in photos.group_faces(data_dir).items():
        body = _ok(api.post(f"{V1}/collections/{name}/identify", files=_file(path)))
        found = body["faces"]
        assert len(found) >= len(annotated) - 1, path
        areas = [f["box"]["width"] * f["box"]["height"] for f in found]
        assert areas == sorted(areas, reverse=True)
        boxes = [(f["box"]["x"], f["box"]["y"], f["box"]["width"], f["box"]["height"]) for f in found]
        overlapping = sum(any(photos.iou(b, a) >= 0.4 for a in annotated) for b in boxes)
        assert overlapping >= len(annotated) - 1, path
        assert all(set(f) == {"box", "landmarks", "detection_score", "match", "candidates"} for f in found)


def test_enrolment_needs_a_choice_between_several_faces(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], data_dir: Path
) -> None:
    name, _ = gallery
    person = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": "Group"}), 201)["person_id"]
    url = f"{V1}/collections/{name}/people/{person}/faces"
    group = data_dir / "group/2008_002506.jpg"
    _error(api.post(url, files=_file(group)), 422, "MULTIPLE_FACES")
    _error(api.post(url, files=_file(group), data={"face_index": 9}), 422, "INVALID_ARGUMENT")
    largest = _ok(api.post(url, files=_file(group), data={"select": "largest"}), 201)
    second = _ok(api.post(url, files=_file(group), data={"face_index": 1}), 201)
    assert largest["faces_in_photo"] == second["faces_in_photo"] >= 3
    assert largest["box"]["width"] >= second["box"]["width"]
    _error(api.post(url, files=_file(data_dir / "no-face/skimage_rocket.jpg")), 422, "NO_FACE")
    _ok(api.delete(f"{V1}/collections/{name}/people/{person}"), 204)


def test_faces_list_get_image_and_deletes(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    person, person_id = next(iter(ids.items()))
    faces = _ok(api.get(f"{V1}/collections/{name}/faces", params={"person_id": person_id}))["faces"]
    assert len(faces) == 2
    assert {f["name"] for f in faces} == {person}
    assert _ok(api.get(f"{V1}/collections/{name}/people/{person_id}"))["face_count"] == 2
    face = _ok(api.get(f"{V1}/collections/{name}/faces/{faces[0]['face_id']}"))
    assert face["model"]["version"] == "9cc6e4a75f0e"
    image = api.get(f"{V1}/collections/{name}/faces/{faces[0]['face_id']}/image")
    assert image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).format == "JPEG"

    extra = [
        _ok(
            api.post(f"{V1}/collections/{name}/people/{person_id}/faces", files=_file(p), data={"select": "largest"}),
            201,
        )["face_id"]
        for p in people[person][-2:]
    ]
    _ok(api.delete(f"{V1}/collections/{name}/faces/{extra[0]}"), 204)
    _error(api.get(f"{V1}/collections/{name}/faces/{extra[0]}"), 404, "FACE_NOT_FOUND")
    missing = str(uuid.uuid4())
    bulk = _ok(api.post(f"{V1}/collections/{name}/faces:delete", json={"face_ids": [extra[1], missing]}))
    assert bulk == {"deleted": [extra[1]], "not_found": [missing]}


def test_paging_faces_across_pages(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, _ = gallery
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = _ok(api.get(f"{V1}/collections/{name}/faces", params=params))
        seen += [f["face_id"] for f in page["faces"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == _ok(api.get(f"{V1}/collections/{name}"))["face_count"]


def test_collections_are_isolated(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    _, ids = gallery
    other = f"iso-{uuid.uuid4().hex[:8]}"
    _ok(api.post(f"{V1}/collections", json={"name": other}), 201)
    enrolled = next(iter(ids))
    body = _ok(api.post(f"{V1}/collections/{other}/identify", files=_file(people[enrolled][0])))
    assert body["faces"][0]["candidates"] == []
    assert body["faces"][0]["match"] is False
    assert _ok(api.get(f"{V1}/collections/{other}/faces"))["faces"] == []
    _error(api.get(f"{V1}/collections/{other}/people/{ids[enrolled]}"), 404, "PERSON_NOT_FOUND")
    api.delete(f"{V1}/collections/{other}")


def test_verify_two_photos(api: httpx.Client, people: dict[str, list[Path]]) -> None:
    a, b = list(people.values())[:2]
    same = _ok(api.post(f"{V1}/verify", files={**_file(a[0], "image_a"), **_file(a[1], "image_b")}))
    other = _ok(api.post(f"{V1}/verify", files={**_file(a[0], "image_a"), **_file(b[0], "image_b")}))
    assert same["match"] is True
    assert other["match"] is False
    assert same["similarity"] > other["similarity"]
    assert same["threshold"] == pytest.approx(MOBILEFACENET.threshold)
    assert set(same["face_a"]) == {"box", "landmarks", "detection_score"}
    assert same["model"]["name"] == "w600k_mbf"


def test_verify_against_a_person(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    (alice, alice_id), (_, bob_id) = list(ids.items())[:2]
    yes = _ok(api.post(f"{V1}/collections/{name}/people/{alice_id}/verify", files=_file(people[alice][-1])))
    no = _ok(api.post(f"{V1}/collections/{name}/people/{bob_id}/verify", files=_file(people[alice][-1])))
    assert (yes["match"], no["match"]) == (True, False)
    assert yes["face_id"]


def test_detect(api: httpx.Client, data_dir: Path) -> None:
    group = _ok(api.post(f"{V1}/detect", files=_file(data_dir / "group/2008_004176.jpg")))
    assert len(group["faces"]) >= 6
    assert (group["image_width"], group["image_height"]) == (480, 438)
    none = _ok(api.post(f"{V1}/detect", files=_file(data_dir / "no-face/dlib_horses.jpg")))
    assert none["faces"] == []


def test_embed_then_search_with_own_vector(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    person = list(ids)[3]
    embedded = _ok(api.post(f"{V1}/embed", files=_file(people[person][-1])))
    face = _central(embedded["faces"])
    assert len(face["embedding"]) == 512
    assert embedded["model"]["name"] == "w600k_mbf"
    found = _ok(api.post(f"{V1}/collections/{name}/search", json={"embedding": face["embedding"], "top_k": 2}))
    assert found["candidates"][0]["name"] == person
    assert found["match"] is True
    _error(api.post(f"{V1}/collections/{name}/search", json={"embedding": [0.1] * 128}), 422, "INVALID_ARGUMENT")


def test_reembed_keeps_identification_working(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    before = _ok(api.get(f"{V1}/collections/{name}"))
    after = _ok(api.post(f"{V1}/collections/{name}/reembed"))
    assert after["face_count"] == before["face_count"]
    assert after["model"] == before["model"]
    person = list(ids)[5]
    body = _ok(api.post(f"{V1}/collections/{name}/identify", files=_file(people[person][-1])))
    assert _central(body["faces"])["candidates"][0]["name"] == person


def test_unknown_collection_everywhere(api: httpx.Client, data_dir: Path) -> None:
    photo = data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg"
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    _error(api.post(f"{V1}/collections/{missing}/identify", files=_file(photo)), 404, "COLLECTION_NOT_FOUND")
    _error(api.get(f"{V1}/collections/{missing}/people"), 404, "COLLECTION_NOT_FOUND")
    _error(api.post(f"{V1}/collections/{missing}/people", json={"name": "X"}), 404, "COLLECTION_NOT_FOUND")


def test_hostile_json_is_422_never_500(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, _ = gallery
    people_url = f"{V1}/collections/{name}/people"
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    bodies = [
        '{"name": "A", "metadata": {"n": 1' + "0" * 400 + "}}",
        '{"name": "A", "metadata": {"n": NaN}}',
        '{"name": "A", "metadata": {"n": Infinity}}',
        '{"name": "A", "metadata": {"\\ud800": 1}}',
        '{"name": "\\ud800"}',
        '{"name": "A", "metadata": ' + json.dumps(deep) + "}",
        '{"name": "A", "metadata": {"blob": "' + "x" * 20_000 + '"}}',
        '{"name": "A", "metadata": [1, 2]}',
        "not json",
    ]
    for body in bodies:
        reply = api.post(people_url, content=body, headers={"content-type": "application/json"})
        assert reply.status_code == 422, (body[:60], reply.text)
        assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
    bulk = api.post(
        f"{V1}/collections/{name}/faces:delete",
        content='{"face_ids": ["\\ud800"]}',
        headers={"content-type": "application/json"},
    )
    assert bulk.status_code == 422


def test_metadata_numbers_come_back_as_sent(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, _ = gallery
    sent = {"level": 3, "ratio": 0.5, "tags": ["a", 1], "nested": {"n": -2}}
    created = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": "Meta", "metadata": sent}), 201)
    assert created["metadata"] == sent
    assert isinstance(created["metadata"]["level"], int)
    api.delete(f"{V1}/collections/{name}/people/{created['person_id']}")


def test_two_large_photos_fit_one_verify_request(api: httpx.Client) -> None:
    blob = b"\xff\xd8\xff" + bytes(6 * 1024 * 1024)  # each under the 10 MB limit, 12 MB together
    reply = api.post(f"{V1}/verify", files={"image_a": ("a.jpg", blob), "image_b": ("b.jpg", blob)})
    assert reply.status_code == 400  # refused for what it is (not an image), not for its size
    assert reply.json()["error"]["code"] == "INVALID_IMAGE"


def test_uppercase_person_id_is_the_same_person(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], people: dict[str, list[Path]]
) -> None:
    name, ids = gallery
    person, person_id = list(ids.items())[7]
    reply = _ok(
        api.post(
            f"{V1}/collections/{name}/people/{person_id.upper()}/faces",
            files=_file(people[person][-1]),
            data={"select": "largest"},
        ),
        201,
    )
    assert reply["person_id"] == person_id
    assert reply["warnings"] == []  # not a "duplicate" of themselves
    _ok(api.delete(f"{V1}/collections/{name}/faces/{reply['face_id']}"), 204)


# In each photo a bystander cut by the border is the largest face (index 0); the named person is face 1.
BYSTANDER_PHOTOS = ["Bertrand_Bonello", "Doug_Duncan", "Julianna_Margulies"]


def test_the_subject_is_taken_not_the_larger_bystander(api: httpx.Client, data_dir: Path) -> None:
    name = f"choice-{uuid.uuid4().hex[:8]}"
    _ok(api.post(f"{V1}/collections", json={"name": name}), 201)
    try:
        for person in BYSTANDER_PHOTOS:
            crowded, alone = sorted((data_dir / "crowd" / person).glob("*.jpg"), key=_faces_in(api))[::-1][:2]
            pid = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": person}), 201)["person_id"]
            enrolled = _ok(api.post(f"{V1}/collections/{name}/people/{pid}/faces", files=_file(crowded)), 201)
            assert enrolled["faces_in_photo"] >= 2
            assert enrolled["face_index"] == 1, enrolled  # not the largest
            assert "subject" in enrolled["choice_reason"]
            found = _ok(api.post(f"{V1}/collections/{name}/identify", files=_file(alone)))
            [face] = found["faces"]
            assert (face["match"], face["candidates"][0]["name"]) == (True, person), found
            # /embed of one face gives the subject too: it matches the enrolled face.
            [embedded] = _ok(api.post(f"{V1}/embed", files=_file(crowded), data={"max_faces": 1}))["faces"]
            assert embedded["box"] == enrolled["box"]
    finally:
        api.delete(f"{V1}/collections/{name}")


def _faces_in(api: httpx.Client) -> Any:
    return lambda path: len(_ok(api.post(f"{V1}/detect", files=_file(path)))["faces"])


def test_a_person_with_faces_gets_the_face_that_matches_them(
    api: httpx.Client, gallery: tuple[str, dict[str, str]], data_dir: Path
) -> None:
    name, _ = gallery
    person = "Julianna_Margulies"
    crowded, alone = sorted((data_dir / "crowd" / person).glob("*.jpg"), key=_faces_in(api))[::-1][:2]
    pid = _ok(api.post(f"{V1}/collections/{name}/people", json={"name": person}), 201)["person_id"]
    _ok(api.post(f"{V1}/collections/{name}/people/{pid}/faces", files=_file(alone)), 201)
    enrolled = _ok(api.post(f"{V1}/collections/{name}/people/{pid}/faces", files=_file(crowded)), 201)
    assert enrolled["face_index"] == 1
    assert enrolled["choice_reason"].startswith("matches the person's enrolled faces")
    _ok(api.delete(f"{V1}/collections/{name}/people/{pid}"), 204)


def test_identify_reports_an_open_set_threshold(api: httpx.Client, gallery: tuple[str, dict[str, str]]) -> None:
    name, _ = gallery
    probe = _ok(api.get(f"{V1}/collections/{name}"))
    assert probe["target_fpir"] is None  # the service's default
    vector = [1.0] + [0.0] * 511
    default = _ok(api.post(f"{V1}/collections/{name}/search", json={"embedding": vector}))
    assert (default["threshold_basis"], default["target_fpir"]) == ("open_set", 0.003)
    strict = _ok(api.post(f"{V1}/collections/{name}/search", json={"embedding": vector, "target_fpir": 1e-6}))
    assert strict["threshold"] > default["threshold"] >= MOBILEFACENET.threshold
    _ok(api.patch(f"{V1}/collections/{name}", json={"target_fpir": 1e-6}))
    assert (
        _ok(api.post(f"{V1}/collections/{name}/search", json={"embedding": vector}))["threshold"] == strict["threshold"]
    )
    assert _ok(api.patch(f"{V1}/collections/{name}", json={"target_fpir": None}))["target_fpir"] is None
    _error(api.patch(f"{V1}/collections/{name}", json={"target_fpir": 2}), 422, "VALIDATION_ERROR")
