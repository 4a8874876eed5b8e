# SPDX-License-Identifier: GPL-3.0-or-later
"""Prepare a view set: flat studio gray, cropped, same scale and baseline in every view."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import atomic
from ..errors import BadInputError
from . import STUDIO_GRAY, VIEW_SLOTS
from .load import load_rgba
from .matte import subject_matte

DEFAULT_SIZE = 1024
MARGIN = 0.06  # of the canvas, above the head and below the feet


@dataclass
class PreparedView:
    slot: str
    rgb: np.ndarray  # (S, S, 3) uint8 on flat studio gray
    matte: np.ndarray  # (S, S) float32 in [0, 1]; 1 = character


@dataclass
class ViewSet:
    views: dict[str, PreparedView]
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return next(iter(self.views.values())).matte.shape[0]

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``<slot>.png`` (RGB on gray) and ``<slot>_matte.png`` for every view."""
        from PIL import Image

        folder = Path(folder)
        written = {}
        for slot, view in self.views.items():
            rgb_path = folder / f"{slot}.png"
            with atomic.atomic_path(rgb_path) as tmp:
                Image.fromarray(view.rgb, "RGB").save(tmp, format="PNG")
            matte_path = folder / f"{slot}_matte.png"
            with atomic.atomic_path(matte_path) as tmp:
                Image.fromarray(np.round(view.matte * 255).astype(np.uint8), "L").save(tmp, format="PNG")
            written[slot] = rgb_path
            written[f"{slot}_matte"] = matte_path
        return written


def load_prepared(folder: str | os.PathLike) -> ViewSet:
    from PIL import Image

    folder = Path(folder)
    views = {}
    for slot in VIEW_SLOTS:
        rgb_path, matte_path = folder / f"{slot}.png", folder / f"{slot}_matte.png"
        if rgb_path.exists() and matte_path.exists():
            rgb = np.asarray(Image.open(rgb_path).convert("RGB"))
            matte = np.asarray(Image.open(matte_path).convert("L"), dtype=np.float32) / 255.0
            views[slot] = PreparedView(slot, rgb, matte)
    if "front" not in views:
        raise BadInputError(f"{folder} holds no prepared front view")
    return ViewSet(views)


def _resample(arr: np.ndarray, scale: float, out_h: int, out_w: int, off_y: float, off_x: float) -> np.ndarray:
    """Place ``arr`` scaled by ``scale`` with its origin at (off_y, off_x) on an out canvas."""
    from PIL import Image

    h, w = arr.shape[:2]
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    channels = [arr] if arr.ndim == 2 else [arr[..., i] for i in range(arr.shape[2])]
    planes = []
    for ch in channels:
        img = Image.fromarray(ch.astype(np.float32), "F").resize((new_w, new_h), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
        plane = np.zeros((out_h, out_w), np.float32)
        y0, x0 = int(round(off_y)), int(round(off_x))
        src = np.asarray(img)
        ys, xs = max(0, -y0), max(0, -x0)
        ye, xe = min(new_h, out_h - y0), min(new_w, out_w - x0)
        if ye > ys and xe > xs:
            plane[y0 + ys:y0 + ye, x0 + xs:x0 + xe] = src[ys:ye, xs:xe]
        planes.append(plane)
    out = planes[0] if arr.ndim == 2 else np.stack(planes, axis=-1)
    return np.clip(out, 0.0, 1.0)


def frame_view(slot: str, rgba: np.ndarray, matte: np.ndarray, size: int) -> PreparedView:
    solid = matte > 0.5
    rows, cols = np.nonzero(solid.any(axis=1))[0], np.nonzero(solid.any(axis=0))[0]
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    target_h = size * (1 - 2 * MARGIN)
    scale = target_h / (bottom - top)
    if (right - left) * scale > size * (1 - MARGIN):  # a wide subject: fit the width instead
        scale = size * (1 - MARGIN) / (right - left)
    off_y = size * (1 - MARGIN) - bottom * scale  # feet on the baseline
    off_x = size / 2 - (left + right) / 2 * scale  # bounding box centred
    m = _resample(matte, scale, size, size, off_y, off_x)
    rgb = _resample(rgba[..., :3], scale, size, size, off_y, off_x)
    gray = np.asarray(STUDIO_GRAY, np.float32) / 255.0
    # Un-premultiply is unnecessary: matte edges blend the subject's own colour over gray.
    comp = rgb * m[..., None] + gray * (1 - m[..., None])
    comp[m <= 0.0] = gray
    return PreparedView(slot, np.round(comp * 255).astype(np.uint8), m.astype(np.float32))


def prepare_view_set(paths: dict[str, str | os.PathLike], size: int = DEFAULT_SIZE) -> ViewSet:
    """Load, matte and frame the given views (``front`` required)."""
    unknown = set(paths) - set(VIEW_SLOTS)
    if unknown:
        raise BadInputError(f"unknown view slot(s) {sorted(unknown)}", hint=f"use {', '.join(VIEW_SLOTS)}")
    if not paths.get("front"):
        raise BadInputError("the front view is missing", hint="give a front view image (--front FILE)")
    if not 64 <= size <= 8192:
        raise BadInputError(f"image size {size} is out of range", hint="use 64 to 8192 pixels")
    views = {}
    for slot in VIEW_SLOTS:
        if paths.get(slot):
            rgba = load_rgba(paths[slot])
            try:
                matte = subject_matte(rgba)
            except BadInputError as exc:
                raise BadInputError(f"{slot} view ({Path(paths[slot]).name}): {exc.message}", hint=exc.hint) from None
            views[slot] = frame_view(slot, rgba, matte, size)
    return ViewSet(views)
