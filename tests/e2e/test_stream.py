"""Cameras, end to end with real parts: a real RTSP server (GStreamer's) plays the real clip in
../shared/data/video as a camera that drops at the clip's end and comes back when opened again;
the stream service runs as its own process against the stack's detector, embedder and registry,
with the clip's two people enrolled from their one reference photo each.

The clip: Alex Lacamoire in profile (not identifiable: too turned), Lin-Manuel Miranda on stage,
then the audience. One event per person per cooldown, across loops; nobody named wrongly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from facerec.stream.v1 import stream_pb2, stream_pb2_grpc
from facerec_devstack.processes import free_port, terminate
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")
SECRET = "s3cret-pass"
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
    def __init__(self, python: str, clip: Path) -> None:
        self.port = free_port()
        self._command = [python, str(RTSP_SERVER), str(self.port), f"clip={clip}"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://viewer:{SECRET}@127.0.0.1:{self.port}/clip"

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
def rtsp(require_tool: Callable[[str | None, str], str], data_dir: Path) -> Iterator[RtspServer]:
    python = require_tool(
        _gst_rtsp_server(), "GStreamer's RTSP server (Debian: apt-get install python3-gi gir1.2-gst-rtsp-server-1.0)"
    )
    server = RtspServer(python, data_dir / "video" / "short_hamilton_clip.mp4")
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
    def __init__(self, stack: Stack, cameras: list[dict[str, object]], log: Path) -> None:
        self.port, self.metrics_port = free_port(), free_port()
        env = {
            "FACEREC_STREAM_PORT": str(self.port),
            "FACEREC_STREAM_METRICS_PORT": str(self.metrics_port),
            "FACEREC_STREAM_DETECTOR_ADDRESS": stack.address("detector"),
            "FACEREC_STREAM_EMBEDDER_ADDRESS": stack.address("embedder"),
            "FACEREC_STREAM_REGISTRY_ADDRESS": stack.address("registry"),
            "FACEREC_STREAM_CAMERAS": json.dumps(cameras),
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

    def events(self) -> list[stream_pb2.Event]:
        return list(self.stub.ListEvents(stream_pb2.ListEventsRequest(camera="stage"), timeout=10).events)

    def wait_for_state(self, state: str, timeout_s: float, camera: str = "stage") -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.cameras()[camera].state == state:
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"camera not {state} within {timeout_s} s: {self.cameras()[camera]}")

    def stop(self) -> None:
        self.channel.close()
        terminate(self.process)


@pytest.fixture(scope="module")
def stream(
    stack: Stack, rtsp: RtspServer, collection: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StreamProcess]:
    cameras = [
        {"name": "stage", "url": rtsp.url, "collection": collection, "fps": 5},
        # Nothing listens there; and a file that is not video (a file source, as a path).
        {"name": "nowhere", "url": f"rtsp://viewer:{SECRET}@127.0.0.1:{free_port()}/x", "collection": collection},
        {"name": "not-video", "url": str(Path(__file__)), "collection": collection},
    ]
    process = StreamProcess(stack, cameras, tmp_path_factory.mktemp("stream") / "stream.log")
    yield process
    process.stop()


def _watch(stream: StreamProcess, seconds: float) -> tuple[list[stream_pb2.Event], grpc.StatusCode]:
    """The events the watch delivers within `seconds`, and how it ended."""
    watched: list[stream_pb2.Event] = []
    try:
        for event in stream.stub.WatchEvents(stream_pb2.WatchEventsRequest(), timeout=seconds):
            watched.append(event)
    except grpc.RpcError as exc:
        return watched, exc.code()
    return watched, grpc.StatusCode.OK


def test_two_loops_of_the_clip_make_one_event_per_person(stream: StreamProcess) -> None:
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


def test_a_source_that_goes_away_fails_then_comes_back(stream: StreamProcess, rtsp: RtspServer) -> None:
    rtsp.stop()
    stream.wait_for_state("failing", 15)
    assert stream.cameras()["stage"].reason
    time.sleep(10)
    rtsp.start()
    back = stream.wait_for_state("live", 15)
    assert back <= 5  # tries at most 4 s apart, so live again within 5 s of the source's return


def test_sources_that_cannot_be_read_say_why_and_keep_being_tried(stream: StreamProcess) -> None:
    cameras = stream.cameras()
    for name in ("nowhere", "not-video"):
        assert cameras[name].state == "failing", cameras[name]
        assert cameras[name].reason
        assert cameras[name].frames_read == 0
    assert "refused" in cameras["nowhere"].reason.lower()
    assert "invalid data" in cameras["not-video"].reason.lower()


def test_the_source_credentials_are_nowhere(stream: StreamProcess) -> None:
    cameras = stream.cameras()
    assert SECRET not in str(cameras)
    assert cameras["stage"].source.startswith("rtsp://***@127.0.0.1:")
    assert cameras["nowhere"].source.startswith("rtsp://***@127.0.0.1:")
    assert SECRET not in httpx.get(f"http://127.0.0.1:{stream.metrics_port}/metrics", timeout=10).text
    assert SECRET not in stream.log.read_text()
    assert "rtsp://***@" in stream.log.read_text()
