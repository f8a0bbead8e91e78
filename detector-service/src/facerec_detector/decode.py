"""Encoded bytes to an upright RGB array, refusing what is not a supported, sane image."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facerec_common.errors import EmptyFile, ImageTooLarge, InvalidImage, UnsupportedImageFormat
from facerec_common.rgb import RgbArray

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Multi-picture JPEG (cameras, phones): its first frame is an ordinary JPEG.
JPEG_VARIANTS = ("MPO",)


# EXIF orientations that turn the image a quarter: its upright width is the stored height.
QUARTER_TURNS = (5, 6, 7, 8)


@dataclass(frozen=True)
class Decoded:
    """An upright RGB image, maybe decoded smaller than the file holds; `scale` maps its pixel
    coordinates back to the upright full-size image (`width` x `height`)."""

    image: RgbArray
    width: int
    height: int
    scale_x: float
    scale_y: float


def image_pixels(data: bytes, max_pixels: int) -> int:
    """Width x height from the file's header alone (cheap: nothing is decoded), refused as
    `decode_image` would refuse it."""
    with _opened(data, max_pixels) as image:
        width, height = image.size
        return width * height


def decode_image(data: bytes, max_pixels: int) -> RgbArray:
    return decode_reduced(data, max_pixels, max_side=0).image


def decode_reduced(data: bytes, max_pixels: int, max_side: int) -> Decoded:
    """Decode upright; with `max_side`, no larger than that on its longest side. A JPEG is
    decoded reduced by its own codec (1/2, 1/4 or 1/8 scale: a 40 MP photo never exists in
    memory at full size); other formats are decoded whole, then scaled down at once."""
    with _opened(data, max_pixels) as image:
        width, height = image.size
        try:
            orientation = int(image.getexif().get(0x0112, 1))
        except Exception:  # a malformed EXIF block: treat as upright, as exif_transpose does
            orientation = 1
        if max_side and max(width, height) > max_side and image.format in ("JPEG", *JPEG_VARIANTS):
            image.draft(
                "RGB",
                (math.ceil(width * max_side / max(width, height)), math.ceil(height * max_side / max(width, height))),
            )
        try:
            image.load()
            # In place and without a conversion copy: a 40 MP image is 160 MB in Pillow.
            ImageOps.exif_transpose(image, in_place=True)
            rgb = _to_rgb(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise InvalidImage(f"The file is not a readable image: {exc}") from exc
        finally:
            image.close()
    if orientation in QUARTER_TURNS:
        width, height = height, width
    if max_side and max(rgb.shape[:2]) > max_side:
        factor = max_side / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * factor)), max(1, round(rgb.shape[0] * factor)))
        rgb = np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
    return Decoded(rgb, width, height, width / rgb.shape[1], height / rgb.shape[0])


@contextlib.contextmanager
def _opened(data: bytes, max_pixels: int) -> Iterator[Image.Image]:
    if not data:
        raise EmptyFile()
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is the one that counts; Pillow's bomb warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in SUPPORTED_FORMATS + JPEG_VARIANTS:
                raise UnsupportedImageFormat(
                    f"Image format {image.format} is not supported; send one of {', '.join(SUPPORTED_FORMATS)}.",
                    format=str(image.format),
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLarge(
                    f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels.",
                    width=str(width),
                    height=str(height),
                )
            yield image
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image is too large to decode: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(f"The file is not a readable image: {exc}") from exc


def _to_rgb(image: Image.Image) -> RgbArray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float grayscale: scale to 8 bits instead of clipping at 255.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        gray = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray, gray, gray], axis=-1))
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)
