"""Each face followed across a camera's frames: ByteTrack (Roboflow's `trackers` package) on the
detector's boxes, so a person in view is one track across a few missed frames; and cuts between
shots, after which no track goes on (a box where another person's was is not that person)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv
from trackers import ByteTrackTracker

from facerec.detector.v1 import detector_pb2

# A face lost this long ends its track (occlusions shorter than this keep it).
LOST_AFTER_S = 1.5
# Consecutive analysed frames whose grey-level histograms correlate less than this are a cut
# between shots. Measured on the clip at 5 fps: its two cuts 0.55 and 0.71, every other pair
# (a moving, zooming camera included) 0.94 or more.
CUT_CORRELATION = 0.85


class CutDetector:
    def __init__(self) -> None:
        self._previous: npt.NDArray[np.float32] | None = None

    def is_cut(self, image: npt.NDArray[np.uint8]) -> bool:
        """Whether this frame starts another shot than the frame before."""
        grey = cv2.cvtColor(cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        histogram = np.asarray(cv2.calcHist([grey], [0], None, [32], [0, 256]), dtype=np.float32)
        previous, self._previous = self._previous, histogram
        return previous is not None and cv2.compareHist(previous, histogram, cv2.HISTCMP_CORREL) < CUT_CORRELATION


class FaceTracker:
    def __init__(self, fps: float) -> None:
        self._fps = fps
        self.reset()

    def reset(self) -> None:
        """Forget every track (after a cut): the next faces start new ones."""
        fps = self._fps
        self._tracker = ByteTrackTracker(
            frame_rate=fps,
            lost_track_buffer=max(1, round(fps * LOST_AFTER_S)),
            # MTCNN's scores on real faces are ~0.99; anything it reports is a face candidate.
            track_activation_threshold=0.9,
            high_conf_det_threshold=0.9,
            minimum_consecutive_frames=1,
        )

    def update(self, faces: Sequence[detector_pb2.Face]) -> list[int | None]:
        """The track of each face, in the detector's order (None: not tracked)."""
        if faces:
            xyxy = np.array([[f.box.x, f.box.y, f.box.x + f.box.width, f.box.y + f.box.height] for f in faces])
            scores = np.array([f.score for f in faces], dtype=np.float32)
        else:
            xyxy, scores = np.empty((0, 4)), np.empty(0, dtype=np.float32)
        detections = sv.Detections(
            xyxy=xyxy.astype(np.float32), confidence=scores, data={"index": np.arange(len(faces))}
        )
        tracked = self._tracker.update(detections)
        found: list[int | None] = [None] * len(faces)
        if tracked.tracker_id is not None and len(tracked) and "index" in tracked.data:
            for index, track in zip(tracked.data["index"], tracked.tracker_id, strict=True):
                if track >= 0:
                    found[int(index)] = int(track)
        return found
