# SPDX-License-Identifier: GPL-3.0-or-later
"""Read an image file into a float RGBA array, refusing what is not an image.

The format is recognised by the file's content (Pillow sniffs the header), never by its
extension, and only the formats a character view comes in are accepted. The pixel count
is checked from the header before any pixel is decoded, so a decompression bomb costs
nothing."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import BadInputError

MAX_PIXELS = 64_000_000  # far above any view an image model paints; stops decompression bombs
# A JPEG read at a reduced size (``max_side``) decodes 1/2, 1/4 or 1/8 of each side in the
# decoder itself (no full-size pixels ever exist), so a phone photo of up to this many pixels is
# taken when the reduced decode stays under MAX_PIXELS.
MAX_JPEG_PIXELS = 256_000_000
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP")
_HINT = "give a PNG, JPEG, WebP, TIFF or BMP image"


def load_rgba(source: str | os.PathLike | bytes, *, max_pixels: int = MAX_PIXELS,
              name: str | None = None, max_side: int | None = None) -> np.ndarray:
    """(H, W, 4) float32 in [0, 1], EXIF orientation applied, straight (not premultiplied) alpha.

    ``source`` is a path or the encoded bytes (an image an AI service returned). ``max_side``
    reads a larger image at a reduced size whose longer side is at least ``max_side`` (then
    scaled down to it): a JPEG is decoded at 1/2, 1/4 or 1/8 scale by the decoder itself, so a
    48-megapixel phone photo never exists at full size in memory."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    opener: io.BytesIO | Path
    if isinstance(source, (bytes, bytearray)):
        label = name or "image data"
        opener = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        label = name or path.name
        if not path.exists():
            raise BadInputError(f"{path} does not exist", hint="check the file name")
        if path.is_dir():
            raise BadInputError(f"{path} is a folder", hint=_HINT)
        opener = path
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning fires at its global limit; ours is checked below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(opener, formats=FORMATS) as img:
                w, h = img.size
                if max_side and max(w, h) > max_side and img.format == "JPEG" and w * h <= MAX_JPEG_PIXELS:
                    # the decoder picks the largest 1/2^k scale that keeps the requested size
                    scale = max_side / max(w, h)
                    img.draft(img.mode, (max(1, int(w * scale)), max(1, int(h * scale))))
                    w, h = img.size
                if w * h > max_pixels:
                    raise BadInputError(
                        f"{label} has {w}×{h} pixels, more than the {max_pixels // 1_000_000} megapixel limit",
                        hint="resize the image before using it")
                if w < 16 or h < 16:
                    raise BadInputError(f"{label} is only {w}×{h} pixels", hint="use a larger image")
                img.seek(0)  # animated WebP/TIFF: the first frame
                img.load()
                if max_side and max(img.size) > max_side:
                    img = _reduced(img, max_side)
                # in place: no copy of the pixels when there is no orientation to apply
                ImageOps.exif_transpose(img, in_place=True)
                return _to_rgba(img)
    except BadInputError:
        raise
    except Image.DecompressionBombError:
        raise BadInputError(f"{label} is larger than {max_pixels // 1_000_000} megapixels",
                            hint="resize the image before using it") from None
    except UnidentifiedImageError:
        raise BadInputError(f"{label} is not an image we can read (by its content)", hint=_HINT) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadInputError(f"{label} is damaged or not a supported image ({type(exc).__name__})",
                            hint=_HINT) from None


def _reduced(img, max_side: int):
    """``img`` scaled down so its longer side is ``max_side``: a whole-number box reduction in C
    first (cheap, no aliasing), then one Lanczos step to the exact size. Alpha is kept."""
    from PIL import Image

    factor = max(img.size) // max_side
    if factor >= 2 and img.mode in ("RGB", "RGBA", "L", "LA", "I;16", "I", "F"):
        img = img.reduce(factor)
    if max(img.size) > max_side:
        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        if img.mode in ("P", "PA", "1", "CMYK", "YCbCr", "LAB", "HSV", "RGBa", "La"):
            img = img.convert("RGBA" if img.mode in ("PA", "RGBa", "La") or "transparency" in img.info else "RGB")
        img = img.resize(size, Image.Resampling.LANCZOS)
    return img


def _to_rgba(img) -> np.ndarray:
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16-bit or float gray: scale by the range the format implies, not by the image's
        # own maximum (a dark image must stay dark)
        arr = np.asarray(img, dtype=np.float32)
        if mode == "F":
            top = 1.0 if float(arr.max(initial=0.0)) <= 1.0 else 65535.0
        elif mode == "I":
            top = 255.0 if float(arr.max(initial=0)) <= 255 else 65535.0
        else:
            top = 65535.0
        gray = np.clip(arr / top, 0.0, 1.0)
        return np.dstack([gray, gray, gray, np.ones_like(gray)]).astype(np.float32)
    if mode in ("RGBa", "La"):  # premultiplied: Pillow un-premultiplies on conversion
        img = img.convert("RGBA")
    elif mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("LA", "PA"):
        img = img.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        # CMYK, YCbCr, LAB, HSV, 1, L: Pillow knows the conversion to RGB
        img = img.convert("RGB")
    if img.mode == "RGB":
        img = img.convert("RGBA")  # an opaque alpha band, added in C (255 scales to exactly 1.0)
    # one pass from 8 bits to float, straight into the result
    arr = np.empty((img.height, img.width, 4), np.float32)
    np.multiply(np.asarray(img), np.float32(1.0 / 255.0), out=arr)
    return arr


def to_png_bytes(rgb_u8: np.ndarray) -> bytes:
    """Encode an (H, W, 3|4) uint8 array as PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb_u8, "RGBA" if rgb_u8.shape[2] == 4 else "RGB").save(buf, format="PNG")
    return buf.getvalue()
