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
    a_src = alpha[y0:y1, x0:x1]
    premult = foreground[y0:y1, x0:x1] * a_src[..., None]
    new_w, new_h = max(1, int(round((x1 - x0) * scale))), max(1, int(round((y1 - y0) * scale)))
    sx, sy = new_w / (x1 - x0), new_h / (y1 - y0)  # the scale after rounding the size
    method = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC
    planes = [np.asarray(Image.fromarray(np.ascontiguousarray(ch, np.float32), "F").resize((new_w, new_h), method))
              for ch in (a_src, premult[..., 0], premult[..., 1], premult[..., 2])]
    baseline = size * (1 - MARGIN)
    off_y = int(round(baseline - (box.bottom - y0) * sy))
    off_x = int(round(size / 2 - (box.centre_x - x0) * sx))
    canvas = np.zeros((4, size, size), np.float32)
    ys, xs = max(0, -off_y), max(0, -off_x)
    ye, xe = min(new_h, size - off_y), min(new_w, size - off_x)
    if ye > ys and xe > xs:
        for i, plane in enumerate(planes):
            canvas[i, off_y + ys:off_y + ye, off_x + xs:off_x + xe] = plane[ys:ye, xs:xe]
    a = np.clip(canvas[0], 0.0, 1.0)
    a[a < 1.0 / 512] = 0.0  # filter ringing must not tint the flat backdrop
    colour = np.clip(np.moveaxis(canvas[1:], 0, -1), 0.0, a[..., None])
    gray = np.asarray(STUDIO_GRAY, np.float32) / 255.0
    comp = colour + gray * (1.0 - a[..., None])
    rgb = np.round(np.clip(comp, 0.0, 1.0) * 255.0).astype(np.uint8)
    rgb[a == 0.0] = STUDIO_GRAY  # exactly flat where there is no character
    return rgb, a.astype(np.float32)
