# SPDX-License-Identifier: GPL-3.0-or-later
"""A visual hull by consensus, rounded part by part, as a signed field on a voxel grid.

Intersecting extruded silhouettes alone gives boxy slabs, and shaping each horizontal slice
as one superellipse inscribed in the silhouettes' runs gives saucers and fins wherever arms
or hair stick out (the run spans them and the body). Here:

- the hull is a consensus: opposite views (front/back, left/right, each diagonal pair) may
  disagree by a tolerance, and the front view keeps every part it shows;
- each slice is still rounded like a superellipse inscribed in the hull, but a part may be no
  deeper than about its own width in the view that sees it (the radius of the largest disc
  inscribed in the silhouette there), unless the view across shows a part of the same size
  at that point (then the hull's depth is the part's real depth); see :func:`_rounding`;
- the rounding is smoothed along the height (no stacked-pancake ridges);
- diagonal views, when given, are aligned to the rounded shape and carve it;
- with the front view alone, each part's depth follows its own width, centred front to back,
  and a base under the figure is as deep as it is wide.

The field is positive inside and roughly a distance in voxels near the surface, so the
surface extractor places vertices with sub-voxel accuracy. See docs/reconstruction.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BadInputError
from ..images import view_name
from .distance import box_blur, local_thickness, signed_distance
from .legs import check_placement, place_legs
from .views import DIAGONAL_SLOTS, VIEW_ANGLES, image_right

PAD = 2  # voxels of empty space around the figure so the surface closes


@dataclass
class HullSettings:
    resolution: int = 160  # voxels along the figure's height
    roundness: float = 2.0  # superellipse exponent p of a part's cross-section (2 = ellipse)
    depth_ratio: float = 0.8  # front only: a part's half-depth / its local half-width
    part_depth: float = 1.3  # with side views: cap on a part's half-depth / its local half-width
    threshold: float = 0.5  # matte level that counts as the character
    smoothing: int = 1  # passes of a [1 2 1] blur over the rounding term
    height_smoothing: int = 4  # further passes along the height only
    tolerance: float = 0.012  # views may disagree by this fraction of the height
    legs: str = "every"  # a walking figure's leg crossings: every one, or one placement (.legs)


@dataclass
class Grid:
    field: np.ndarray  # (X, Y, Z) float32, > 0 inside
    origin: np.ndarray  # position of grid point (0, 0, 0) in normalised units
    spacing: float  # grid step in normalised units (figure height = 1)


@dataclass
class ViewProfile:
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


def view_profile(slot: str, matte: np.ndarray, res: int, threshold: float) -> ViewProfile:
    from PIL import Image

    solid = matte > threshold
    rows = np.nonzero(solid.any(axis=1))[0]
    cols = np.nonzero(solid.any(axis=0))[0]
    if len(rows) < 4 or len(cols) < 2:
        raise BadInputError(f"the {view_name(slot)} view has no character in it",
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
    return ViewProfile(
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
    to row instead of in whole cells, which would terrace the rounded surface.

    Worked on the runs themselves (one entry per run, found in the flattened rows with a
    blank cell either side of each row so no run crosses rows), then spread back to the cells:
    the 3D hull has a million cells but a few thousand runs."""
    rows, n = mask.shape
    width = n + 2
    padded = np.zeros((rows, width), bool)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    edges = np.diff(flat.view(np.int8))
    starts = np.flatnonzero(edges == 1) + 1  # first cell of each run (flat, padded)
    ends = np.flatnonzero(edges == -1)  # last cell of each run
    weight = np.zeros((rows, width))
    weight[:, 1:-1] = np.clip(soft, 0.0, 1.0)
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    col = np.arange(width, dtype=np.float64) - 0.5  # cell centre, unpadded columns
    cum_moment = np.concatenate([[0.0], np.cumsum(weight * col)])
    # The run and the cell on either side (the blank pads weigh nothing).
    total = cum[ends + 2] - cum[starts - 1]
    moment = cum_moment[ends + 2] - cum_moment[starts - 1]
    first_col = starts % width - 1
    last_col = ends % width - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        run_centre = np.where(total > 0, moment / np.where(total > 0, total, 1.0) - 0.5, (first_col + last_col) / 2.0)
    run_half = total / 2.0
    centre = np.zeros(flat.shape)
    half = np.zeros(flat.shape)
    lengths = ends - starts + 1
    cells = np.flatnonzero(flat)
    centre[cells] = np.repeat(run_centre, lengths)
    half[cells] = np.repeat(run_half, lengths)
    # Cells just outside a run take that run's ellipse, so the rounded prior crosses zero
    # where the ellipse does rather than dropping to "outside" at the first cell the binary
    # run misses (which pulled every surface in by half a cell). Two cells is enough for the
    # crossing and too little to join neighbouring parts. The nearer run wins, the one
    # before on a tie (so it is written last).
    for target in (starts - 2, ends + 2, starts - 1, ends + 1):
        ok = (target >= 0) & (target < flat.size)
        run = np.flatnonzero(ok)
        target = target[ok]
        blank = ~flat[target]
        centre[target[blank]] = run_centre[run[blank]]
        half[target[blank]] = run_half[run[blank]]
    return centre.reshape(rows, width)[:, 1:-1], half.reshape(rows, width)[:, 1:-1]


def _blur(field: np.ndarray, axes=(0, 1, 2)) -> np.ndarray:
    """Separable [1, 2, 1] / 4 filter along each of ``axes`` (edges repeat)."""
    for axis in axes:
        padded = np.pad(field, [(1, 1) if a == axis else (0, 0) for a in range(3)], mode="edge")
        lo = [slice(None)] * 3
        mid = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], mid[axis], hi[axis] = slice(0, -2), slice(1, -1), slice(2, None)
        field = 0.25 * padded[tuple(lo)] + 0.5 * padded[tuple(mid)] + 0.25 * padded[tuple(hi)]
    return field


def _shape_profile(s: np.ndarray, p: float) -> np.ndarray:
    """Half-depth of a rounded part across its width: s = depth in the silhouette / local
    radius (0 at the outline, 1 on the part's axis) -> 0..1; p = 2 is a circle."""
    s = np.clip(s, 0.0, 1.0)
    return (1.0 - (1.0 - s) ** p) ** (1.0 / p)


def _smooth_inside(values: np.ndarray, inside: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over the inside pixels of a (2r+1)^2 box (normalised convolution)."""
    w = inside.astype(np.float32)
    num, den = values * w, w
    for axis in (0, 1):
        num, den = box_blur(num, radius, axis), box_blur(den, radius, axis)
    return np.where(inside, num / np.maximum(den, 1e-6), 0.0).astype(np.float32)


@dataclass
class _ViewImage:
    """A view's silhouette resampled on the grid: rows = heights, columns = image-right
    positions ``u`` one grid step apart."""

    slot: str
    soft: np.ndarray  # (Z, U) matte
    signed: np.ndarray  # (Z, U) signed distance to the outline in grid steps, > 0 inside
    us: np.ndarray  # (U,) image-right coordinate of each column, normalised units


def _view_image(slot: str, prof: ViewProfile, zs: np.ndarray, us: np.ndarray, shift: float = 0.0,
                threshold: float = 0.5) -> _ViewImage:
    soft = prof.sample(zs, us + shift)
    signed, _ = signed_distance(soft, threshold)
    return _ViewImage(slot, soft, signed, us)


def _lookup(img: np.ndarray, us: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``img`` (Z, U) read at positions ``u`` (any shape), linear along U -> (Z, *u.shape)."""
    pos = np.clip((u - us[0]) / (us[1] - us[0]), 0.0, len(us) - 1.001)
    i0 = np.floor(pos).astype(np.int64)
    w = (pos - i0).astype(np.float32)
    return img[:, i0] * (1.0 - w) + img[:, i0 + 1] * w


def _pair_term(a: np.ndarray | None, b: np.ndarray | None, tolerance: float) -> np.ndarray | None:
    """Two opposite views see the same outline mirrored. Where they disagree by up to
    2 x tolerance the part is kept (the larger value); beyond that the mean plus the tolerance:
    a consensus, not a strict intersection, so a limb drawn a little apart survives."""
    if a is None:
        return b
    if b is None:
        return a
    mean, half_gap = (a + b) * 0.5, np.abs(a - b) * 0.5
    return mean + np.minimum(half_gap, tolerance)


@dataclass
class _Silhouette:
    """What rounding needs of a pair of opposite views (front/back or left/right), on the
    grid as (Z, U) arrays: the run profile (0..1 across the row's run of the silhouette, a
    superellipse), the inside distance and the local thickness (the radius of the largest
    inscribed disc covering each pixel: an arm's half-width even where it joins the body)."""

    run_profile: np.ndarray
    run_half: np.ndarray  # half-width of the row's run, grid steps
    depth: np.ndarray
    radius: np.ndarray
    column_centre: np.ndarray  # height of the centre of the column's run (up/down) each pixel lies in
    column_half: np.ndarray  # half-height of that run, grid steps


def _silhouette(images: list[_ViewImage], p: float, threshold: float) -> _Silhouette:
    soft = np.mean([i.soft for i in images], axis=0)
    mask = soft > threshold
    centre, half = _runs(mask, soft)
    column_centre, column_half = (a.T.astype(np.float32) for a in _runs(np.ascontiguousarray(mask.T),
                                                                       np.ascontiguousarray(soft.T)))
    u = np.arange(mask.shape[1], dtype=np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(half > 0, np.abs(u - centre) / np.where(half > 0, half, 1.0), 2.0)
    run_profile = (np.clip(1.0 - np.clip(rel, 0.0, 1.0) ** p, 0.0, 1.0) ** (1.0 / p)).astype(np.float32)
    depth = np.mean([np.maximum(i.signed, 0.0) for i in images], axis=0).astype(np.float32)
    radius = _smooth_inside(local_thickness(depth), depth > 0, 2)
    return _Silhouette(run_profile, half.astype(np.float32), depth, radius, column_centre, column_half)


def base_rows(mask: np.ndarray) -> np.ndarray:
    """(Z,) True on the rows of a stand or base under the figure: a block at the bottom of
    the silhouette, under a fifth of its height, clearly wider than what stands on it. Seen
    from the front alone it is a thin bar, but bases are round or square, as deep as wide."""
    rows = np.flatnonzero(mask.any(axis=1))
    out = np.zeros(mask.shape[0], bool)
    if len(rows) < 8:
        return out
    cols = np.arange(mask.shape[1])
    first = np.where(mask, cols, mask.shape[1]).min(axis=1)
    last = np.where(mask, cols, -1).max(axis=1)
    span = np.where(last >= first, last - first + 1, 0)
    bottom, height = rows[0], rows[-1] - rows[0] + 1
    wide = span >= 0.85 * span[bottom]
    top = bottom
    while top + 1 < mask.shape[0] and wide[top + 1]:
        top += 1
    above = min(top + 3, mask.shape[0] - 1)
    if top - bottom + 1 < 0.2 * height and span[above] < 0.75 * span[bottom]:
        out[bottom:top + 1] = True
    return out


def _hull_runs(hull_inside: np.ndarray, hull_soft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half-length (cells) of the hull's run along the last axis of (Z, A, B)
    arrays that each cell lies in, as (Z, A, B) float32 arrays."""
    centre, half = _runs(hull_inside.reshape(-1, hull_inside.shape[2]), hull_soft.reshape(-1, hull_inside.shape[2]))
    return centre.reshape(hull_inside.shape).astype(np.float32), half.reshape(hull_inside.shape).astype(np.float32)


def _rounding(nb: int, hull_runs: tuple[np.ndarray, np.ndarray] | None, own: _Silhouette,
              other: _Silhouette | None, cap: float, p: float, round_rows: np.ndarray | None = None,
              defer: bool = False) -> np.ndarray:
    """Rounding term along the last axis B of (Z, A, B) arrays, for the views that see the
    (Z, A) silhouette ``own``; ``other`` is the (Z, B) silhouette of the views across and
    ``hull_runs`` the hull's runs along B (:func:`_hull_runs`; unused without ``other``);
    ``nb`` cells along B.

    Each slice is rounded like a superellipse inscribed in the hull: along B, the hull's run
    times the run profile of ``own`` across A. That alone gives a saucer wherever arms or hair
    stick out (the run spans arms and body); so a part may also reach no further along B than
    cap * its own local radius R in ``own``, rounded by its inside depth D (profile(D / R)):
    an arm held out gets an arm's depth, not the torso's behind it in the side view. Where
    ``other`` shows a part of about the same thickness at that point (a base, a body along
    the view), the hull's run is that part's real depth and the cap is lifted. With no
    ``other``, parts are centred on B = 0 with the capped depth alone (a front-only figure:
    depth from the local width, symmetric front to back), except on ``round_rows`` (a base),
    which are as deep as their run is wide.

    ``defer`` is set for the side views' rounding only: the front view decides what is a
    limb. A part thin from the front (arm, leg, pigtail, sword) is rounded by its front
    width; a part thin from the side but wide from the front (cape, wing, skirt, base) keeps
    its front width as a sheet."""
    radius = own.radius
    with np.errstate(divide="ignore", invalid="ignore"):
        inflate = _shape_profile(np.where(radius > 0, own.depth / radius, 0.0), p)
    limit = (cap * radius * inflate)[:, :, None]
    b = np.arange(nb, dtype=np.float32)
    if other is not None:
        assert hull_runs is not None, "the rounding across needs the hull's runs"
        centre, half = hull_runs
        slice_round = half * own.run_profile[:, :, None]
        # other / own thickness at the voxel's two projections
        # (local thickness: the parts' sizes, wherever in them the voxel lies)
        ratio = np.maximum(other.radius, 1.0)[:, None, :] / np.maximum(radius, 1.0)[:, :, None]
        trust = np.clip((1.6 - np.maximum(ratio, 1.0 / ratio)) / 0.4, 0.0, 1.0).astype(np.float32)
        if round_rows is not None:
            # A base: the side view shows its very cross-section, whatever stands on it.
            trust = np.maximum(trust, round_rows[:, None, None].astype(np.float32))
        allowed = trust * slice_round + (1.0 - trust) * np.minimum(slice_round, limit)
        if defer:
            # ``other`` sees a thin part here (an arm beside the body) that ``own`` sees merged
            # with a thick one: its depth is for the rounding across to decide; taken from
            # here, the arm would get the body's depth (a plate).
            # Local thickness, not inside depth: near the body's outline its depth is small too.
            thin = np.maximum(other.radius, 1.0)[:, None, :] / np.maximum(radius, 1.0)[:, :, None]
            keep = np.clip((thin - 0.6) / 0.1, 0.0, 1.0)
            allowed = allowed * keep - (1.0 - keep) * 3.0  # no slivers left where it defers
    else:
        centre = np.full((1, 1, 1), (nb - 1) / 2.0, np.float32)
        allowed = limit
        if round_rows is not None and round_rows.any():
            disc = (own.run_half * own.run_profile * round_rows[:, None])[:, :, None]
            allowed = np.maximum(allowed, disc)
    out = allowed - np.abs(b[None, None, :] - centre)
    return np.where((radius > 0)[:, :, None], out, -3.0).astype(np.float32)


# A part lies along a view when its run across the view is at least this many times its run
# up and down (fully so LYING_SPAN later), and it is round when the hull's run across it is
# within a factor of LYING_ROUND of its height (fully so 0.4 earlier).
LYING_FROM, LYING_SPAN, LYING_ROUND = 1.0, 0.7, 1.8


def _lying_cap(own: _Silhouette, across: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Cap along the middle axis A of (Z, A, B) arrays for a part that lies along B in the
    (Z, B) silhouette ``own``: a horse's barrel, a neck or a thigh seen from the side.
    ``across``: the hull's runs along A (centre, half-length), as (Z, A, B) arrays.

    Each slice is rounded within the hull's runs, and the hull's run across such a part is
    the widest thing the view across shows at that height: the chest and the legs' tops at the
    belly, the neck's base at the back. A lying part is a tube, so its width at a height is
    the chord of a circle as tall as its column of the silhouette (round: ``own``'s up-and-down
    run); near its belly and its back that is narrow. The cap holds only where the part lies
    along the view (its run across ``own`` is longer than its run up and down) and the hull's
    run across is about as wide as the part is tall: a base or a cape is a wide thin plate,
    never a tube, and upright parts (a standing figure's body, arms, legs) are never capped."""
    centre, half = across
    nz, na, _ = half.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        column = np.where(own.column_half > 0, own.column_half, 1.0)
        along = np.where(own.column_half > 0, own.run_half / column, 0.0)
        height = (np.arange(nz, dtype=np.float32)[:, None] - own.column_centre) / column
    lying = np.clip((along - LYING_FROM) / LYING_SPAN, 0.0, 1.0)
    chord = own.column_half * np.sqrt(np.clip(1.0 - height ** 2, 0.0, 1.0))
    ratio = np.maximum(half, 1.0) / np.maximum(own.column_half, 1.0)[:, None, :]
    round_ = np.clip((LYING_ROUND - np.maximum(ratio, 1.0 / ratio)) / 0.4, 0.0, 1.0)
    weight = lying[:, None, :] * round_
    a = np.arange(na, dtype=np.float32)[None, :, None]
    cap = np.clip(chord[:, None, :] - np.abs(a - centre), -1.5, 1.5)
    return (weight * cap + (1.0 - weight) * 1.5).astype(np.float32)


def _align_shift(prof: ViewProfile, zs: np.ndarray, us: np.ndarray, predicted: np.ndarray, threshold: float,
                 spacing: float) -> float:
    """Horizontal offset (normalised units) that best lays a view over the silhouette the
    other views predict for it (IoU). Prepared views are each centred on their own bounding
    box, which for a diagonal is not where the front and side views put the figure."""
    best, best_iou = 0.0, -1.0
    for step in (1.0, 0.25):
        centre = best
        for k in range(-8, 9) if step == 1.0 else range(-3, 4):
            shift = centre + k * step * spacing
            mask = prof.sample(zs, us + shift) > threshold
            union = np.count_nonzero(mask | predicted)
            iou = np.count_nonzero(mask & predicted) / union if union else 0.0
            if iou > best_iou + 1e-9 or (abs(iou - best_iou) <= 1e-9 and abs(shift) < abs(best)):
                best, best_iou = shift, iou
    return best


def _project(inside: np.ndarray, u: np.ndarray, us: np.ndarray) -> np.ndarray:
    """Silhouette (Z, U) of an occupancy (Z, X, Y) seen along the view whose image-right
    coordinate of each (X, Y) column is ``u``."""
    nz = inside.shape[0]
    col = np.clip(np.rint((u - us[0]) / (us[1] - us[0])).astype(np.int64), 0, len(us) - 1)
    keys = (np.arange(nz)[:, None, None] * len(us) + col[None, :, :])[inside]
    return (np.bincount(keys, minlength=nz * len(us)) > 0).reshape(nz, len(us))


def build_field(viewset, settings: HullSettings) -> Grid:
    views = {s: v for s, v in viewset.views.items() if s in VIEW_ANGLES}
    if "front" not in views:
        raise BadInputError("the front view is missing", hint="give a front view image")
    check_placement(settings.legs)
    res = int(settings.resolution)
    if not 16 <= res <= 1024:
        raise BadInputError(f"resolution {res} is out of range", hint="use 16 to 1024 voxels")
    spacing = 1.0 / res
    th = settings.threshold
    p = settings.roundness
    tol = settings.tolerance * res
    prof = {slot: view_profile(slot, v.matte, res, th) for slot, v in views.items()}

    width = max(prof[s].half_width for s in ("front", "back") if s in prof)
    sides = [s for s in ("left", "right") if s in prof]
    depth = max(prof[s].half_width for s in sides) if sides else width
    pad = PAD + 1
    xs = np.arange(-width - pad * spacing, width + (pad + 1) * spacing, spacing)
    ys = np.arange(-depth - pad * spacing, depth + (pad + 1) * spacing, spacing)
    zs = np.arange(-PAD * spacing, 1.0 + (PAD + 1) * spacing, spacing)
    nz, nx, ny = len(zs), len(xs), len(ys)

    # Principal views, resampled so that columns run along +X (front, back) or +Y (sides).
    axis_of = {"front": (xs, 1.0), "back": (xs, -1.0), "left": (ys, -1.0), "right": (ys, 1.0)}
    img = {s: _view_image(s, prof[s], zs, sign * grid, threshold=th)
           for s, (grid, sign) in axis_of.items() if s in prof}

    def hull(diagonals: dict[str, _ViewImage]) -> np.ndarray:
        terms = []
        front_sd = img["front"].signed
        pair = _pair_term(front_sd, img["back"].signed if "back" in img else None, tol)
        # The front view is the user's own picture: every part it shows stays, whatever a
        # (generated, so never quite consistent) back view draws there.
        fb = front_sd if pair is None else np.maximum(pair, front_sd)
        terms.append(fb[:, :, None])
        lr = _pair_term(img["left"].signed if "left" in img else None,
                        img["right"].signed if "right" in img else None, tol)
        if lr is not None:
            terms.append(lr[:, None, :])
        for a, b in (("front_left", "back_right"), ("front_right", "back_left")):
            da = _lookup(diagonals[a].signed, diagonals[a].us, diag_u[a]) if a in diagonals else None
            db = _lookup(diagonals[b].signed, diagonals[b].us, diag_u[b]) if b in diagonals else None
            pair = _pair_term(da, db, tol)
            if pair is not None:
                terms.append(pair)
        field = terms[0]
        for t in terms[1:]:
            field = np.minimum(field, t)
        return np.broadcast_to(field, (nz, nx, ny)).astype(np.float32)

    fb_sil = _silhouette([img[s] for s in ("front", "back") if s in img], p, th)
    lr_sil = _silhouette([img[s] for s in sides], p, th) if sides else None

    base = base_rows(fb_sil.depth > 0)

    def rounded(h: np.ndarray) -> np.ndarray:
        inside = h > 0
        soft = np.clip(h * 0.5 + 0.5, 0.0, 1.0)
        # Along Y from the front/back silhouettes; along X from the side silhouettes. The
        # hull's runs along each axis are found once and shared by the roundings and caps.
        if lr_sil is None:
            out = _rounding(ny, None, fb_sil, None, settings.depth_ratio, p, base)
        else:
            runs_y = _hull_runs(inside, soft)  # (Z, X, Y)
            runs_x = _hull_runs(np.transpose(inside, (0, 2, 1)), np.transpose(soft, (0, 2, 1)))  # (Z, Y, X)
            out = _rounding(ny, runs_y, fb_sil, lr_sil, settings.part_depth, p, base)
            along_x = _rounding(nx, runs_x, lr_sil, fb_sil, settings.part_depth, p, base, defer=True)
            out = np.maximum(out, np.transpose(along_x, (0, 2, 1)))
            # Parts lying along a view (a barrel, a neck, an arm held out) are tubes: capped
            # across by their own height, not the widest run the other view shows there.
            across_x = (np.transpose(runs_x[0], (0, 2, 1)), np.transpose(runs_x[1], (0, 2, 1)))  # (Z, X, Y)
            across_y = (np.transpose(runs_y[0], (0, 2, 1)), np.transpose(runs_y[1], (0, 2, 1)))  # (Z, Y, X)
            out = np.minimum(out, _lying_cap(lr_sil, across_x))
            out = np.minimum(out, np.transpose(_lying_cap(fb_sil, across_y), (0, 2, 1)))
        out = np.transpose(np.clip(out, -1.5, 1.5), (1, 2, 0))  # -> (X, Y, Z)
        for _ in range(settings.smoothing):
            out = _blur(out)
        # Along the height only, some more: the hull's runs, and so each slice's rounding,
        # change from one row to the next; what is left of that would show as ridges.
        for _ in range(settings.height_smoothing):
            out = _blur(out, (2,))
        return np.transpose(out, (2, 0, 1))

    # The front and side views give a hull and its rounding; the diagonal views, when given,
    # then carve that rounded shape where they see empty space (they are new directions: the
    # back and the other side only mirror the front and the first side). They do not feed
    # the rounding: a hull already cut by diagonals is rounder than a front/side box, and
    # rounding it again would shrink every part.
    h = hull({})
    if lr_sil is not None and not any(s in prof for s in DIAGONAL_SLOTS):
        # Diagonal views carve the phantom legs themselves; without them, the user's choice.
        h = place_legs(h, fb_sil.depth > 0, lr_sil.depth > 0, settings.legs)
    field = np.minimum(rounded(h), h)
    diag_slots = [s for s in DIAGONAL_SLOTS if s in prof]
    diag_u: dict[str, np.ndarray] = {}
    diagonals: dict[str, _ViewImage] = {}
    if diag_slots:
        first = field > 0
        for s in diag_slots:
            c, sn = image_right(s)
            diag_u[s] = (xs[:, None] * c + ys[None, :] * sn).astype(np.float32)
            reach = float(np.abs(diag_u[s]).max())
            us = np.arange(-reach - pad * spacing, reach + (pad + 1) * spacing, spacing)
            shift = _align_shift(prof[s], zs, us, _project(first, diag_u[s], us), th, spacing)
            diagonals[s] = _view_image(s, prof[s], zs, us, shift, th)
        field = np.minimum(field, hull(diagonals))

    field = np.transpose(np.clip(field, -1.0, 1.0), (1, 2, 0)).astype(np.float32)  # -> (X, Y, Z)
    # The outer layer must be outside for a closed surface.
    field[[0, -1], :, :] = -1.0
    field[:, [0, -1], :] = -1.0
    field[:, :, [0, -1]] = -1.0
    if not (field > 0).any():
        raise BadInputError("the views' silhouettes do not overlap",
                            hint="check that every view shows the same character, standing, framed the same way")
    return Grid(field=np.ascontiguousarray(field), origin=np.array([xs[0], ys[0], zs[0]]), spacing=spacing)
