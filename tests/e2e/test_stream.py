"""Cameras, end to end with real parts: a real RTSP server (GStreamer's) plays the real clip in
../shared/data/video as a camera that drops at the clip's end and comes back when opened again;
stream-service replicas run as their own processes against the stack's detector, embedder and
registry, with the clip's two people enrolled from their one reference photo each; events are
delivered to a real HTTP webhook receiver and a real mosquitto broker.

The clip: Alex Lacamoire in profile (not identifiable: too turned), Lin-Manuel Miranda on stage,
then the audience. One event per person per cooldown, across loops; nobody named wrongly."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import psutil
import pytest

from facerec.registry.v1 import cameras_pb2
from facerec.stream.v1 import stream_pb2, stream_pb2_grpc
from facerec_devstack import video
from facerec_devstack.processes import free_port, terminate
from facerec_devstack.receivers import Mosquitto, WebhookReceiver
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")
SECRET = "s3cret-pass"
WEBHOOK_SECRET = "webhook-secret-of-the-tests-0123"
SINK = "webhook:receiver"
CLIP_S = 9.2
PEOPLE = {"Lin-Manuel Miranda": "lin-manuel-miranda.png", "Alex Lacamoire": "alex-lacamoire.png"}


def _gst_rtsp_server() -> str | None:
    """The system Python when it has GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0)."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        found = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30).returncode == 0
    except OSError:
        return None
    return SYSTEM_PYTHON if found else None


class RtspServer:
    def __init__(self, python: str, clips: dict[str, Path]) -> None:
        self.port = free_port()
        self._command = [python, str(RTSP_SERVER), str(self.port), *(f"{n}={p}" for n, p in clips.items())]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.url_of("clip")

    def url_of(self, mount: str) -> str:
        return f"rtsp://viewer:{SECRET}@127.0.0.1:{self.port}/{mount}"

    def start(self) -> None:
        self.process = subprocess.Popen(self._command, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == b"ready"

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
            assert self.process.stdout is not None
            self.process.stdout.close()
            self.process = None


@pytest.fixture(scope="module")
def rtsp(
    require_tool: Callable[[str | None, str], str], data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RtspServer]:
    python = require_tool(
        _gst_rtsp_server(), "GStreamer's RTSP server (Debian: apt-get install python3-gi gir1.2-gst-rtsp-server-1.0)"
    )
    clip = data_dir / "video" / "short_hamilton_clip.mp4"
    clip_4k = tmp_path_factory.mktemp("4k") / "clip-4k.mp4"
    video.upscaled(clip, clip_4k, 3840, 2160)
    server = RtspServer(python, {"clip": clip, "clip-4k": clip_4k})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def collection(api: httpx.Client, data_dir: Path) -> str:
    name = f"stage-{uuid.uuid4().hex[:8]}"
    api.post("/api/v1/collections", json={"name": name}).raise_for_status()
    for person, photo in PEOPLE.items():
        found = api.post(f"/api/v1/collections/{name}/people", json={"name": person}).json()["person_id"]
        image = (data_dir / "video" / photo).read_bytes()
        enrolled = api.post(
            f"/api/v1/collections/{name}/people/{found}/faces",
            files={"file": (photo, image)},
            data={"select": "largest"},
        )
        assert enrolled.status_code == 201, enrolled.text
    return name


class StreamProcess:
    """A stream-service replica; cameras come to it through its leases."""

    def __init__(self, stack: Stack, log: Path, env: dict[str, str]) -> None:
        self.port, self.metrics_port = free_port(), free_port()
        env = {
            "FACEREC_STREAM_PORT": str(self.port),
            "FACEREC_STREAM_METRICS_PORT": str(self.metrics_port),
            "FACEREC_STREAM_DETECTOR_ADDRESS": stack.address("detector"),
            "FACEREC_STREAM_EMBEDDER_ADDRESS": stack.address("embedder"),
            "FACEREC_STREAM_REGISTRY_ADDRESS": stack.address("registry"),
            **env,
        }
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "facerec_stream"],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = stream_pb2_grpc.StreamServiceStub(self.channel)
        grpc.channel_ready_future(self.channel).result(timeout=60)

    def cameras(self) -> dict[str, stream_pb2.Camera]:
        return {c.name: c for c in self.stub.ListCameras(stream_pb2.ListCamerasRequest(), timeout=10).cameras}

    def events(self) -> list[cameras_pb2.CameraEvent]:
        return list(self.stub.ListEvents(stream_pb2.ListEventsRequest(camera="stage"), timeout=10).events)

    def wait_for_state(self, state: str, timeout_s: float, camera: str = "stage") -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            found = self.cameras().get(camera)
            if found is not None and found.state == state:
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"camera {camera} not {state} within {timeout_s} s: {self.cameras().get(camera)}")

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10).text

    def stop(self) -> None:
        self.channel.close()
        terminate(self.process)


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def broker(
    require_tool: Callable[[str | None, str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mosquitto]:
    binary = require_tool(Mosquitto.binary(), "mosquitto (Debian: apt-get install mosquitto)")
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"), binary)
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def replica_env(webhook: WebhookReceiver, broker: Mosquitto) -> dict[str, str]:
    return {
        "FACEREC_STREAM_WEBHOOKS": json.dumps([{"name": "receiver", "url": webhook.url, "secret": WEBHOOK_SECRET}]),
        "FACEREC_STREAM_MQTT_URL": broker.url,
        # Tries every 4 s at most, and never dead within the outage the tests make.
        "FACEREC_STREAM_DELIVERY_BACKOFF_MAX_S": "4",
        "FACEREC_STREAM_DELIVERY_MAX_ATTEMPTS": "60",
    }


@pytest.fixture(scope="module")
def stream(
    stack: Stack,
    api: httpx.Client,
    rtsp: RtspServer,
    collection: str,
    replica_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StreamProcess]:
    for camera in (
        {"name": "stage", "source_url": rtsp.url, "collection": collection, "fps": 5},
        # Nothing listens there.
        {
            "name": "nowhere",
            "source_url": f"rtsp://viewer:{SECRET}@127.0.0.1:{free_port()}/x",
            "collection": collection,
        },
    ):
        created = api.post("/api/v1/cameras", json=camera)
        assert created.status_code == 201, created.text
    # A file that is not video, declared in the replica's settings rather than through the API
    # (file sources allowed, as for a demo); and what FFmpeg would read that is no camera.
    declared = [
        {"name": "not-video", "url": str(Path(__file__)), "collection": collection},
        {"name": "pipe", "url": "pipe:0", "collection": collection},
    ]
    env = {**replica_env, "FACEREC_STREAM_CAMERAS": json.dumps(declared), "FACEREC_STREAM_ALLOW_FILES": "true"}
    process = StreamProcess(stack, tmp_path_factory.mktemp("stream") / "stream.log", env)
    process.wait_for_state("live", 30)
    yield process
    process.stop()
    for camera in api.get("/api/v1/cameras").json():
        api.delete(f"/api/v1/cameras/{camera['name']}").raise_for_status()


def _watch(stream: StreamProcess, seconds: float) -> tuple[list[cameras_pb2.CameraEvent], grpc.StatusCode]:
    """The events the watch delivers within `seconds`, and how it ended."""
    watched: list[cameras_pb2.CameraEvent] = []
    try:
        for event in stream.stub.WatchEvents(stream_pb2.WatchEventsRequest(), timeout=seconds):
            watched.append(event)
    except grpc.RpcError as exc:
        return watched, exc.code()
    return watched, grpc.StatusCode.OK


def _eventually(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.25)
    return time.monotonic() - started


def _rest_events(api: httpx.Client, **filters: object) -> list[dict[str, object]]:
    reply = api.get("/api/v1/events", params={"limit": 500, **filters})
    assert reply.status_code == 200, reply.text
    events: list[dict[str, object]] = reply.json()["events"]
    return events


def _delivered_new(webhook: WebhookReceiver) -> set[str]:
    return {d["event"]["event_id"] for d in webhook.documents() if d["type"] == "new"}


def test_two_loops_of_the_clip_make_one_event_per_person(
    stream: StreamProcess, api: httpx.Client, webhook: WebhookReceiver
) -> None:
    watched, ended = _watch(stream, 2.5 * CLIP_S + 10)  # two loops of the clip and their gaps
    assert ended == grpc.StatusCode.DEADLINE_EXCEEDED  # the watch runs until its caller stops
    events = stream.events()
    known = [e for e in events if e.person_name]
    # Lin-Manuel Miranda is identified in each loop, and both loops are one event (cooldown 60 s).
    assert [e.person_name for e in known] == ["Lin-Manuel Miranda"], events
    [lin] = known
    assert lin.track_count >= 2
    assert lin.score >= lin.threshold
    assert lin.last_seen.ToSeconds() - lin.first_seen.ToSeconds() >= CLIP_S
    assert lin.crop_jpeg.startswith(b"\xff\xd8")
    # Strangers (the audience): each one event, however many loops.
    assert len(events) - len(known) <= 2, events
    assert {e.event_id for e in watched} == {e.event_id for e in events}
    camera = stream.cameras()["stage"]
    assert camera.frames_analysed >= 4 * 2 * CLIP_S  # ~5 fps, less the reconnections
    assert camera.frames_dropped > camera.frames_analysed  # the rest of 30 fps: dropped, not queued
    assert camera.embeddings <= 3 * camera.tracks
    assert camera.lag_seconds < 1.0

    # Recorded in PostgreSQL, listed over REST, and each one delivered to the webhook, signed.
    stored = {e["event_id"]: e for e in _rest_events(api, camera="stage")}
    assert set(stored) == {e.event_id for e in events}
    assert stored[lin.event_id]["person"]["name"] == "Lin-Manuel Miranda"  # type: ignore[index]
    assert [e["event_id"] for e in _rest_events(api, camera="stage", unknown="true")] == [
        e.event_id for e in events if not e.person_name
    ]
    crop = api.get(f"/api/v1/events/{lin.event_id}/crop.jpg")
    assert crop.status_code == 200
    assert crop.content.startswith(b"\xff\xd8")
    _eventually(lambda: set(stored) <= _delivered_new(webhook), 10, "every event delivered to the webhook")
    assert all(r.signed for r in webhook.received)
    [hook] = [r for r in webhook.received if r.document["event"]["event_id"] == lin.event_id]
    assert hook.headers["X-Facerec-Event-Id"] == lin.event_id
    assert hook.document["event"]["person"]["name"] == "Lin-Manuel Miranda"
    assert hook.document["crop_jpeg_base64"]


def test_events_and_camera_state_reach_mqtt(stream: StreamProcess, api: httpx.Client, broker: Mosquitto) -> None:
    stored = {str(e["event_id"]) for e in _rest_events(api, camera="stage")}
    published = [json.loads(m) for m in broker.on("facerec/stage/events")]
    assert stored <= {m["event"]["event_id"] for m in published if m["type"] == "new"}
    assert len(broker.on("facerec/events")) >= len(stored)
    assert broker.retained("facerec/available") == b"online"
    assert broker.retained("facerec/stage/snapshot").startswith(b"\xff\xd8")
    assert json.loads(broker.retained("facerec/nowhere/state"))["state"] == "failing"


def test_a_source_that_goes_away_fails_then_comes_back(stream: StreamProcess, rtsp: RtspServer) -> None:
    rtsp.stop()
    stream.wait_for_state("failing", 15)
    assert stream.cameras()["stage"].reason
    time.sleep(10)
    rtsp.start()
    back = stream.wait_for_state("live", 15)
    assert back <= 5  # tries at most 4 s apart, so live again within 5 s of the source's return


def test_sources_that_cannot_be_read_say_why_and_keep_being_tried(stream: StreamProcess, api: httpx.Client) -> None:
    cameras = stream.cameras()
    for name in ("nowhere", "not-video"):
        assert cameras[name].state == "failing", cameras[name]
        assert cameras[name].reason
        assert cameras[name].frames_read == 0
    assert "refused" in cameras["nowhere"].reason.lower()
    assert "invalid data" in cameras["not-video"].reason.lower()
    assert cameras["pipe"].state == "failing"
    assert "not read" in cameras["pipe"].reason
    listed = {c["name"]: c for c in api.get("/api/v1/cameras").json()}
    assert listed["nowhere"]["state"]["state"] == "failing"
    assert "refused" in listed["nowhere"]["state"]["reason"].lower()


def test_a_4k_stream_is_analysed_live_in_bounded_memory(
    stream: StreamProcess, api: httpx.Client, rtsp: RtspServer, collection: str
) -> None:
    body = {"name": "stage-4k", "source_url": rtsp.url_of("clip-4k"), "collection": collection}
    assert api.post("/api/v1/cameras", json=body).status_code == 201
    try:
        stream.wait_for_state("live", 30, camera="stage-4k")
        process = psutil.Process(stream.process.pid)
        rss_mb = []
        for _ in range(20):  # two loops of the clip and more
            time.sleep(1)
            rss_mb.append(process.memory_info().rss / 2**20)
        camera = stream.cameras()["stage-4k"]
        assert camera.frames_analysed >= 40, camera
        assert camera.lag_seconds < 1.0, camera
        assert camera.frames_dropped > 0  # decoded at the source's rate, analysed at 5 fps
        # The newest frame only: a queue of 4K frames would add ~700 MB a second. A reopened
        # decoder's buffers come and go (tens of MB); the service's memory limit is 1 GiB.
        assert max(rss_mb[10:]) - max(rss_mb[:10]) < 150, rss_mb
        assert max(rss_mb) < 1024, rss_mb
        named = [e["person"] for e in _rest_events(api, camera="stage-4k") if e["person"]]
        assert [p["name"] for p in named] == ["Lin-Manuel Miranda"]  # type: ignore[index]
    finally:
        api.delete("/api/v1/cameras/stage-4k")


def test_events_made_while_the_webhook_is_down_60_s_are_all_delivered_after(
    stream: StreamProcess, api: httpx.Client, rtsp: RtspServer, collection: str, webhook: WebhookReceiver
) -> None:
    webhook.stop()
    down_at = time.time()
    # Another camera on the clip: its people are new events while the receiver is away.
    added = api.post("/api/v1/cameras", json={"name": "stage-2", "source_url": rtsp.url, "collection": collection})
    assert added.status_code == 201, added.text
    _eventually(lambda: bool(_rest_events(api, camera="stage-2")), 40, "an event on the new camera")
    time.sleep(max(0.0, 60 - (time.time() - down_at)))
    during = {str(e["event_id"]) for e in _rest_events(api, camera="stage-2")}
    assert during
    assert not during & _delivered_new(webhook)
    failing = api.get("/api/v1/deliveries", params={"sink": SINK, "status": "pending"}).json()
    assert any(d["attempts"] >= 3 for d in failing), failing  # it was tried, and failed, while down

    webhook.start()
    _eventually(lambda: during <= _delivered_new(webhook), 15, "the events of the outage delivered")
    for status in ("pending", "dead"):
        _eventually(
            lambda status=status: not api.get("/api/v1/deliveries", params={"sink": SINK, "status": status}).json(),
            15,
            f"no {status} deliveries",
        )
    everything = {d["event_id"] for d in api.get("/api/v1/deliveries", params={"sink": SINK, "limit": 500}).json()}
    assert everything <= {d["event"]["event_id"] for d in webhook.documents()}  # none lost
    assert all(r.signed for r in webhook.received)  # none unsigned


def test_a_killed_replica_s_cameras_are_taken_over_within_15_s(
    stack: Stack,
    stream: StreamProcess,
    api: httpx.Client,
    replica_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    def holders() -> dict[str, str]:
        """Which replica holds each enabled camera (the fuzzing tests leave cameras of theirs)."""
        return {c["name"]: c["replica"] for c in api.get("/api/v1/cameras").json() if c["enabled"]}

    second = StreamProcess(stack, tmp_path_factory.mktemp("stream-2") / "stream.log", replica_env)
    try:
        _eventually(lambda: len(set(holders().values()) - {""}) == 2, 30, "the cameras shared by two replicas")
        mine = set(second.cameras())
        assert 1 <= len(mine) <= math.ceil(len(holders()) / 2)  # two replicas: half each, rounded up
        second.process.kill()  # SIGKILL: no release, its leases must lapse
        killed_at = time.monotonic()
        _eventually(lambda: mine <= set(stream.cameras()), 20, "the killed replica's cameras taken over")
        took = time.monotonic() - killed_at
        assert took <= 15, took
        assert len(set(holders().values())) == 1  # all on the one replica left
    finally:
        second.stop()
        second.process.wait()


def test_the_source_credentials_are_nowhere(
    stream: StreamProcess, api: httpx.Client, broker: Mosquitto, webhook: WebhookReceiver
) -> None:
    assert SECRET not in str(stream.cameras())
    listed = api.get("/api/v1/cameras")
    sources = {c["name"]: c["source"] for c in listed.json()}
    assert sources["stage"].startswith("rtsp://***@127.0.0.1:")
    assert sources["nowhere"].startswith("rtsp://***@127.0.0.1:")
    assert "rtsp://***@127.0.0.1:" in listed.text
    assert SECRET not in listed.text
    assert SECRET not in api.get("/api/v1/events", params={"limit": 500}).text
    assert SECRET not in stream.metrics()
    assert "stage" in stream.metrics()
    for log in [stream.log, *stream.log.parent.parent.glob("stream-2*/stream.log")]:
        assert SECRET not in log.read_text(errors="replace"), log
    assert all(SECRET.encode() not in payload for _, payload, _ in broker.messages)
    assert broker.messages
    assert all(SECRET.encode() not in r.body for r in webhook.received)
