# SPDX-License-Identifier: GPL-3.0-or-later
"""Frame the views of one character alike: same subject height in pixels, feet on the same
baseline, centred, on a square canvas of flat studio gray with a margin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import STUDIO_GRAY

MARGIN = 0.06  # of the canvas, above the head and below the feet
SIDE_MARGIN = MARGIN / 2  # of the canvas, left and right; matches the renders in blender/render.py


@dataclass
class SubjectBox:
    top: int
    bottom: int  # exclusive
    left: int
    right: int  # exclusive

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def centre_x(self) -> float:
        return (self.left + self.right) / 2.0


def subject_box(alpha: np.ndarray) -> SubjectBox:
    solid = alpha > 0.5
    rows, cols = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    return SubjectBox(int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def common_height(boxes: list[SubjectBox], size: int) -> float:
    """The subject height in output pixels every view gets: as tall as the margins allow,
    unless a wide view (arms out, a cape) would then overflow the sides."""
    target = size * (1 - 2 * MARGIN)
    usable_w = size * (1 - 2 * SIDE_MARGIN)
    for box in boxes:
        target = min(target, usable_w * box.height / max(box.width, 1))
    return target


def place(alpha: np.ndarray, foreground: np.ndarray, box: SubjectBox, height_px: float,
          size: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale so the subject is ``height_px`` tall, feet on the baseline, box centred.

    Returns (rgb uint8 on flat studio gray, alpha float32). Colour is resampled
    premultiplied by alpha so edge pixels never pull in colour from outside the character."""
    from PIL import Image

    scale = height_px / box.height
    h, w = alpha.shape
    # crop the source to the subject plus a little context for the resampling filter
    pad = int(np.ceil(3 / min(scale, 1.0))) + 2
    y0, y1 = max(0, box.top - pad), min(h, box.bottom + pad)
    x0, x1 = max(0, box.left - pad), min(w, box.right + pad)
    a_src = np.ascontiguousarray(alpha[y0:y1, x0:x1], np.float32)
    new_w, new_h = max(1, int(round((x1 - x0) * scale))), max(1, int(round((y1 - y0) * scale)))
    sx, sy = new_w / (x1 - x0), new_h / (y1 - y0)  # the scale after rounding the size
    method = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC

    def resized(plane: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(plane, "F").resize((new_w, new_h), method))

    baseline = size * (1 - MARGIN)
    off_y = int(round(baseline - (box.bottom - y0) * sy))
    off_x = int(round(size / 2 - (box.centre_x - x0) * sx))
    gray = np.asarray(STUDIO_GRAY, np.float32) / 255.0
    # everything outside the placed subject is flat gray with zero alpha: only the placed
    # rectangle is computed, one contiguous plane at a time
    a = np.zeros((size, size), np.float32)
    rgb = _flat_canvas(size)
    ys, xs = max(0, -off_y), max(0, -off_x)
    ye, xe = min(new_h, size - off_y), min(new_w, size - off_x)
    if ye <= ys or xe <= xs:
        return rgb, a
    dst = (slice(off_y + ys, off_y + ye), slice(off_x + xs, off_x + xe))
    a_dst = np.clip(resized(a_src)[ys:ye, xs:xe], 0.0, 1.0)
    a_dst[a_dst < 1.0 / 512] = 0.0  # filter ringing must not tint the flat backdrop
    a[dst] = a_dst
    rest = 1.0 - a_dst
    rect = np.empty((ye - ys, xe - xs, 3), np.uint8)
    for c in range(3):
        # colour is resampled premultiplied; it can never exceed the alpha it comes with
        col = np.minimum(resized(np.multiply(foreground[y0:y1, x0:x1, c], a_src))[ys:ye, xs:xe], a_dst)
        np.maximum(col, 0.0, out=col)
        # col + gray·(1 - a) stays within [0, 1] (up to rounding, which np.rint absorbs), and
        # is exactly the gray where alpha is 0
        col += gray[c] * rest
        col *= 255.0
        rect[..., c] = np.rint(col, out=col)
    rgb[dst] = rect
    return rgb, a


def _flat_canvas(size: int) -> np.ndarray:
    """A (size, size, 3) uint8 canvas of flat studio gray."""
    rgb = np.empty((size, size, 3), np.uint8)
    if len(set(STUDIO_GRAY)) == 1:
        rgb.fill(STUDIO_GRAY[0])  # one byte value: a plain memory fill
    else:
        rgb[...] = STUDIO_GRAY
    return rgb
