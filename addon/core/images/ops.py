# SPDX-License-Identifier: GPL-3.0-or-later
"""Small array operations the image code needs, in numpy and Pillow only (no SciPy in Blender).

Everything here works on whole arrays at once; there are no per-pixel Python loops."""

from __future__ import annotations

import numpy as np


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


def _shift_or(mask: np.ndarray, radius: int, axis: int) -> np.ndarray:
    out = mask.copy()
    n = mask.shape[axis]
    for k in range(1, min(radius, n - 1) + 1):
        if axis == 0:
            out[k:] |= mask[:-k]
            out[:-k] |= mask[k:]
        else:
            out[:, k:] |= mask[:, :-k]
            out[:, :-k] |= mask[:, k:]
    return out


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow a boolean mask by a (2r+1)² square (separable: two cheap passes of shifts)."""
    mask = np.asarray(mask, bool)
    if radius <= 0:
        return mask.copy()
    return _shift_or(_shift_or(mask, radius, 0), radius, 1)


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Shrink by a (2r+1)² square; outside the image counts as True so the image border does not
    eat into a subject that touches it."""
    mask = np.asarray(mask, bool)
    return ~dilate(~mask, radius)


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of ``mask``: (labels int32 with 0 = background, count).

    Works on horizontal runs instead of pixels: runs in neighbouring rows that overlap are
    joined, and labels settle by taking minima along those joins with pointer jumping. A
    character mask has tens of thousands of runs against a million pixels."""
    mask = np.ascontiguousarray(mask, bool)
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    change = np.diff(padded, axis=1)  # +1 where a run starts, -1 one past where it ends
    s_rows, s_cols = np.nonzero(change == 1)
    e_rows, e_cols = np.nonzero(change == -1)
    n_runs = s_rows.size
    if n_runs == 0:
        return np.zeros((h, w), np.int32), 0
    stride = w + 1
    g_start = s_rows.astype(np.int64) * stride + s_cols
    g_end = e_rows.astype(np.int64) * stride + e_cols  # exclusive ends
    # for each run b in row y, the runs a of row y - 1 with a.end > b.start and a.start < b.end
    prev_row = s_rows.astype(np.int64) - 1
    lo = np.searchsorted(g_end, prev_row * stride + s_cols, side="right")
    hi = np.searchsorted(g_start, prev_row * stride + e_cols, side="left")
    counts = np.where(s_rows > 0, np.maximum(hi - lo, 0), 0)
    b_idx = np.repeat(np.arange(n_runs), counts)
    offsets = np.arange(b_idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    a_idx = np.repeat(lo, counts) + offsets
    lab = np.arange(n_runs)
    while True:
        low = np.minimum(lab[a_idx], lab[b_idx])
        new = lab.copy()
        np.minimum.at(new, a_idx, low)
        np.minimum.at(new, b_idx, low)
        new = new[new]
        new = new[new]
        if np.array_equal(new, lab):
            break
        lab = new
    roots, run_label = np.unique(lab, return_inverse=True)
    out = np.zeros(h * w, np.int32)
    out[np.flatnonzero(mask)] = np.repeat(run_label.astype(np.int32) + 1, e_cols - s_cols)
    return out.reshape(h, w), int(roots.size)


def component_sizes(labels: np.ndarray, count: int) -> np.ndarray:
    return np.bincount(labels.ravel(), minlength=count + 1)
