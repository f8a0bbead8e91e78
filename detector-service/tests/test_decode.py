"""Decoding: supported formats come out upright RGB; everything else is refused with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facerec_common.errors import EmptyFile, ImageTooLarge, InvalidImage, UnsupportedImageFormat
from facerec_detector.decode import decode_image

LIMIT = 40_000_000


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def photo(data_dir: Path) -> Image.Image:
    return Image.open(data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg").convert("RGB")


def test_jpeg(data_dir: Path) -> None:
    data = (data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg").read_bytes()
    rgb = decode_image(data, LIMIT)
    assert rgb.shape == (250, 250, 3)
    assert rgb.dtype == np.uint8


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp(photo: Image.Image, fmt: str) -> None:
    assert decode_image(_encode(photo, fmt), LIMIT).shape == (250, 250, 3)


def test_exif_orientation_is_applied(photo: Image.Image) -> None:
    wide = photo.crop((0, 0, 250, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    rgb = decode_image(_encode(wide, "JPEG", exif=exif), LIMIT)
    assert rgb.shape == (250, 100, 3)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK"])
def test_other_modes_become_rgb(photo: Image.Image, mode: str) -> None:
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    assert decode_image(_encode(photo.convert(mode), fmt), LIMIT).shape == (250, 250, 3)


def test_16_bit_png_is_scaled_not_clipped(photo: Image.Image) -> None:
    gray16 = Image.fromarray((np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16))
    rgb = decode_image(_encode(gray16, "PNG"), LIMIT)
    expected = np.asarray(photo.convert("L"))
    assert np.abs(rgb[..., 0].astype(int) - expected).max() <= 1


def test_empty() -> None:
    with pytest.raises(EmptyFile):
        decode_image(b"", LIMIT)


def test_not_an_image() -> None:
    with pytest.raises(InvalidImage):
        decode_image(b"name,score\nalice,1\n", LIMIT)


def test_truncated_jpeg(data_dir: Path) -> None:
    data = (data_dir / "faces/Al_Sharpton/Al_Sharpton_0001.jpg").read_bytes()
    with pytest.raises(InvalidImage):
        decode_image(data[: len(data) // 2], LIMIT)


def test_unsupported_format(photo: Image.Image) -> None:
    with pytest.raises(UnsupportedImageFormat) as caught:
        decode_image(_encode(photo, "GIF"), LIMIT)
    assert "GIF" in caught.value.message


def test_too_many_pixels_refused_before_decoding() -> None:
    # 20000x20000 of one colour compresses to a few hundred kB.
    data = _encode(Image.new("L", (20_000, 20_000)), "PNG")
    assert len(data) < 2_000_000
    with pytest.raises(ImageTooLarge):
        decode_image(data, LIMIT)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_channels_come_out_in_rgb_order(fmt: str) -> None:
    # A channel swap anywhere upstream of the model barely moves accuracy: pin the order here.
    red = Image.new("RGB", (64, 64), (230, 20, 20))
    rgb = decode_image(_encode(red, fmt, **({"quality": 100} if fmt != "PNG" else {})), LIMIT)
    r, g, b = rgb.reshape(-1, 3).mean(axis=0)
    assert r > 200
    assert g < 50
    assert b < 50
