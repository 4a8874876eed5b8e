# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare a render's silhouette with the prepared input view's matte.

Both masks are framed the same way (see ``core.images.prepare``): the figure's height spans
the canvas minus the margins, feet on the baseline, bounding box centred. A model that lost
an arm is narrower, so bounding-box centring moves the rest of it sideways; comparing at that
framing alone would smear one missing arm into disagreement all over the figure. The render is
therefore also slid sideways (a few per cent of the canvas) to the offset that agrees best —
registration on the parts that did come out right — and the remaining disagreement is what the
model really lacks or adds.

Disagreement is split into connected regions and each large one is named from where it lies
on the input figure (head, arm, leg...) and which side of the character that is, using the
view orientation convention in docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError
from ..images import ops as image_ops

# Diff image colours (RGB): where both agree, where the model lacks the input, where it adds.
AGREE_RGB = (128, 128, 128)
BACKGROUND_RGB = (235, 235, 235)
MISSING_RGB = (220, 30, 30)
EXTRA_RGB = (30, 80, 230)

# A region smaller than this share of the input silhouette is outline noise, not a finding.
MIN_REGION_FRACTION = 0.005
# Sideways registration search, as a share of the canvas width.
MAX_SHIFT_FRACTION = 0.08

# Bands down the figure (0 = top of the head, 1 = soles / bottom of the base), chosen for
# standing characters at miniature proportions (head about a fifth of the height).
HEAD_BAND = 0.20
UPPER_BAND = 0.60
FEET_BAND = 0.90

# Which side of the character the image's right-hand side shows, per view (architecture.md):
# front: camera at -Y, image right = +X = the character's left (it faces the viewer);
# back: image right = -X = the character's right; left: camera at -X, image right = -Y =
# the character's front; right: camera at +X, image right = +Y = the character's back.
IMAGE_RIGHT_IS = {"front": "left", "back": "right", "left": "front", "right": "back"}
_OPPOSITE = {"left": "right", "right": "left", "front": "back", "back": "front"}


@dataclass
class Region:
    """One connected patch of disagreement."""

    kind: str  # "missing" (in the input, not in the render) or "extra"
    pixels: int
    fraction: float  # of the input silhouette's area
    centre: tuple[float, float]  # (across, down): -1..1 from the figure's centre line, 0..1 head to feet
    part: str  # "left arm", "head", "front of the upper body", ...

    def describe(self, view: str) -> str:
        pct = f"{self.fraction * 100:.1f}% of the silhouette"
        if self.kind == "missing":
            return f"{self.part} missing in the {view} view ({pct})"
        return f"extra material at the {self.part} in the {view} view ({pct})"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "part": self.part, "fraction": round(self.fraction, 4),
                "pixels": self.pixels, "centre": [round(c, 3) for c in self.centre]}


@dataclass
class ViewComparison:
    view: str
    iou: float
    missing: float  # share of the input silhouette the render lacks
    extra: float  # render area outside the input silhouette, as a share of the input's area
    shift_px: int  # sideways registration applied to the render (positive = to the right)
    size: int
    regions: list[Region] = field(default_factory=list)
    diff: np.ndarray | None = None  # (S, S, 3) uint8

    @property
    def score(self) -> float:
        return self.iou

    def to_dict(self) -> dict:
        return {"view": self.view, "iou": round(self.iou, 4), "score": round(self.score, 4),
                "missing": round(self.missing, 4), "extra": round(self.extra, 4),
                "shift_px": self.shift_px, "compare_size": self.size,
                "regions": [r.to_dict() for r in self.regions],
                "findings": [r.describe(self.view) for r in self.regions]}


# -- mask helpers ------------------------------------------------------------------------------
def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """A float mask resampled to (size, size) with area averaging (Pillow)."""
    from PIL import Image

    mask = np.asarray(mask, dtype=np.float32)
    if mask.shape == (size, size):
        return mask
    img = Image.fromarray(mask, "F").resize((size, size), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.float32)


def _shift_x(mask: np.ndarray, dx: int) -> np.ndarray:
    out = np.zeros_like(mask)
    if dx > 0:
        out[:, dx:] = mask[:, :-dx]
    elif dx < 0:
        out[:, :dx] = mask[:, -dx:]
    else:
        out[:] = mask
    return out


def best_shift(render: np.ndarray, target: np.ndarray, max_shift: int) -> int:
    """The sideways offset of ``render`` (boolean) that maximises IoU with ``target``.

    One numpy reduction per candidate shift: at review sizes (512 px, +-41 px) that is a few
    dozen whole-array counts, cheap next to the render itself."""
    best, best_iou = 0, -1.0
    total_t = int(target.sum())
    total_r = int(render.sum())
    for dx in range(-max_shift, max_shift + 1):
        # Intersection of target with render shifted by dx, by slicing (no copy of the mask).
        if dx >= 0:
            inter = int(np.count_nonzero(target[:, dx:] & render[:, :render.shape[1] - dx]))
        else:
            inter = int(np.count_nonzero(target[:, :dx] & render[:, -dx:]))
        union = total_t + total_r - inter
        iou = inter / union if union else 1.0
        # Prefer the smallest shift among equals, so a perfect model stays unshifted.
        if iou > best_iou + 1e-9 or (abs(iou - best_iou) <= 1e-9 and abs(dx) < abs(best)):
            best, best_iou = dx, iou
    return best


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(r):
        e = out.copy()
        e[1:, :] &= out[:-1, :]
        e[:-1, :] &= out[1:, :]
        e[:, 1:] &= out[:, :-1]
        e[:, :-1] &= out[:, 1:]
        out = e
    return out


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(r):
        d = out.copy()
        d[1:, :] |= out[:-1, :]
        d[:-1, :] |= out[1:, :]
        d[:, 1:] |= out[:, :-1]
        d[:, :-1] |= out[:, 1:]
        out = d
    return out


def open_mask(mask: np.ndarray, r: int) -> np.ndarray:
    """Morphological opening: removes slivers thinner than about 2r pixels (outline noise
    from anti-aliasing and resampling) and keeps real patches at their size."""
    return _dilate(_erode(mask, r), r) & mask if r > 0 else mask


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of a boolean mask: (labels with -1 outside, count), numbered in
    raster order of their first pixel (the images package's run-based labelling)."""
    labels, count = image_ops.label(mask)
    return labels.astype(np.int64) - 1, count


# -- naming ------------------------------------------------------------------------------------
def name_region(view: str, across: float, down: float, one_sided: bool) -> str:
    """Name the body part at (across, down) of the figure in ``view``.

    ``across`` is -1..1 from the figure's centre line (positive = image right), ``down`` 0 at
    the top of the head to 1 at the bottom. ``one_sided`` is true when the region lies
    entirely on one side of the centre line, which is what tells an arm from the torso."""
    if view in IMAGE_RIGHT_IS:
        side = IMAGE_RIGHT_IS[view] if across > 0 else _OPPOSITE[IMAGE_RIGHT_IS[view]]
    else:
        side = "right of the image" if across > 0 else "left of the image"
    sideways = view in ("front", "back")  # the image's left/right is the character's left/right
    if down < HEAD_BAND:
        band, limb = "head", "side of the head"
    elif down < UPPER_BAND:
        band, limb = ("torso", "arm") if sideways else ("upper body", "upper body")
    elif down < FEET_BAND:
        band, limb = ("legs", "leg") if sideways else ("legs", "legs")
    else:
        band, limb = "feet or base", "foot or base"
    if not one_sided:
        return band
    if view not in IMAGE_RIGHT_IS:
        return f"{band} ({side})"
    if sideways:
        return f"{side} {limb}"
    # Side views: the image's left/right is the character's front/back.
    return f"{side} of the {band}"


def _regions(kind: str, mask: np.ndarray, view: str, box: tuple[int, int, int, int],
             input_area: int, min_fraction: float) -> list[Region]:
    labels, count = label_components(mask)
    if count == 0:
        return []
    inside = labels >= 0
    lab = labels[inside]
    ys, xs = np.nonzero(inside)
    pixels = np.bincount(lab, minlength=count)
    cy = np.bincount(lab, weights=ys, minlength=count) / np.maximum(pixels, 1)
    cx = np.bincount(lab, weights=xs, minlength=count) / np.maximum(pixels, 1)
    xmin = np.full(count, np.iinfo(np.int64).max)
    xmax = np.full(count, -1)
    np.minimum.at(xmin, lab, xs)
    np.maximum.at(xmax, lab, xs)
    top, bottom, left, right = box
    mid = (left + right - 1) / 2.0
    half_w = max((right - left) / 2.0, 1.0)
    height = max(bottom - top, 1)
    found = []
    for i in np.argsort(-pixels):
        frac = float(pixels[i]) / max(input_area, 1)
        if frac < min_fraction:
            break
        across = float((cx[i] - mid) / half_w)
        down = float((cy[i] - top) / height)
        # One-sided: the patch does not reach across the centre line (a little slack for the
        # outline, so an arm hugging the torso still counts as one side).
        slack = 0.04 * half_w
        one_sided = bool(xmin[i] > mid - slack) or bool(xmax[i] < mid + slack)
        found.append(Region(kind, int(pixels[i]), frac, (across, down),
                            name_region(view, across, down, one_sided)))
    return found


# -- the comparison ----------------------------------------------------------------------------
def compare_views(render_alphas: dict[str, np.ndarray], input_mattes: dict[str, np.ndarray], *,
                  size: int = 512, min_region: float = MIN_REGION_FRACTION,
                  max_shift: float = MAX_SHIFT_FRACTION) -> list[ViewComparison]:
    """Compare every view that has both a render's alpha and an input matte (0..1, square).

    The renders must be framed like the inputs, which ``blender/render.py`` does exactly from
    the model's 3-D bounds. Re-framing them from their own silhouettes instead was measured
    worse: the extra resampling and whole-pixel rounding cost the ground-truth figure 0.5-1 %
    IoU against its own prepared views."""
    views = [v for v in input_mattes if v in render_alphas]
    if not views:
        raise BadInputError("no rendered view matches an input view", hint="render front/back/left/right")
    return [compare_view(v, render_alphas[v], input_mattes[v], size=size, min_region=min_region,
                         max_shift=max_shift) for v in views]


def compare_view(view: str, render_mask: np.ndarray, input_matte: np.ndarray, *, size: int = 512,
                 min_region: float = MIN_REGION_FRACTION, max_shift: float = MAX_SHIFT_FRACTION) -> ViewComparison:
    """Compare one view: ``render_mask`` and ``input_matte`` (square, 0..1) framed alike;
    both are compared at ``size`` pixels."""
    input_matte = np.asarray(input_matte, dtype=np.float32)
    if input_matte.ndim != 2 or input_matte.shape[0] != input_matte.shape[1]:
        raise BadInputError(f"the {view} input matte is not a square image",
                            hint="prepare the views again (figurine run)")
    target = resize_mask(input_matte, size) > 0.5
    if not target.any():
        raise BadInputError(f"the {view} input view shows no character",
                            hint="prepare the views again with a visible character")
    render_mask = np.asarray(render_mask, dtype=np.float32)
    if render_mask.ndim != 2 or render_mask.shape[0] != render_mask.shape[1]:
        raise BadInputError(f"the {view} render is not a square image", hint="render the views again")
    render = resize_mask(render_mask, size) > 0.5
    shift = best_shift(render, target, int(round(max_shift * size))) if render.any() else 0
    render = _shift_x(render, shift)
    inter = int(np.count_nonzero(render & target))
    union = int(np.count_nonzero(render | target))
    area = int(np.count_nonzero(target))
    missing = target & ~render
    extra = render & ~target
    rows, cols = np.nonzero(target.any(axis=1))[0], np.nonzero(target.any(axis=0))[0]
    box = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
    r = max(1, size // 256)
    regions = (_regions("missing", open_mask(missing, r), view, box, area, min_region)
               + _regions("extra", open_mask(extra, r), view, box, area, min_region))
    regions.sort(key=lambda reg: -reg.pixels)
    return ViewComparison(view=view, iou=inter / union if union else 1.0,
                          missing=float(np.count_nonzero(missing)) / area,
                          extra=float(np.count_nonzero(extra)) / area, shift_px=shift, size=size,
                          regions=regions, diff=diff_image(render, target))


def diff_image(render: np.ndarray, target: np.ndarray) -> np.ndarray:
    """RGB uint8: agreement gray, missing (input only) red, extra (render only) blue."""
    img = np.empty((*target.shape, 3), np.uint8)
    img[:] = BACKGROUND_RGB
    img[render & target] = AGREE_RGB
    img[target & ~render] = MISSING_RGB
    img[render & ~target] = EXTRA_RGB
    return img
