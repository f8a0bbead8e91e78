"""MTCNN's image pyramid, with our fix: the scales at which the proposal net looks for faces."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# MTCNN's proposal net looks at 12x12 windows: no pyramid level may be smaller.
PNET_WINDOW = 12
# Each pyramid level is this much smaller than the one before (mtcnn's default).
SCALE_FACTOR = 0.709


def scale_pyramid(
    width: int, height: int, min_face_size: float, scale_factor: float = SCALE_FACTOR, min_size: int = PNET_WINDOW
) -> npt.NDArray[np.float64]:
    """Scales at which the proposal net sees faces from min_face_size up to the whole image.

    mtcnn 1.0.0 counts the levels from the unscaled image, so with a
    min_face_size above ~24 the last levels shrink below 12 px, TensorFlow
    raises, and detect_faces swallows it and reports no face at all. Counting
    from the first (already scaled) level keeps every level >= 12 px.
    """
    first = min_size / min_face_size
    smallest_side = min(width, height) * first
    if smallest_side < min_size:
        return np.empty(0)
    count = int(np.floor(np.log(min_size / smallest_side) / np.log(scale_factor))) + 1
    return np.asarray(first * scale_factor ** np.arange(count))
