"""A camera's frames, live: read and decoded in a thread of their own, the newest one handed to
analysis when it is ready for one. Frames that arrive meanwhile are dropped, never queued (live
means now), and a source that fails or ends is opened again with backoff.

Reads whatever FFmpeg's libraries read (PyAV): RTSP/RTSPS, HTTP (MJPEG, HLS), files.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import av
import numpy as np
import numpy.typing as npt

from facerec_common.urls import redacted

log = logging.getLogger(__name__)

State = Literal["connecting", "live", "failing", "stopped"]
# FFmpeg's own options: TCP for RTSP (no lost UDP packets behind NAT), and a socket timeout (µs)
# so a source that goes silent fails instead of hanging the reader.
OPEN_OPTIONS = {"rtsp_transport": "tcp", "timeout": "5000000", "rw_timeout": "5000000"}


@dataclass(frozen=True)
class Frame:
    image: npt.NDArray[np.uint8]  # RGB, height x width x 3
    read_at: float  # time.monotonic() when it was decoded: lag = now - read_at


@dataclass
class Backoff:
    # At most 4 s between tries: a camera back after an outage is live again within 5 s.
    first_s: float = 0.5
    most_s: float = 4.0
    _next_s: float = field(default=0.0, init=False)

    def reset(self) -> None:
        self._next_s = 0.0

    def next_wait(self) -> float:
        self._next_s = self.first_s if self._next_s == 0 else min(self._next_s * 2, self.most_s)
        return self._next_s


@dataclass
class SourceStatus:
    state: State = "connecting"
    reason: str = ""
    frames_read: int = 0
    frames_dropped: int = 0
    width: int = 0
    height: int = 0


class LiveSource:
    """The newest frame of one source. `start()` runs the reader; `frames()` yields to analysis
    at most `fps` frames a second, each the newest read when analysis asks."""

    def __init__(
        self,
        url: str,
        fps: float,
        *,
        realtime_files: bool = True,
        allow_files: bool = True,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self._allow_files = allow_files
        self.fps = fps
        self.status = SourceStatus()
        self._realtime = realtime_files
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._newest: av.VideoFrame | None = None
        self._newest_at = 0.0
        self._fresh = threading.Condition()
        self._thread = threading.Thread(target=self._read_forever, name=f"source {redacted(url)}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._fresh:
            self._fresh.notify_all()
        self._thread.join(timeout=10)
        self.status.state = "stopped"

    def frames(self) -> Iterator[Frame]:
        """Until stopped: the newest frame, at most `fps` a second (the rest are dropped)."""
        period = 1.0 / self.fps
        due = time.monotonic()
        while not self._stop.is_set():
            wait = due - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
            with self._fresh:
                while self._newest is None and not self._stop.is_set():
                    self._fresh.wait(0.5)
                frame, read_at, self._newest = self._newest, self._newest_at, None
            if frame is None:
                return
            due = max(due + period, time.monotonic())
            yield Frame(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), read_at)

    def _read_forever(self) -> None:
        while not self._stop.is_set():
            self.status.state = "connecting"
            try:
                self._read_once()
                reason = "the stream ended"
            except (av.FFmpegError, OSError, ValueError, StopIteration) as exc:
                reason = _reason(exc)
            if self._stop.is_set():
                return
            wait = self._backoff.next_wait()
            self.status.state, self.status.reason = "failing", reason
            log.warning("source %s: %s; opening again in %.1f s", redacted(self.url), reason, wait)
            self._stop.wait(wait)

    def _read_once(self) -> None:
        refused = source_problem(self.url, allow_files=self._allow_files)
        if refused:
            raise ValueError(refused)
        with av.open(self.url, options=OPEN_OPTIONS, timeout=(10.0, 5.0)) as container:
            if not container.streams.video:
                raise ValueError("the source has no video")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            is_file = "://" not in self.url or self.url.startswith("file:")
            started, first_pts = time.monotonic(), None
            for frame in container.decode(stream):
                if self._stop.is_set():
                    return
                if is_file and self._realtime and frame.time is not None:
                    # A file played as a camera: each frame when its time comes.
                    first_pts = frame.time if first_pts is None else first_pts
                    ahead = (frame.time - first_pts) - (time.monotonic() - started)
                    if ahead > 0:
                        self._stop.wait(ahead)
                self._offer(frame)

    def _offer(self, frame: av.VideoFrame) -> None:
        with self._fresh:
            if self._newest is not None:
                self.status.frames_dropped += 1
            self._newest, self._newest_at = frame, time.monotonic()
            self._fresh.notify()
        status = self.status
        if status.state != "live":
            status.state, status.reason = "live", ""
            status.width, status.height = frame.width, frame.height
            self._backoff.reset()
            log.info("source %s live (%dx%d)", redacted(self.url), frame.width, frame.height)
        status.frames_read += 1


# What a camera may be: network video. Anything else FFmpeg opens (files, pipes, concat lists,
# devices) reads the stream replica's own machine, so it takes FACEREC_STREAM_ALLOW_FILES.
NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "srt")


def source_problem(url: str, *, allow_files: bool) -> str:
    """Why this source may not be opened here; empty when it may."""
    found = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    scheme = found.group(1).lower() if found else ""
    if scheme in NETWORK_SCHEMES:
        return ""
    if allow_files and scheme in ("", "file"):
        return ""
    if scheme in ("", "file"):
        return "file sources are off (FACEREC_STREAM_ALLOW_FILES=true turns them on)"
    return f"'{scheme}' sources are not read; use {', '.join(NETWORK_SCHEMES)}"


def _reason(exc: Exception) -> str:
    """A failure as the camera's state says it: short, and without the URL (credentials)."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.split(": '", 1)[0][:200]
