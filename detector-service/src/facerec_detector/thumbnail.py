"""Small JPEG of a face with some context, for display only (never used for matching)."""

from __future__ import annotations

import io

from PIL import Image

from facerec_common.rgb import RgbArray

MARGIN = 0.3


def face_thumbnail(image: RgbArray, x: float, y: float, width: float, height: float, longest_side: int) -> bytes:
    img_h, img_w = image.shape[:2]
    pad_x, pad_y = width * MARGIN, height * MARGIN
    left, top = max(0, int(x - pad_x)), max(0, int(y - pad_y))
    right, bottom = min(img_w, int(x + width + pad_x)), min(img_h, int(y + height + pad_y))
    crop = Image.fromarray(image[top:bottom, left:right])
    crop.thumbnail((longest_side, longest_side))
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=85)
    return out.getvalue()
