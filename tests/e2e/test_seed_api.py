"""The seed's four endpoints through the gateway's HTTP port, every service real, real photos."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from facerec_devstack import photos

pytestmark = pytest.mark.e2e

ENROLLED_PEOPLE = 50  # the other people in faces/ are strangers the system never saw


def _register(api: httpx.Client, name: str, path: Path) -> httpx.Response:
    return api.post(
        "/api/face/register", data={"name": name}, files={"file": (path.name, path.read_bytes(), "image/jpeg")}
    )


def _recognise(api: httpx.Client, path: Path) -> httpx.Response:
    return api.post("/api/face/recognition", files={"file": (path.name, path.read_bytes(), "image/jpeg")})


def _all_faces(api: httpx.Client) -> list[dict[str, str]]:
    reply = api.get("/api/face/")
    assert reply.status_code == 200
    faces: list[dict[str, str]] = reply.json()
    return faces


@pytest.fixture(scope="module")
def gallery(api: httpx.Client, data_dir: Path) -> dict[str, list[Path]]:
    """Enrol the first photo of each of 50 people; return everyone's photos."""
    people = photos.people(data_dir)
    for name, paths in list(people.items())[:ENROLLED_PEOPLE]:
        reply = _register(api, name, paths[0])
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"message": "Face registered successfully"}
    return people


def test_recognises_enrolled_people_from_other_photos(api: httpx.Client, gallery: dict[str, list[Path]]) -> None:
    right = 0
    enrolled = list(gallery.items())[:ENROLLED_PEOPLE]
    for name, paths in enrolled:
        body = _recognise(api, paths[1]).json()
        assert set(body) == {"match", "name", "id_face", "score"}
        assert isinstance(body["score"], float)
        assert body["score"] == round(body["score"], 4)
        right += body["match"] and body["name"] == name
    assert right / len(enrolled) >= 0.95, f"{right}/{len(enrolled)} recognised"


def test_strangers_are_not_matched(api: httpx.Client, gallery: dict[str, list[Path]]) -> None:
    strangers = list(gallery.items())[ENROLLED_PEOPLE:]
    assert len(strangers) >= 10
    for _name, paths in strangers:
        for path in paths[:2]:
            body = _recognise(api, path).json()
            assert body["match"] is False, f"{path.name} matched {body['name']} at {body['score']}"
            assert body["name"] is None
            assert body["id_face"] is None
            assert body["score"] < 0.29


def test_list_has_every_enrolment_with_a_displayable_image(api: httpx.Client, gallery: dict[str, list[Path]]) -> None:
    faces = _all_faces(api)
    assert {f["name"] for f in faces} >= set(list(gallery)[:ENROLLED_PEOPLE])
    for face in faces[:5]:
        assert set(face) == {"id_face", "name", "image"}
        thumbnail = Image.open(io.BytesIO(base64.b64decode(face["image"])))
        assert thumbnail.format == "JPEG"
        assert max(thumbnail.size) <= 160


def test_delete_removes_from_list_and_recognition(api: httpx.Client, data_dir: Path) -> None:
    person = photos.people(data_dir)["Yao_Ming"]  # a stranger until now
    assert _register(api, "Yao Ming", person[0]).status_code == 200
    [face] = [f for f in _all_faces(api) if f["name"] == "Yao Ming"]
    assert _recognise(api, person[1]).json()["id_face"] == face["id_face"]

    reply = api.delete(f"/api/face/recognition/{face['id_face']}")
    assert reply.status_code == 200
    assert reply.json() == {"message": f"Face with ID {face['id_face']} has been deleted successfully"}
    assert face["id_face"] not in {f["id_face"] for f in _all_faces(api)}
    assert _recognise(api, person[1]).json()["match"] is False

    again = api.delete(f"/api/face/recognition/{face['id_face']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "FACE_NOT_FOUND"


def _people_named(api: httpx.Client, name: str) -> list[dict[str, object]]:
    found, cursor = [], None
    while True:
        page = api.get("/api/v1/collections/default/people", params={"limit": 500, "cursor": cursor}).json()
        found += [p for p in page["people"] if p["name"] == name]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_deleting_a_persons_last_face_removes_the_person(api: httpx.Client, data_dir: Path) -> None:
    # A seed record is one face: no "Ciro Gomes (0 faces)" may be left behind.
    photo_a, photo_b = photos.people(data_dir)["Jiri_Novak"][:2]
    assert _register(api, "Jiri Novak", photo_a).status_code == 200
    assert _register(api, "Jiri Novak", photo_b).status_code == 200
    first, second = [f["id_face"] for f in _all_faces(api) if f["name"] == "Jiri Novak"]
    assert api.delete(f"/api/face/recognition/{first}").status_code == 200
    assert len(_people_named(api, "Jiri Novak")) == 1  # one face left: the person stays
    assert api.delete(f"/api/face/recognition/{second}").status_code == 200
    assert _people_named(api, "Jiri Novak") == []


def test_group_photo_enrols_one_face_never_refused(api: httpx.Client, data_dir: Path) -> None:
    reply = _register(api, "Group Subject", data_dir / "group/2008_002506.jpg")
    assert reply.status_code == 200
    [face] = [f for f in _all_faces(api) if f["name"] == "Group Subject"]
    assert Image.open(io.BytesIO(base64.b64decode(face["image"]))).size[0] > 0


def test_the_subject_is_enrolled_and_recognised_not_a_larger_bystander(
    api: httpx.Client, gallery: dict[str, list[Path]], data_dir: Path
) -> None:
    # A bystander cut by the left border is the largest face of the first photo.
    first, second = sorted((data_dir / "crowd/Bertrand_Bonello").glob("*.jpg"))
    assert _register(api, "Bertrand Bonello", first).status_code == 200
    for probe in (second, first):
        body = _recognise(api, probe).json()
        assert (body["match"], body["name"]) == (True, "Bertrand Bonello"), body


@pytest.mark.parametrize(
    ("filename", "content", "status", "code"),
    [
        ("notes.jpg", b"this is text, not a photo", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("empty.jpg", b"", 400, "EMPTY_FILE"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, 400, "INVALID_IMAGE"),
    ],
)
def test_bad_files_get_clear_errors(api: httpx.Client, filename: str, content: bytes, status: int, code: str) -> None:
    for reply in (
        api.post("/api/face/register", data={"name": "X"}, files={"file": (filename, content, "image/jpeg")}),
        api.post("/api/face/recognition", files={"file": (filename, content, "image/jpeg")}),
    ):
        assert reply.status_code == status, reply.text
        body = reply.json()
        assert body["error"]["code"] == code
        assert body["detail"] == body["error"]["message"]
        assert "Traceback" not in reply.text


def test_truncated_photo_is_400(api: httpx.Client, data_dir: Path) -> None:
    data = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    reply = api.post("/api/face/recognition", files={"file": ("cut.jpg", data[: len(data) // 2], "image/jpeg")})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "INVALID_IMAGE"


def test_photo_without_a_face_is_422(api: httpx.Client, data_dir: Path) -> None:
    path = data_dir / "no-face/skimage_coffee.jpg"
    for reply in (_register(api, "Coffee", path), _recognise(api, path)):
        assert reply.status_code == 422
        assert reply.json()["error"]["code"] == "NO_FACE"
    assert "Coffee" not in {f["name"] for f in _all_faces(api)}


def test_missing_fields_are_422(api: httpx.Client, data_dir: Path) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    no_name = api.post("/api/face/register", files={"file": ("a.jpg", photo, "image/jpeg")})
    no_file = api.post("/api/face/register", data={"name": "X"})
    wrong_field = api.post("/api/face/recognition", files={"image": ("a.jpg", photo, "image/jpeg")})
    for reply in (no_name, no_file, wrong_field):
        assert reply.status_code == 422
        assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "name" in no_name.json()["detail"]


def test_oversized_upload_is_413(api: httpx.Client) -> None:
    big = b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)
    reply = api.post("/api/face/recognition", files={"file": ("big.jpg", big, "image/jpeg")})
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_png_upload_works(api: httpx.Client, data_dir: Path) -> None:
    buffer = io.BytesIO()
    Image.open(data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").save(buffer, format="PNG")
    reply = api.post("/api/face/recognition", files={"file": ("a.png", buffer.getvalue(), "image/png")})
    assert reply.status_code == 200


def test_ready_and_docs(api: httpx.Client) -> None:
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["services"] == {"detector": "SERVING", "embedder": "SERVING", "registry": "SERVING"}
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/face/register", "/api/face/recognition", "/api/face/recognition/{id_face}", "/api/face/"} <= set(
        paths
    )


def test_unknown_route_is_json_404(api: httpx.Client) -> None:
    reply = api.get("/api/nothing-here")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "NOT_FOUND"
