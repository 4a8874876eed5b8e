# SPDX-License-Identifier: GPL-3.0-or-later
"""Small array operations the image code needs, in numpy and Pillow only (no SciPy in Blender).

Everything here works on whole arrays at once; there are no per-pixel Python loops."""

from __future__ import annotations

import numpy as np

from ..unionfind import label_components


def box_blur(arr: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)² window, edges clamped; ``arr`` is (H, W) or (H, W, C).

    Built from cumulative sums so the cost does not grow with the radius."""
    if radius <= 0:
        return arr.astype(np.float32, copy=True)
    if arr.ndim == 3:  # channel by channel keeps every pass on contiguous memory
        return np.stack([box_blur(np.ascontiguousarray(arr[..., c]), radius) for c in range(arr.shape[2])], -1)
    out = arr.astype(np.float32, copy=False)
    for axis in (0, 1):
        out = _box_1d(out, radius, axis)
    return out


def _box_1d(arr: np.ndarray, r: int, axis: int) -> np.ndarray:
    if axis == 1:
        return _box_1d(arr.swapaxes(0, 1), r, 0).swapaxes(0, 1)
    n = arr.shape[0]
    padded = np.concatenate([np.repeat(arr[:1], r + 1, axis=0), arr, np.repeat(arr[-1:], r, axis=0)])
    # float64 running sum: float32 loses the small differences between far-apart sums
    csum = np.cumsum(padded, axis=0, dtype=np.float64)
    return ((csum[2 * r + 1:2 * r + 1 + n] - csum[:n]) * (1.0 / (2 * r + 1))).astype(np.float32)


def gaussian_like(arr: np.ndarray, sigma: float) -> np.ndarray:
    """Three box passes approximate a Gaussian of the given sigma."""
    r = max(1, int(round(np.sqrt(4.0 * sigma * sigma / 3.0 + 0.25) - 0.5))) if sigma > 0 else 0
    out = arr
    for _ in range(3):
        out = box_blur(out, r)
    return out


def _grow_1d(mask: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """OR over a window of ``2·radius + 1`` along ``axis`` (nothing comes in from outside).

    The window widens by doubling: after growing by ``reach`` a shift by ``k <= reach + 1``
    grows it to ``reach + k``, so radius 13 takes 4 passes instead of 13."""
    out = mask.copy()
    n = mask.shape[axis]
    radius = min(radius, n - 1)
    reach = 0
    while reach < radius:
        k = min(reach + 1, radius - reach)
        prev = out.copy()
        if axis == 0:
            out[k:] |= prev[:-k]
            out[:-k] |= prev[k:]
        else:
            out[:, k:] |= prev[:, :-k]
            out[:, :-k] |= prev[:, k:]
        reach += k
    return out


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow a boolean mask by a (2r+1)² square (separable: two cheap passes of shifts)."""
    mask = np.asarray(mask, bool)
    if radius <= 0:
        return mask.copy()
    return _grow_1d(_grow_1d(mask, radius, 0), radius, 1)


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Shrink by a (2r+1)² square; outside the image counts as True so the image border does not
    eat into a subject that touches it."""
    mask = np.asarray(mask, bool)
    return ~dilate(~mask, radius)


# -- connected components on horizontal runs -------------------------------------------------
#
# A character mask has tens of thousands of runs against a million pixels, so components are
# found on runs (row, first column, column past the end) and pixels are touched only to find
# the runs and, where needed, to paint a result back.

def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The horizontal runs of True in a 2-D mask, in raster order: (row, start, end) with
    ``end`` exclusive, as int64 arrays."""
    mask = np.asarray(mask, bool)
    h, w = mask.shape
    stride = w + 2
    padded = np.zeros((h, stride), bool)  # a False column each side: runs never span rows
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    # every row starts and ends False, so the changes alternate start, end, start, end...
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts, ends = edges[0::2], edges[1::2]
    rows = starts // stride
    base = rows * stride + 1
    return rows, starts - base, ends - base


def join_runs(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of runs (from :func:`runs`): (component per run, count).

    Components are numbered 0.. in the raster order of their first run."""
    n_runs = rows.size
    if n_runs == 0:
        return np.zeros(0, np.int64), 0
    stride = int(max(ends.max(), 1)) + 1
    g_start = rows * stride + starts
    g_end = rows * stride + ends
    # for each run b in row y, the runs a of row y - 1 with a.end > b.start and a.start < b.end
    prev_row = rows - 1
    lo = np.searchsorted(g_end, prev_row * stride + starts, side="right")
    hi = np.searchsorted(g_start, prev_row * stride + ends, side="left")
    counts = np.where(rows > 0, np.maximum(hi - lo, 0), 0)
    b_idx = np.repeat(np.arange(n_runs), counts)
    offsets = np.arange(b_idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    a_idx = np.repeat(lo, counts) + offsets
    lab = label_components(n_runs, a_idx, b_idx)
    roots, comp = np.unique(lab, return_inverse=True)
    return comp.reshape(-1), int(roots.size)


def run_pixels(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """Flat (row-major) indices of every pixel of the given runs."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.cumsum(lens) - lens
    return np.arange(total) + np.repeat(rows * width + starts - first, lens)


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of ``mask``: (labels int32 with 0 = background, count).

    Works on horizontal runs instead of pixels: runs in neighbouring rows that overlap are
    joined (see :func:`join_runs`)."""
    mask = np.ascontiguousarray(mask, bool)
    h, w = mask.shape
    rows, starts, ends = runs(mask)
    comp, count = join_runs(rows, starts, ends)
    out = np.zeros(h * w, np.int32)
    if count:
        out[np.flatnonzero(mask)] = np.repeat(comp.astype(np.int32) + 1, ends - starts)
    return out.reshape(h, w), count


def component_sizes(labels: np.ndarray, count: int) -> np.ndarray:
    return np.bincount(labels.ravel(), minlength=count + 1)
