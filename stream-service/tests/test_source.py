"""What a camera's state may show of its source, and how it waits between tries."""

from __future__ import annotations

import pytest
from facerec_stream.source import Backoff, redacted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:hunter2@10.0.0.7:554/stream1", "rtsp://***@10.0.0.7:554/stream1"),
        ("rtsp://admin@cam.local/live", "rtsp://***@cam.local/live"),
        ("http://cam.local/mjpeg?fps=5", "http://cam.local/mjpeg?fps=5"),
        ("/srv/clips/door.mp4", "/srv/clips/door.mp4"),
    ],
)
def test_credentials_never_shown(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_backoff_doubles_to_its_most_and_starts_over_when_live() -> None:
    backoff = Backoff()
    assert [backoff.next_wait() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next_wait() == 0.5
