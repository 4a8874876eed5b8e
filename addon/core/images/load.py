# SPDX-License-Identifier: GPL-3.0-or-later
"""Read an image file into a float RGBA array, refusing what is not an image."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import BadInputError

MAX_PIXELS = 64_000_000  # far above any view an image model paints; stops decompression bombs


def load_rgba(path: str | os.PathLike) -> np.ndarray:
    """(H, W, 4) float32 in [0, 1], EXIF orientation applied."""
    from PIL import Image, ImageOps

    path = Path(path)
    if not path.exists():
        raise BadInputError(f"{path} does not exist", hint="check the file name")
    if path.is_dir():
        raise BadInputError(f"{path} is a folder", hint="give an image file (PNG, JPEG, WebP, TIFF or BMP)")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                rgba = _to_rgba(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadInputError(f"{path.name} is larger than {MAX_PIXELS // 1_000_000} megapixels",
                            hint="resize the image before using it") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInputError(f"{path.name} is not an image we can read ({type(exc).__name__})",
                            hint="give a PNG, JPEG, WebP, TIFF or BMP file") from None
    return rgba


def _to_rgba(img) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)
        arr = arr / (65535.0 if arr.max() > 255 else 255.0)
        rgb = np.repeat(arr[..., None], 3, axis=2)
        return np.concatenate([rgb, np.ones_like(arr)[..., None]], axis=2).astype(np.float32)
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    elif img.mode == "CMYK":
        img = img.convert("RGB")
    if img.mode not in ("RGBA", "RGB"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    arr = np.asarray(img, dtype=np.float32) / 255.0
    if arr.shape[2] == 3:
        arr = np.concatenate([arr, np.ones(arr.shape[:2] + (1,), np.float32)], axis=2)
    return arr
