"""Faults with real processes: a service crashes or is stopped mid-traffic, and clients race.

The gateway answers 503 with a reason while a service is down and recovers by
itself when it is back; SIGTERM lets in-flight calls finish; concurrent writes
leave consistent counts.
"""

from __future__ import annotations

import io
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from facerec_devstack import photos
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
V1 = "/api/v1"
RECOVERY_S = 90.0


def _recognise(api: httpx.Client, photo: bytes) -> httpx.Response:
    return api.post("/api/face/recognition", files={"file": ("p.jpg", photo)})


def _wait_until_ok(api: httpx.Client, photo: bytes) -> float:
    start = time.monotonic()
    while time.monotonic() - start < RECOVERY_S:
        if _recognise(api, photo).status_code == 200:
            return time.monotonic() - start
        time.sleep(0.5)
    raise AssertionError("the gateway did not recover")


@pytest.mark.parametrize("service", ["embedder", "detector", "registry"])
def test_crashed_service_gives_503_then_recovers(stack: Stack, api: httpx.Client, data_dir: Path, service: str) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    assert _recognise(api, photo).status_code == 200
    stack.group.kill(service)
    try:
        for _ in range(3):
            reply = _recognise(api, photo)
            assert reply.status_code == 503, reply.text
            assert reply.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        ready = api.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["services"][service] == "UNREACHABLE"
    finally:
        stack.group.restart(service)
        stack.group.wait_grpc(service, stack.address(service), RECOVERY_S)
    # No gateway restart: its channels reconnect on their own.
    _wait_until_ok(api, photo)
    assert api.get("/readyz").status_code == 200


def _detections_in_flight(metrics_url: str) -> float:
    for line in httpx.get(metrics_url).text.splitlines():
        if line.startswith("facerec_grpc_requests_in_flight{") and 'method="Detect"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_sigterm_lets_in_flight_requests_finish(stack: Stack, api: httpx.Client, data_dir: Path) -> None:
    group = Image.open(data_dir / "group/2008_004176.jpg")
    big = io.BytesIO()
    group.resize((group.width * 4, group.height * 4)).save(big, format="JPEG", quality=95)
    slow = big.getvalue()  # most of a second of detection
    detector = stack.group.services["detector"].process
    assert detector is not None
    metrics_url = stack.metrics_urls()["detector"]
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(lambda: api.post(f"{V1}/detect", files={"file": ("g.jpg", slow)}))
            # Signal once the detector holds the call (a fixed sleep raced the upload on a busy machine).
            deadline = time.monotonic() + 10
            while _detections_in_flight(metrics_url) < 1:
                assert not pending.done(), "the detection ended before it was seen in flight"
                assert time.monotonic() < deadline, "the detection never reached the detector"
                time.sleep(0.01)
            detector.send_signal(signal.SIGTERM)
            reply = pending.result(timeout=60)
        assert reply.status_code == 200, reply.text
        assert len(reply.json()["faces"]) >= 6
        assert detector.wait(30) == 0  # drained, then exited cleanly
        late = api.post(f"{V1}/detect", files={"file": ("g.jpg", slow)})
        assert late.status_code == 503
    finally:
        stack.group.restart("detector")
        stack.group.wait_grpc("detector", stack.address("detector"), RECOVERY_S)
    _wait_until_ok(api, (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes())


def test_concurrent_enrolments_and_deletes_stay_consistent(api: httpx.Client, data_dir: Path) -> None:
    collection = f"race-{uuid.uuid4().hex[:8]}"
    api.post(f"{V1}/collections", json={"name": collection}).raise_for_status()
    try:
        person = api.post(f"{V1}/collections/{collection}/people", json={"name": "Naomi"}).json()["person_id"]
        shots = [p.read_bytes() for p in photos.people(data_dir)["Naomi_Watts"]] * 3  # 15 enrolments
        url = f"{V1}/collections/{collection}/people/{person}/faces"

        def enrol(photo: bytes) -> httpx.Response:
            return api.post(url, files={"file": ("n.jpg", photo)}, data={"select": "largest"})

        with ThreadPoolExecutor(6) as pool:
            replies = list(pool.map(enrol, shots))
            enrolled = [r.json()["face_id"] for r in replies if r.status_code == 201]
            doomed = enrolled[::2]
            deletes = list(pool.map(lambda f: api.delete(f"{V1}/collections/{collection}/faces/{f}"), doomed))
            # Deleting the same faces again, concurrently, finds nothing left to delete.
            again = list(pool.map(lambda f: api.delete(f"{V1}/collections/{collection}/faces/{f}"), doomed))
        assert len(enrolled) == len(shots), [r.text for r in replies if r.status_code != 201]
        assert all(r.status_code == 204 for r in deletes)
        assert all(r.status_code == 404 for r in again)
        listed = api.get(f"{V1}/collections/{collection}/faces", params={"limit": 500}).json()["faces"]
        assert sorted(f["face_id"] for f in listed) == sorted(set(enrolled) - set(doomed))
        counts = api.get(f"{V1}/collections/{collection}").json()
        assert (counts["people_count"], counts["face_count"]) == (1, len(enrolled) - len(doomed))
    finally:
        api.delete(f"{V1}/collections/{collection}")


def test_database_restart_during_enrolments_loses_no_acknowledged_face(
    api: httpx.Client,
    pg_root,
    data_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    collection = f"pgrestart-{uuid.uuid4().hex[:8]}"
    api.post(f"{V1}/collections", json={"name": collection}).raise_for_status()
    person = api.post(f"{V1}/collections/{collection}/people", json={"name": "Naomi"}).json()["person_id"]
    shots = [p.read_bytes() for p in photos.people(data_dir)["Naomi_Watts"]] * 4
    url = f"{V1}/collections/{collection}/people/{person}/faces"

    def enrol(photo: bytes) -> httpx.Response:
        return api.post(url, files={"file": ("n.jpg", photo)}, data={"select": "largest"})

    with ThreadPoolExecutor(2) as pool:
        pending = [pool.submit(enrol, shot) for shot in shots]
        time.sleep(1.0)
        pg_root.restart()  # cuts every open connection mid-traffic
        replies = [p.result(timeout=120) for p in pending]
    acknowledged = [r.json()["face_id"] for r in replies if r.status_code == 201]
    refused = [r for r in replies if r.status_code != 201]
    assert all(r.status_code == 503 and r.json()["error"]["code"] == "SERVICE_UNAVAILABLE" for r in refused), [
        r.text for r in refused
    ]
    assert acknowledged, "no enrolment got through"
    # Every acknowledged enrolment is stored, whole, and nothing else is.
    deadline = time.monotonic() + RECOVERY_S
    while True:
        reply = api.get(f"{V1}/collections/{collection}/faces", params={"limit": 500})
        if reply.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    stored = reply.json()["faces"]
    assert sorted(f["face_id"] for f in stored) == sorted(acknowledged)
    for face_id in acknowledged[:3]:
        image = api.get(f"{V1}/collections/{collection}/faces/{face_id}/image")
        assert image.headers["content-type"] == "image/jpeg"
    api.delete(f"{V1}/collections/{collection}")
