"""What the camera sends the detector: a 4K frame at most 1920 px wide, and its scale."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
from facerec_stream.camera import ANALYSIS_MAX_SIDE, CameraWorker
from facerec_stream.settings import CameraSettings


def test_a_4k_frame_is_sent_at_the_analysis_size(data_dir: Path) -> None:
    with av.open(str(data_dir / "video" / "short_hamilton_clip.mp4")) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    uhd = cv2.resize(frame, (3840, 2160), interpolation=cv2.INTER_CUBIC)
    camera = CameraSettings(name="uhd", url="/dev/null", collection="c")
    worker = CameraWorker(camera, backends=None, events=None)  # type: ignore[arg-type]  # only _prepare runs
    prepared = worker._prepare(np.ascontiguousarray(uhd))
    sent = cv2.imdecode(np.frombuffer(prepared.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert sent.shape[:2] == (1080, ANALYSIS_MAX_SIDE)
    assert prepared.scale == 0.5
    assert prepared.cut is False
    small = worker._prepare(frame)  # the clip itself: sent as it is
    assert (cv2.imdecode(np.frombuffer(small.jpeg, np.uint8), cv2.IMREAD_COLOR).shape[:2], small.scale) == (
        (360, 640),
        1.0,
    )
