# SPDX-License-Identifier: GPL-3.0-or-later
"""A visual hull with a rounded cross-section prior, as a signed field on a voxel grid.

Intersecting extruded silhouettes alone gives boxy slabs: every horizontal slice of a limb
becomes a rectangle. People and pets are round, so each slice is shaped as a superellipse
inscribed in the silhouettes: at height z, a point (x, y) is inside when

    |x - cx|^p / rx^p + |y - cy|^p / ry^p <= 1

where (cx, rx) is the centre and half-width of the run of the front silhouette row that
contains x, and (cy, ry) the same for the side silhouette row that contains y. Several runs
in a row (two legs, an arm apart from the body) each get their own ellipse. With no side
view, the depth of a part is a fixed fraction of its width, centred on y = 0.

The field is positive inside and roughly a distance in voxels near the surface, so the
surface extractor places vertices with sub-voxel accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BadInputError

PAD = 2  # voxels of empty space around the figure so the surface closes


@dataclass
class HullSettings:
    resolution: int = 160  # voxels along the figure's height
    roundness: float = 2.0  # superellipse exponent p of a cross-section (2 = ellipse)
    depth_ratio: float = 0.75  # depth / width of a part when no side view exists
    threshold: float = 0.5  # matte level that counts as the character
    smoothing: int = 2  # passes of a [1 2 1] blur over the field


@dataclass
class Grid:
    field: np.ndarray  # (X, Y, Z) float32, > 0 inside
    origin: np.ndarray  # position of grid point (0, 0, 0) in normalised units
    spacing: float  # grid step in normalised units (figure height = 1)


@dataclass
class _Profile:
    """A view's matte resampled so that the figure is about ``resolution`` pixels tall."""

    image: np.ndarray  # (rows, cols) float32
    bottom: float  # row coordinate of the feet in ``image``
    centre: float  # column coordinate of the bounding-box centre in ``image``
    half_width: float  # in normalised units
    rows_per_unit: float  # image rows per normalised unit (figure height = 1)
    cols_per_unit: float  # image columns per normalised unit

    def sample(self, z: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Bilinear sample at heights z (Z,) and horizontal offsets u (U,), normalised."""
        rows = self.bottom - z * self.rows_per_unit - 0.5
        cols = self.centre + u * self.cols_per_unit - 0.5
        img = np.pad(self.image, 1)  # zero border: outside the image is background
        rows, cols = rows + 1, cols + 1
        r0 = np.clip(np.floor(rows).astype(int), 0, img.shape[0] - 2)
        c0 = np.clip(np.floor(cols).astype(int), 0, img.shape[1] - 2)
        wr = np.clip(rows - r0, 0, 1)[:, None]
        wc = np.clip(cols - c0, 0, 1)[None, :]
        r0, c0 = r0[:, None], c0[None, :]
        top = img[r0, c0] * (1 - wc) + img[r0, c0 + 1] * wc
        bot = img[r0 + 1, c0] * (1 - wc) + img[r0 + 1, c0 + 1] * wc
        out = top * (1 - wr) + bot * wr
        outside = (rows < 0.5)[:, None] | (rows > img.shape[0] - 1.5)[:, None] \
            | (cols < 0.5)[None, :] | (cols > img.shape[1] - 1.5)[None, :]
        return np.where(outside, 0.0, out).astype(np.float32)


def _profile(slot: str, matte: np.ndarray, res: int, threshold: float) -> _Profile:
    from PIL import Image

    solid = matte > threshold
    rows = np.nonzero(solid.any(axis=1))[0]
    cols = np.nonzero(solid.any(axis=0))[0]
    if len(rows) < 4 or len(cols) < 2:
        raise BadInputError(f"the {slot} view has no character in it",
                            hint="check the image shows the character on a plain background")
    top, bottom = rows[0], rows[-1] + 1
    left, right = cols[0], cols[-1] + 1
    height_px = bottom - top
    h, w = matte.shape
    new_size = (max(1, round(w * res / height_px)), max(1, round(h * res / height_px)))
    small = Image.fromarray(matte.astype(np.float32), "F").resize(new_size, Image.Resampling.BOX)
    # The sizes are whole pixels: use the scale each axis really got, not the one asked for,
    # or the figure shrinks or grows by up to half a pixel per side.
    sx, sy = new_size[0] / w, new_size[1] / h
    return _Profile(
        image=np.asarray(small, dtype=np.float32),
        bottom=bottom * sy,
        centre=(left + right) / 2 * sx,
        half_width=(right - left) / 2 / height_px,
        rows_per_unit=height_px * sy,
        cols_per_unit=height_px * sx,
    )


def _runs(mask: np.ndarray, soft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half-width (in cells) of the run of True each cell of each row lies in.

    Measured from the soft silhouette (its sum and first moment over the run and the cell
    on either side), not from the binary run ends: the width then varies smoothly from row
    to row instead of in whole cells, which would terrace the rounded surface."""
    n = mask.shape[1]
    idx = np.arange(n)
    prev = np.zeros_like(mask)
    prev[:, 1:] = mask[:, :-1]
    nxt = np.zeros_like(mask)
    nxt[:, :-1] = mask[:, 1:]
    start = np.maximum.accumulate(np.where(mask & ~prev, idx, -1), axis=1)
    end = np.minimum.accumulate(np.where(mask & ~nxt, idx, n)[:, ::-1], axis=1)[:, ::-1]
    lo = np.clip(start - 1, 0, n - 1)
    hi = np.clip(end + 1, 0, n - 1)
    weight = np.clip(soft, 0.0, 1.0).astype(np.float64)
    zero = np.zeros((mask.shape[0], 1))
    cum = np.concatenate([zero, np.cumsum(weight, axis=1)], axis=1)  # cum[:, i] = sum of [0, i)
    cum_moment = np.concatenate([zero, np.cumsum(weight * (idx + 0.5), axis=1)], axis=1)
    rows = np.arange(mask.shape[0])[:, None]
    total = cum[rows, hi + 1] - cum[rows, lo]
    moment = cum_moment[rows, hi + 1] - cum_moment[rows, lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.where(total > 0, moment / total - 0.5, (start + end) / 2.0)
    half = np.where(mask, total / 2.0, 0.0)
    # Cells just outside a run take that run's ellipse, so the rounded prior crosses zero
    # where the ellipse does rather than dropping to "outside" at the first cell the binary
    # run misses (which pulled every surface in by half a cell). Two cells is enough for the
    # crossing and too little to join neighbouring parts.
    last = np.maximum.accumulate(np.where(mask, idx, -n - 8), axis=1)
    nxt = np.minimum.accumulate(np.where(mask, idx, 2 * n + 8)[:, ::-1], axis=1)[:, ::-1]
    use_last = (idx - last) <= (nxt - idx)
    near = np.where(use_last, last, nxt)
    reach = np.minimum(idx - last, nxt - idx) <= 2
    near = np.clip(near, 0, n - 1)
    centre = np.where(mask, centre, np.where(reach, np.take_along_axis(centre, near, axis=1), 0.0))
    half = np.where(mask, half, np.where(reach, np.take_along_axis(half, near, axis=1), 0.0))
    return centre, half


def _blur(field: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 filter along each axis (edges repeat)."""
    for axis in range(3):
        padded = np.pad(field, [(1, 1) if a == axis else (0, 0) for a in range(3)], mode="edge")
        lo = [slice(None)] * 3
        mid = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], mid[axis], hi[axis] = slice(0, -2), slice(1, -1), slice(2, None)
        field = 0.25 * padded[tuple(lo)] + 0.5 * padded[tuple(mid)] + 0.25 * padded[tuple(hi)]
    return field


def _combine(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.minimum(a, b)


def build_field(viewset, settings: HullSettings) -> Grid:
    views = viewset.views
    if "front" not in views:
        raise BadInputError("the front view is missing", hint="give a front view image")
    res = int(settings.resolution)
    if not 16 <= res <= 1024:
        raise BadInputError(f"resolution {res} is out of range", hint="use 16 to 1024 voxels")
    spacing = 1.0 / res
    th = settings.threshold
    prof = {slot: _profile(slot, v.matte, res, th) for slot, v in views.items()}

    width = max(prof[s].half_width for s in ("front", "back") if s in prof)
    sides = [s for s in ("left", "right") if s in prof]
    depth = max(prof[s].half_width for s in sides) if sides else width * settings.depth_ratio
    xs = np.arange(-width - PAD * spacing, width + (PAD + 1) * spacing, spacing)
    ys = np.arange(-depth - PAD * spacing, depth + (PAD + 1) * spacing, spacing)
    zs = np.arange(-PAD * spacing, 1.0 + (PAD + 1) * spacing, spacing)

    # Silhouettes as (Z, X) and (Z, Y) images; back and side views are mirrored into place
    # (see docs/architecture.md for which way each camera looks).
    front = prof["front"].sample(zs, xs)
    back = prof["back"].sample(zs, -xs) if "back" in prof else None
    left = prof["left"].sample(zs, -ys) if "left" in prof else None
    right = prof["right"].sample(zs, ys) if "right" in prof else None
    sil_x: np.ndarray = front if back is None else np.minimum(front, back)  # (Z, X)
    sil_y = _combine(left, right)  # (Z, Y) or None

    mask_x: np.ndarray = np.asarray(sil_x > th)
    run_cx, run_rx = _runs(mask_x, sil_x)
    cx = xs[0] + run_cx * spacing
    rx = run_rx * spacing
    p = settings.roundness
    # Distances along each axis relative to the part's half-extent, |.|^p, as (Z, X, Y).
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(rx > 0, np.abs(xs[None, :] - cx) / np.where(rx > 0, rx, 1), np.inf) ** p
        if sil_y is not None:
            mask_y: np.ndarray = np.asarray(sil_y > th)
            run_cy, run_ry = _runs(mask_y, sil_y)
            cy = ys[0] + run_cy * spacing
            ry = run_ry * spacing
            ey = np.where(ry > 0, np.abs(ys[None, :] - cy) / np.where(ry > 0, ry, 1), np.inf) ** p
            ellipse = ex[:, :, None] + ey[:, None, :]
            radius = np.minimum(rx[:, :, None], ry[:, None, :])
        else:
            ry = rx * settings.depth_ratio
            ey = (np.abs(ys[None, None, :]) / np.where(ry > 0, ry, 1)[:, :, None]) ** p
            ellipse = ex[:, :, None] + np.where((rx > 0)[:, :, None], ey, np.inf)
            radius = ry[:, :, None]
        # 1 - E falls from 1 at the centre to 0 at the rim with slope ~p/r: divide by it to
        # get an approximate distance in voxels, comparable with the silhouette terms.
        prior = (1.0 - ellipse) * radius / (p * spacing)
    prior = np.nan_to_num(prior, nan=-3.0, neginf=-3.0, posinf=3.0)

    # Each slice's prior is shaped independently, so it steps from slice to slice where a
    # silhouette's runs change: a light blur removes that terracing. Only the prior is
    # blurred; the silhouette terms stay sharp, so the outline the views show is kept exactly
    # (a blur of the whole field would round it inwards on every convex part). Clipped
    # symmetrically first: the prior falls steeply outside a part, and an asymmetric step
    # would move its surface inwards under the blur.
    prior = np.transpose(np.clip(prior, -1.0, 1.0).astype(np.float32), (1, 2, 0))  # → (X, Y, Z)
    for _ in range(settings.smoothing):
        prior = _blur(prior)
    # Silhouette terms: the matte ramps over about a voxel, so (m - 0.5) * 2 is a distance.
    field = np.minimum(prior, np.transpose((sil_x - th) * 2.0)[:, None, :])
    if sil_y is not None:
        field = np.minimum(field, np.transpose((sil_y - th) * 2.0)[None, :, :])
    field = np.clip(field, -1.0, 1.0).astype(np.float32)
    # The outer layer must be outside for a closed surface.
    field[[0, -1], :, :] = -1.0
    field[:, [0, -1], :] = -1.0
    field[:, :, [0, -1]] = -1.0
    if not (field > 0).any():
        raise BadInputError("the views' silhouettes do not overlap",
                            hint="check that every view shows the same character, standing, framed the same way")
    return Grid(field=np.ascontiguousarray(field), origin=np.array([xs[0], ys[0], zs[0]]), spacing=spacing)
