"""Encoded bytes to an upright RGB array, refusing what is not a supported, sane image."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facerec_common.errors import EmptyFile, ImageTooLarge, InvalidImage, UnsupportedImageFormat
from facerec_common.rgb import RgbArray

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Multi-picture JPEG (cameras, phones): its first frame is an ordinary JPEG.
JPEG_VARIANTS = ("MPO",)


def decode_image(data: bytes, max_pixels: int) -> RgbArray:
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
            image.load()
            return _to_rgb(ImageOps.exif_transpose(image))
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
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
