"""Cameras at once: N cameras from a real RTSP server, each playing the real clip in a loop.

    .venv/bin/python bench/stream.py [--cameras 1,2,4] [--seconds 40] [--fps 5]

For each count it starts a throwaway stack and a stream service watching N cameras (GStreamer's
RTSP server plays ../shared/data/video/short_hamilton_clip.mp4 to each, 640x360, from its start
for each connection, so each camera sees the clip looped with a reconnection gap), with the clip's
two people enrolled from their reference photos. After `--seconds` it prints, per count: frames
analysed per second in all and per camera against the asked rate, the lag, CPU seconds per
second of the stream service and of the detector and embedder it calls, detections and
embeddings per track, and the time from a face's first analysed frame to its event reaching a
WatchEvents listener and to its webhook arriving at a real HTTP receiver, signed, through the
registry's outbox (p50/p95). Needs /usr/bin/python3 with GStreamer's RTSP server (`make test-tools`
installs it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import httpx
import psutil

from facerec.stream.v1 import stream_pb2, stream_pb2_grpc
from facerec_devstack import machine, photos
from facerec_devstack.processes import Ports, free_port, terminate
from facerec_devstack.receivers import WebhookReceiver
from facerec_devstack.stack import Stack, StackConfig
from facerec_devstack.video import upscaled

ROOT = Path(__file__).resolve().parents[1]
RTSP_SERVER = ROOT / "tests" / "e2e" / "rtsp_server.py"
PEOPLE = {"Lin-Manuel Miranda": "lin-manuel-miranda.png", "Alex Lacamoire": "alex-lacamoire.png"}
WEBHOOK_SECRET = "the-benchmark-webhook-secret"


def enrol(url: str, video: Path) -> str:
    with httpx.Client(base_url=url, timeout=60) as api:
        api.post("/api/v1/collections", json={"name": "stage"}).raise_for_status()
        for person, photo in PEOPLE.items():
            found = api.post("/api/v1/collections/stage/people", json={"name": person}).json()["person_id"]
            files = {"file": (photo, (video / photo).read_bytes())}
            api.post(f"/api/v1/collections/stage/people/{found}/faces", files=files, data={"select": "largest"})
    return "stage"


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def measure(cameras: int, seconds: float, fps: float, size: tuple[int, int] | None) -> dict[str, Any]:
    video = photos.data_dir() / "video"
    with tempfile.TemporaryDirectory(prefix="facerec-stream-bench-") as tmp:
        clip = video / "short_hamilton_clip.mp4"
        if size is not None:
            clip = upscaled(clip, Path(tmp) / "clip.mp4", *size)
        stack = Stack(StackConfig(data_dir=Path(tmp), model_path=ROOT / "models/w600k_mbf.onnx", ports=Ports.free()))
        stack.start()
        rtsp_port, port = free_port(), free_port()
        mounts = [f"cam{i}={clip}" for i in range(cameras)]
        rtsp = subprocess.Popen(["/usr/bin/python3", str(RTSP_SERVER), str(rtsp_port), *mounts], stdout=subprocess.PIPE)
        stream = None
        webhook = WebhookReceiver(WEBHOOK_SECRET)
        webhook.start()
        try:
            assert rtsp.stdout is not None
            assert rtsp.stdout.readline().strip() == b"ready"
            collection = enrol(stack.gateway_url, video)
            config = [
                {"name": f"cam{i}", "url": f"rtsp://127.0.0.1:{rtsp_port}/cam{i}", "collection": collection, "fps": fps}
                for i in range(cameras)
            ]
            env = {
                **os.environ,
                "FACEREC_STREAM_PORT": str(port),
                "FACEREC_STREAM_DETECTOR_ADDRESS": stack.address("detector"),
                "FACEREC_STREAM_EMBEDDER_ADDRESS": stack.address("embedder"),
                "FACEREC_STREAM_REGISTRY_ADDRESS": stack.address("registry"),
                "FACEREC_STREAM_CAMERAS": json.dumps(config),
                "FACEREC_STREAM_WEBHOOKS": json.dumps(
                    [{"name": "bench", "url": webhook.url, "secret": WEBHOOK_SECRET}]
                ),
            }
            stream = subprocess.Popen([sys.executable, "-m", "facerec_stream"], env=env, stderr=subprocess.DEVNULL)
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=60)
            stub = stream_pb2_grpc.StreamServiceStub(channel)
            delays: dict[bool, list[float]] = {True: [], False: []}
            seen: set[str] = set()

            def listen() -> None:
                """Each event's first delivery: how long after its face's first analysed frame."""
                try:
                    for event in stub.WatchEvents(stream_pb2.WatchEventsRequest(), timeout=seconds):
                        if event.event_id not in seen:
                            seen.add(event.event_id)
                            known = bool(event.person_name)
                            delays[known].append(time.time() - event.first_seen.ToNanoseconds() / 1e9)
                except grpc.RpcError:
                    pass  # the watch's deadline: the run is over

            pids = {"stream": stream.pid}
            for name in ("detector", "embedder"):
                service = stack.group.services[name].process
                assert service is not None
                pids[name] = service.pid
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            started = time.monotonic()
            listener = threading.Thread(target=listen)
            listener.start()
            rss_mb = []
            while listener.is_alive():  # the stream service's memory, each second
                listener.join(1.0)
                rss_mb.append(psutil.Process(stream.pid).memory_info().rss / 2**20)
            elapsed = time.monotonic() - started
            cpu = {name: round((cpu_seconds(pid) - cpu_before[name]) / elapsed, 2) for name, pid in pids.items()}
            states = list(stub.ListCameras(stream_pb2.ListCamerasRequest(), timeout=10).cameras)
            events = list(stub.ListEvents(stream_pb2.ListEventsRequest(limit=1000), timeout=10).events)
            channel.close()
        finally:
            if stream is not None:
                terminate(stream)
            terminate(rtsp)
            webhook.stop()
            if rtsp.stdout is not None:
                rtsp.stdout.close()
            stack.stop()
    hooked: dict[bool, list[float]] = {True: [], False: []}
    first_seen = {e.event_id: e.first_seen.ToNanoseconds() / 1e9 for e in events}
    for received in webhook.received:
        document = received.document
        event_id = document["event"]["event_id"]
        if document["type"] == "new" and received.signed and event_id in first_seen:
            hooked[document["event"]["person"] is not None].append(received.at - first_seen[event_id])
    analysed = sum(c.frames_analysed for c in states)
    tracks = sum(c.tracks for c in states) or 1
    return {
        "cameras": cameras,
        "asked_fps_per_camera": fps,
        "analysed_fps_all": round(analysed / elapsed, 2),
        "analysed_fps_per_camera": round(analysed / elapsed / cameras, 2),
        "lag_s_max": round(max(c.lag_seconds for c in states), 3),
        "cpu_per_s": cpu,
        "detections_per_track": round(sum(c.detections for c in states) / tracks, 2),
        "embeddings_per_track": round(sum(c.embeddings for c in states) / tracks, 2),
        "events_known": sorted(e.person_name for e in events if e.person_name),
        "events_unknown": sum(1 for e in events if not e.person_name),
        # Known: decided as soon as a face matches; unknown: when the track ends (by design).
        "first_frame_to_event_s_known": spread(delays[True]),
        "first_frame_to_event_s_unknown": spread(delays[False]),
        # The same, delivered: recorded in PostgreSQL with its outbox row, claimed, POSTed, signed.
        "first_frame_to_webhook_s_known": spread(hooked[True]),
        "first_frame_to_webhook_s_unknown": spread(hooked[False]),
        "webhooks_unsigned": sum(1 for r in webhook.received if not r.signed),
        # Bounded memory: the newest frame per camera, whatever the run's length.
        "stream_rss_mb_first_half_max": round(max(rss_mb[: len(rss_mb) // 2])),
        "stream_rss_mb_second_half_max": round(max(rss_mb[len(rss_mb) // 2 :])),
    }


def spread(values: list[float]) -> dict[str, float | int | None]:
    """p50 and p95 (nearest rank) of a few values, and how many."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "n": 0}
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--size", help="re-encode the clip at this size first, e.g. 3840x2160 (a 4K camera)")
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x")) if args.size else None
    print(machine.summary(machine.describe()))
    for count in args.cameras:
        result = measure(count, args.seconds, args.fps, size)  # type: ignore[arg-type]
        print(json.dumps({"size": args.size or "640x360", **result}), flush=True)


if __name__ == "__main__":
    main()
