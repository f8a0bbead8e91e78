"""Video for the camera tests and benchmarks: the real clip as a higher-resolution camera sends it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


def upscaled(source: Path, target: Path, width: int, height: int, fps: int = 30) -> Path:
    """`source` re-encoded at width x height (H.264, FFmpeg's x264, fast settings), e.g. 4K."""
    with av.open(str(source)) as clip, av.open(str(target), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28", "g": str(fps)}
        for index, frame in enumerate(clip.decode(video=0)):
            big = frame.reformat(width=width, height=height, format="yuv420p")
            big.pts, big.time_base = index, Fraction(1, fps)
            out.mux(stream.encode(big))
        out.mux(stream.encode(None))
    return target
