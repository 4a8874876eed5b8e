# SPDX-License-Identifier: GPL-3.0-or-later
"""Which way a generated model faces, found from its silhouettes against the prepared views.

Generators disagree on the facing (some deliver the character looking down -Y as the project's
convention says, some +X, some +Y) and on the size (metres, centimetres, "one unit"). Before a
review the model is turned by the quarter turn about Z whose silhouettes agree best with the
views, and scaled to the height the job asks for.

The search is cheap on purpose: the model's outline is projected in numpy (triangles sampled
densely enough to leave no gap at the search resolution), never rendered. Two projections (on
X-Z and on Y-Z) give every view of every quarter turn: a turn permutes and mirrors them.
Silhouettes cannot tell a figure from its mirror image, so a turn of 180 degrees is only taken
when it agrees clearly better than the file's own facing; otherwise the file's facing is kept
and the result says the front and back could not be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..mesh.trimesh import TriMesh
from .silhouette import best_shift, resize_mask

SEARCH_SIZE = 192  # canvas of the search, pixels
FIGURE_PX = 160  # the figure's height on that canvas
# A turn replaces the file's facing only if its mean IoU beats the facing's by this much
# (silhouette noise between two equally good turns stays well under it).
CLEAR_MARGIN = 0.02
MAX_SAMPLE_LEVEL = 64  # samples per triangle edge at most (a huge flat triangle)

# For a model turned by k quarter turns (counter-clockwise seen from above), which original axis
# each view's image-right direction is, and its sign. Views (docs/architecture.md): front =
# camera at -Y, image right = +X; back: image right = -X; left = camera at -X, image right = -Y;
# right = camera at +X, image right = +Y. Turning by 90 degrees maps (x, y) -> (-y, x).
_TURNED_AXES = {0: (("x", 1), ("y", 1)), 1: (("y", -1), ("x", 1)), 2: (("x", -1), ("y", -1)),
                3: (("y", 1), ("x", -1))}  # k -> (X' as (axis, sign), Y' as (axis, sign))
_VIEW_RIGHT = {"front": ("X", 1), "back": ("X", -1), "left": ("Y", -1), "right": ("Y", 1)}


@dataclass
class Facing:
    turn_deg: int  # quarter turn about Z applied (counter-clockwise seen from above)
    scores: dict[int, float]  # mean search IoU per turn (degrees)
    views: list[str]
    ambiguous: bool = False  # front and back agree alike: the file's facing was kept
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"turn_deg": self.turn_deg, "scores": {str(k): round(v, 4) for k, v in self.scores.items()},
                "views": list(self.views), "ambiguous": self.ambiguous, "notes": list(self.notes)}


def project(mesh: TriMesh, axis: int, size: int = SEARCH_SIZE) -> np.ndarray:
    """Boolean silhouette of ``mesh`` seen along the horizontal axis other than ``axis``:
    image right = +``axis`` (0 = X, 1 = Y), up = +Z, normalised (figure ``FIGURE_PX`` tall,
    centred, feet on the baseline)."""
    v = np.asarray(mesh.vertices, np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    height = max(float(hi[2] - lo[2]), 1e-12)
    scale = FIGURE_PX / height
    u = (v[:, axis] - (lo[axis] + hi[axis]) / 2.0) * scale + size / 2.0
    w = (hi[2] - v[:, 2]) * scale + (size - FIGURE_PX) / 2.0
    pts = np.stack([u, w], axis=1).astype(np.float32)
    tri = pts[np.asarray(mesh.triangles)]
    longest_sq = np.maximum(np.maximum(((tri[:, 1] - tri[:, 0]) ** 2).sum(axis=1),
                                       ((tri[:, 2] - tri[:, 1]) ** 2).sum(axis=1)),
                            ((tri[:, 0] - tri[:, 2]) ** 2).sum(axis=1))
    # Samples per edge: two per pixel of the longest edge, rounded up to a power of two, so a
    # few groups each take one barycentric grid (a scan's sub-pixel triangles: the corners).
    level = np.clip(np.ceil(np.sqrt(longest_sq) * 2.0), 1, MAX_SAMPLE_LEVEL)
    level = np.exp2(np.ceil(np.log2(level))).astype(np.int64)
    mask = np.zeros((size, size), bool)
    n = 1
    while n <= MAX_SAMPLE_LEVEL:
        chosen = level == n
        if chosen.any():
            group = tri[chosen]
            if n == 1:
                samples = group.reshape(-1, 2)
            else:
                i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
                keep = (i + j) <= n
                a, b = i[keep] / n, j[keep] / n
                bary = np.stack([1.0 - a - b, a, b], axis=1).astype(np.float32)  # (S, 3)
                samples = np.einsum("sk,tkd->tsd", bary, group).reshape(-1, 2)
            x = np.clip(samples[:, 0].astype(np.int64), 0, size - 1)
            y = np.clip(samples[:, 1].astype(np.int64), 0, size - 1)
            mask[y, x] = True
        n *= 2
    return mask


def normalise_mask(mask: np.ndarray, size: int = SEARCH_SIZE) -> np.ndarray:
    """A silhouette (any framing) cropped to its box and placed like :func:`project` frames."""
    from PIL import Image

    mask = np.asarray(mask) > 0.5
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(rows) == 0:
        return np.zeros((size, size), bool)
    crop = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    new_w = max(1, min(size, int(round(w * FIGURE_PX / h))))
    img = Image.fromarray(crop.astype(np.float32), "F").resize((new_w, FIGURE_PX), Image.Resampling.BOX)
    out = np.zeros((size, size), bool)
    top = (size - FIGURE_PX) // 2
    left = (size - new_w) // 2
    out[top:top + FIGURE_PX, left:left + new_w] = np.asarray(img) > 0.5
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    shift = best_shift(a, b, 4)
    if shift:
        a = np.roll(a, shift, axis=1)
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b)) / union if union else 1.0


def _close(mask: np.ndarray) -> np.ndarray:
    """Fill the one-pixel gaps point sampling can leave (dilate then erode once)."""
    d = mask.copy()
    d[1:] |= mask[:-1]
    d[:-1] |= mask[1:]
    d[:, 1:] |= mask[:, :-1]
    d[:, :-1] |= mask[:, 1:]
    e = d.copy()
    e[1:] &= d[:-1]
    e[:-1] &= d[1:]
    e[:, 1:] &= d[:, :-1]
    e[:, :-1] &= d[:, 1:]
    return e | mask


def find_facing(mesh: TriMesh, mattes: dict[str, np.ndarray]) -> Facing:
    """The quarter turn about Z that makes ``mesh`` (Z up) agree best with the view ``mattes``
    (front/back/left/right, 0..1, any framing)."""
    views: list[str] = [v for v in ("front", "back", "left", "right") if v in mattes]
    if not views:
        return Facing(0, {0: 0.0}, [], notes=["no front, back or side view to find the facing from"])
    base = {"x": _close(project(mesh, 0)), "y": _close(project(mesh, 1))}
    targets = {v: normalise_mask(resize_mask(mattes[v], SEARCH_SIZE) if mattes[v].shape[0] != SEARCH_SIZE
                                 else mattes[v]) for v in views}
    scores: dict[int, float] = {}
    for k, (x_axis, y_axis) in _TURNED_AXES.items():
        total = 0.0
        for view in views:
            which, sign = _VIEW_RIGHT[view]
            axis, axis_sign = x_axis if which == "X" else y_axis
            sil = base[axis] if sign * axis_sign > 0 else base[axis][:, ::-1]
            total += _iou(sil, targets[view])
        scores[k * 90] = total / len(views)
    best = max(scores, key=lambda d: scores[d])
    notes = []
    ambiguous = False
    if best != 0 and scores[best] < scores[0] + CLEAR_MARGIN:
        # Within noise of the file's own facing: keep it (a mirror twin agrees alike).
        best = 0
    opposite = (best + 180) % 360
    if abs(scores[best] - scores[opposite]) < CLEAR_MARGIN:
        ambiguous = True
        notes.append(f"the silhouettes cannot tell the front from the back (turns {best} and {opposite} degrees "
                     f"agree alike: {scores[best]:.2f}); check the clay renders' front by eye")
    return Facing(best, scores, views, ambiguous, notes)


def turn_about_z(mesh: TriMesh, degrees: int) -> TriMesh:
    """``mesh`` turned by a multiple of 90 degrees about the vertical axis through its box centre."""
    k = (int(degrees) // 90) % 4
    if k == 0:
        return mesh
    v = np.asarray(mesh.vertices, np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    c = (lo + hi) / 2.0
    x, y = v[:, 0] - c[0], v[:, 1] - c[1]
    nx, ny = {1: (-y, x), 2: (-x, -y), 3: (y, -x)}[k]
    out = v.copy()
    out[:, 0], out[:, 1] = nx + c[0], ny + c[1]
    return TriMesh(out.astype(np.asarray(mesh.vertices).dtype), np.asarray(mesh.triangles).copy())


def scale_to_height(mesh: TriMesh, height_mm: float) -> tuple[TriMesh, float]:
    """``mesh`` scaled uniformly to ``height_mm`` tall, feet on z = 0; and the factor used."""
    v = np.asarray(mesh.vertices, np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    height = float(hi[2] - lo[2])
    if height <= 0:
        return mesh, 1.0
    factor = height_mm / height
    out = (v - np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])) * factor
    return TriMesh(out.astype(np.asarray(mesh.vertices).dtype), np.asarray(mesh.triangles).copy()), factor
