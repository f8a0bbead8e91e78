"""Cameras and events through the public APIs (REST, gRPC, CLI) of the session's real stack.

Events are written as the stream service writes them, through the registry's CameraRegistryService
(tests/e2e/test_stream.py has them made by real cameras); crops are real photos' faces."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc
from facerec.v1 import camera_service_pb2, camera_service_pb2_grpc
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
SECRET = "p4ss-of-the-camera"
CliRun = Callable[..., Any]


@pytest.fixture(scope="module")
def registry(stack: Stack) -> Iterator[cameras_pb2_grpc.CameraRegistryServiceStub]:
    with grpc.insecure_channel(stack.address("registry")) as channel:
        yield cameras_pb2_grpc.CameraRegistryServiceStub(channel)


@pytest.fixture(scope="module")
def public(stack: Stack) -> Iterator[camera_service_pb2_grpc.CameraServiceStub]:
    with grpc.insecure_channel(stack.address("public_grpc")) as channel:
        yield camera_service_pb2_grpc.CameraServiceStub(channel)


@pytest.fixture
def camera(api: httpx.Client) -> Iterator[str]:
    name = f"door-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "source_url": f"rtsp://admin:{SECRET}@10.1.2.3:554/live", "collection": "staff", "fps": 4}
    created = api.post("/api/v1/cameras", json=body)
    assert created.status_code == 201, created.text
    yield name
    api.delete(f"/api/v1/cameras/{name}")


@pytest.fixture(scope="module")
def crop(data_dir: Path) -> bytes:
    photos = sorted((data_dir / "faces").rglob("*.jpg"))
    assert photos
    return photos[0].read_bytes()


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def _record(
    registry: cameras_pb2_grpc.CameraRegistryServiceStub, camera: str, at: datetime, crop: bytes, person: str = ""
) -> str:
    event_id = str(uuid.uuid4())
    event = cameras_pb2.CameraEvent(
        event_id=event_id,
        camera=camera,
        collection="staff",
        person_id=person,
        person_name="Grace Hopper" if person else "",
        score=0.71 if person else 0.12,
        threshold=0.36,
        first_seen=_stamp(at),
        last_seen=_stamp(at + timedelta(seconds=3)),
        crop_jpeg=crop,
        track_count=1,
    )
    registry.RecordEvent(cameras_pb2.RecordEventRequest(event=event), timeout=10)
    return event_id


def test_cameras_are_managed_over_rest_and_never_show_their_credentials(api: httpx.Client, camera: str) -> None:
    got = api.get(f"/api/v1/cameras/{camera}")
    assert got.status_code == 200
    body = got.json()
    assert body["source"] == "rtsp://***@10.1.2.3:554/live"
    assert (body["fps"], body["enabled"], body["state"]["state"]) == (4, True, "unassigned")
    assert SECRET not in api.get("/api/v1/cameras").text

    taken = api.post("/api/v1/cameras", json={"name": camera, "source_url": "rtsp://x/y", "collection": "staff"})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "CAMERA_EXISTS"

    changed = api.patch(f"/api/v1/cameras/{camera}", json={"enabled": False, "fps": 2})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["fps"], changed.json()["state"]["state"]) == (2, "disabled")
    assert changed.json()["source"] == body["source"]  # not sent: kept

    no_frame = api.get(f"/api/v1/cameras/{camera}/frame.jpg")
    assert no_frame.status_code == 404
    assert no_frame.json()["error"]["code"] == "CAMERA_NOT_FOUND"

    assert api.delete(f"/api/v1/cameras/{camera}").status_code == 204
    gone = api.get(f"/api/v1/cameras/{camera}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "CAMERA_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "front door", "source_url": "rtsp://x/y", "collection": "staff"},
        {"name": "d", "source_url": "rtsp://x/a b", "collection": "staff"},
        {"name": "d", "source_url": "", "collection": "staff"},
        {"name": "d", "source_url": "rtsp://x/y", "collection": "staff", "fps": 0},
        {"name": "d", "source_url": "rtsp://x/y", "collection": "staff", "fps": 31},
        {"name": "d", "source_url": "rtsp://x/y", "collection": "staff", "min_face_px": 1},
        {"name": "d", "source_url": "rtsp://x/y"},
        {"name": "d", "source_url": ["rtsp://x/y"], "collection": "staff"},
    ],
)
def test_bad_cameras_get_a_4xx_naming_the_problem(api: httpx.Client, body: dict[str, object]) -> None:
    refused = api.post("/api/v1/cameras", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_events_are_listed_filtered_paged_and_their_crops_served(
    api: httpx.Client, registry: cameras_pb2_grpc.CameraRegistryServiceStub, crop: bytes
) -> None:
    camera = f"hall-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0)
    person = str(uuid.uuid4())
    ids = [_record(registry, camera, start + timedelta(seconds=i), crop, person if i == 2 else "") for i in range(5)]

    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"camera": camera, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/events", params=params).json()
        pages.append([e["event_id"] for e in page["events"]])
        if not (cursor := page["next_cursor"]):
            break
    assert [i for page in pages for i in page] == ids[::-1]
    assert max(len(p) for p in pages) == 2

    [known] = api.get("/api/v1/events", params={"person_id": person}).json()["events"]
    assert known["event_id"] == ids[2]
    assert known["person"] == {"id": person, "name": "Grace Hopper"}
    unknown = api.get("/api/v1/events", params={"camera": camera, "unknown": "true"}).json()["events"]
    assert {e["event_id"] for e in unknown} == set(ids) - {ids[2]}
    window = {
        "camera": camera,
        "since": (start + timedelta(seconds=1)).isoformat(),
        "until": (start + timedelta(seconds=3)).isoformat(),
    }
    assert [e["event_id"] for e in api.get("/api/v1/events", params=window).json()["events"]] == [ids[2], ids[1]]

    one = api.get(f"/api/v1/events/{ids[0]}")
    assert one.status_code == 200
    assert one.json()["crop_url"] == f"/api/v1/events/{ids[0]}/crop.jpg"
    image = api.get(one.json()["crop_url"])
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/jpeg", crop)


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        (f"/api/v1/events/{uuid.uuid4()}", {}, 404, "EVENT_NOT_FOUND"),
        ("/api/v1/events/not-a-uuid", {}, 422, "VALIDATION_ERROR"),
        ("/api/v1/events", {"cursor": "garbage"}, 422, "INVALID_ARGUMENT"),
        ("/api/v1/events", {"since": "yesterday"}, 422, "VALIDATION_ERROR"),
        ("/api/v1/events", {"since": "2026-12-07T08:00:00"}, 422, "INVALID_ARGUMENT"),
        ("/api/v1/events", {"person_id": "x"}, 422, "VALIDATION_ERROR"),
        ("/api/v1/events", {"camera": "a/b"}, 422, "VALIDATION_ERROR"),
        ("/api/v1/deliveries", {"status": "lost"}, 422, "VALIDATION_ERROR"),
    ],
)
def test_bad_event_queries_get_a_4xx_naming_the_problem(
    api: httpx.Client, path: str, params: dict[str, str], status: int, code: str
) -> None:
    reply = api.get(path, params=params)
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code


def test_the_public_grpc_api_manages_cameras_and_watches_events(
    public: camera_service_pb2_grpc.CameraServiceStub,
    registry: cameras_pb2_grpc.CameraRegistryServiceStub,
    crop: bytes,
) -> None:
    name = f"gate-{uuid.uuid4().hex[:8]}"
    put = cameras_pb2.PutCameraRequest(
        name=name, source_url=f"rtsp://u:{SECRET}@10.0.0.9/s", collection="staff", fps=5, min_face_px=40, enabled=True
    )
    created = public.CreateCamera(put, timeout=10)
    assert created.source == "rtsp://***@10.0.0.9/s"
    assert not created.source_url
    with pytest.raises(grpc.RpcError) as taken:
        public.CreateCamera(put, timeout=10)
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert name in {c.name for c in public.ListCameras(cameras_pb2.ListCamerasRequest(), timeout=10).cameras}

    watched: list[cameras_pb2.CameraEvent] = []
    watch = public.WatchEvents(camera_service_pb2.WatchEventsRequest(camera=name), timeout=8)

    def read() -> None:
        try:
            for event in watch:
                watched.append(event)
        except grpc.RpcError:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    before = _record(registry, name, datetime.now(UTC) - timedelta(seconds=30), crop)  # may predate the watch
    threading.Event().wait(2.5)
    after = _record(registry, name, datetime.now(UTC), crop)
    reader.join(15)
    assert after in {e.event_id for e in watched}
    listed = public.ListEvents(cameras_pb2.ListEventsRequest(camera=name), timeout=10)
    assert [e.event_id for e in listed.events] == [after, before]
    assert public.GetEvent(cameras_pb2.GetEventRequest(event_id=after), timeout=10).crop_jpeg == crop

    public.DeleteCamera(cameras_pb2.DeleteCameraRequest(name=name), timeout=10)
    with pytest.raises(grpc.RpcError) as gone:
        public.GetCamera(cameras_pb2.GetCameraRequest(name=name), timeout=10)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_cli_adds_lists_and_removes_cameras_and_prints_events(
    facerec_cli: CliRun, registry: cameras_pb2_grpc.CameraRegistryServiceStub, crop: bytes
) -> None:
    name = f"yard-{uuid.uuid4().hex[:8]}"
    added = facerec_cli("cameras", "add", name, f"rtsp://u:{SECRET}@10.0.0.5/s", "--collection", "staff")
    assert added.returncode == 0, added.stderr
    assert "rtsp://***@10.0.0.5/s" in added.stdout
    listed = facerec_cli("cameras")
    assert name in listed.stdout
    assert SECRET not in listed.stdout
    event_id = _record(registry, name, datetime.now(UTC), crop, person=str(uuid.uuid4()))
    printed = facerec_cli("events", "--camera", name)
    assert printed.returncode == 0, printed.stderr
    assert event_id in printed.stdout
    assert "Grace Hopper" in printed.stdout
    removed = facerec_cli("cameras", "remove", name)
    assert removed.returncode == 0, removed.stderr
    missing = facerec_cli("cameras", "remove", name)
    assert missing.returncode != 0
    assert "CAMERA_NOT_FOUND" in missing.stderr or "No camera" in missing.stderr
