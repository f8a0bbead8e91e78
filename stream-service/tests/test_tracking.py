"""Tracks and cuts on the real clip (../shared/data/video), frame by frame at 5 fps."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from facerec_stream.tracking import CutDetector, FaceTracker

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2


def _frames_at_5_fps(clip: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(clip)) as container:
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    assert len(frames) == 275
    start = frames[0][0]
    return [(t - start, image) for t, image in frames[::6]]


def test_the_clips_two_cuts_and_nothing_else(data_dir: Path) -> None:
    detector = CutDetector()
    cuts = [
        round(t, 1)
        for t, image in _frames_at_5_fps(data_dir / "video" / "short_hamilton_clip.mp4")
        if detector.is_cut(image)
    ]
    assert cuts == [2.8, 7.2]  # to the stage, to the audience; the moving, zooming camera is no cut


def _face(x: float, y: float, size: float = 80.0) -> detector_pb2.Face:
    return detector_pb2.Face(box=types_pb2.Box(x=x, y=y, width=size, height=size), score=0.99)


def test_a_face_moving_across_frames_is_one_track_and_a_reset_starts_over() -> None:
    tracker = FaceTracker(fps=5)
    ids = [tracker.update([_face(100 + 8 * i, 50), _face(400, 60 + 5 * i)]) for i in range(6)]
    assert ids.pop(0) == [None, None]  # a track starts with a face's second frame
    assert all(None not in frame for frame in ids)
    assert len({frame[0] for frame in ids}) == 1
    assert len({frame[1] for frame in ids}) == 1
    assert ids[0][0] != ids[0][1]
    tracker.reset()
    assert tracker.update([_face(148, 50)]) == [None]  # what was tracked is forgotten: a new track starts
