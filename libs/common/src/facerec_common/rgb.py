"""Conversion between numpy RGB arrays and the wire type `facerec.common.v1.RgbImage`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from facerec.common.v1 import types_pb2
from facerec_common.errors import InvalidArgument

RgbArray = npt.NDArray[np.uint8]


def to_proto(image: RgbArray) -> types_pb2.RgbImage:
    height, width, _ = image.shape
    return types_pb2.RgbImage(width=width, height=height, pixels=np.ascontiguousarray(image).tobytes())


def is_whole(width: int, height: int, pixels: bytes) -> bool:
    """Whether `pixels` are exactly a width x height RGB image."""
    return width > 0 and height > 0 and len(pixels) == width * height * 3


def from_proto(message: types_pb2.RgbImage) -> RgbArray:
    expected = message.width * message.height * 3
    if not is_whole(message.width, message.height, message.pixels):
        raise InvalidArgument(
            f"RgbImage of {message.width}x{message.height} needs {expected} bytes, got {len(message.pixels)}."
        )
    return np.frombuffer(message.pixels, dtype=np.uint8).reshape(message.height, message.width, 3)
