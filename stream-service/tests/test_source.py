"""What a camera's state may show of its source, and how it waits between tries."""

from __future__ import annotations

import pytest
from facerec_stream.source import Backoff, source_problem

from facerec_common.urls import redacted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:hunter2@10.0.0.7:554/stream1", "rtsp://***@10.0.0.7:554/stream1"),
        ("rtsp://admin@cam.local/live", "rtsp://***@cam.local/live"),
        ("http://cam.local/mjpeg?fps=5", "http://cam.local/mjpeg?fps=5"),
        ("/srv/clips/door.mp4", "/srv/clips/door.mp4"),
        ("http://cam.local/snap.cgi?user=admin&pwd=hunter2&chn=1", "http://cam.local/snap.cgi?user=***&pwd=***&chn=1"),
        ("rtsp://a:b@cam.local:99999/x", "***"),
        (
            "rtsp://10.0.0.9:554/user=admin&password=hunter2&channel=1&stream=0.sdp",
            "rtsp://10.0.0.9:554/user=***&password=***&channel=1&stream=0.sdp",
        ),
        (
            "https://cam.local/live.m3u8?access_token=abc&api_key=def&res=hd",
            "https://cam.local/live.m3u8?access_token=***&api_key=***&res=hd",
        ),
    ],
)
def test_credentials_never_shown(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_backoff_doubles_to_its_most_and_starts_over_when_live() -> None:
    backoff = Backoff()
    assert [backoff.next_wait() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next_wait() == 0.5


@pytest.mark.parametrize(
    ("url", "allow_files", "refused"),
    [
        ("rtsp://cam.local/live", False, False),
        ("RTSPS://cam.local/live", False, False),
        ("https://cam.local/hls/index.m3u8", False, False),
        ("/srv/clips/door.mp4", False, True),
        ("file:/srv/clips/door.mp4", False, True),
        ("/srv/clips/door.mp4", True, False),
        ("file:/srv/clips/door.mp4", True, False),
        ("pipe:0", True, True),
        ("concat:/etc/passwd|/etc/hosts", True, True),
        ("ftp://host/x.mp4", True, True),
    ],
)
def test_only_network_video_unless_files_are_allowed(url: str, allow_files: bool, refused: bool) -> None:
    assert bool(source_problem(url, allow_files=allow_files)) == refused
