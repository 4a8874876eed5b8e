# SPDX-License-Identifier: GPL-3.0-or-later
"""Euclidean distance transforms of small 2D masks and the local thickness of a silhouette,
numpy only (the reconstruction's images are a few hundred pixels a side).

The squared distance is separable: a pass along the columns, then one along the rows, each
taking for every pixel the minimum over its line of (offset^2 + value). Done by broadcasting
in blocks of lines, so no Python loop runs per pixel.
"""

from __future__ import annotations

import numpy as np

_BLOCK_ELEMENTS = 4_000_000  # (lines, n, n) work arrays stay near 16 MB


def _pass(values: np.ndarray) -> np.ndarray:
    """For each row i and column j: min over k of (j - k)^2 + values[i, k]."""
    rows, n = values.shape
    offsets = np.arange(n, dtype=np.float32)
    sq = (offsets[:, None] - offsets[None, :]) ** 2  # (j, k)
    out = np.empty_like(values)
    step = max(1, _BLOCK_ELEMENTS // max(n * n, 1))
    for start in range(0, rows, step):
        block = values[start:start + step]
        out[start:start + step] = (block[:, None, :] + sq[None, :, :]).min(axis=2)
    return out


def squared_distance_to(feature: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance (pixels) from every pixel to the nearest True pixel of
    ``feature``; a large value where there is none."""
    big = np.float32(4.0 * (feature.shape[0] + feature.shape[1]) ** 2)
    f = np.where(feature, np.float32(0.0), big).astype(np.float32)
    f = _pass(f)
    return _pass(np.ascontiguousarray(f.T)).T


def signed_distance(soft: np.ndarray, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (pixels, > 0 inside) to the outline of a soft mask, and the inside
    distance alone. Within a pixel of the outline the soft value sets it, so the outline keeps
    its sub-pixel position."""
    inside = soft > threshold
    d_in = np.sqrt(squared_distance_to(~inside)) - 0.5
    d_out = np.sqrt(squared_distance_to(inside)) - 0.5
    sd = np.where(inside, d_in, -d_out)
    ramp = (soft - threshold) * 2.0
    sd = np.where(np.abs(sd) < 1.0, ramp, sd).astype(np.float32)
    return sd, np.maximum(d_in, 0.0).astype(np.float32)


def local_thickness(depth: np.ndarray, levels: int = 14) -> np.ndarray:
    """Radius of the largest inscribed disc that covers each pixel (0 outside).

    ``depth`` is the inside distance of a silhouette. A disc of radius r fits around every
    pixel whose depth is at least r; a pixel is covered by one of them when it lies within r
    of such a centre. Tested on a geometric ladder of radii, so the result steps by about 20 %
    (the caller smooths it)."""
    top = float(depth.max())
    out = np.zeros_like(depth)
    if top <= 0:
        return out
    radii = np.geomspace(min(1.0, top), top, levels)
    for r in radii:
        centres = depth >= r
        covered = squared_distance_to(centres) <= r * r
        out = np.where(covered & (depth > 0), np.float32(r), out)
    return out


def box_blur(image: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Mean over 2 * radius + 1 neighbours along ``axis`` (edges repeat)."""
    if radius <= 0:
        return image
    pad = [(0, 0)] * image.ndim
    pad[axis] = (radius + 1, radius)
    c = np.cumsum(np.pad(image, pad, mode="edge"), axis=axis, dtype=np.float64)
    n = image.shape[axis]
    hi = np.take(c, np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return ((hi - lo) / (2 * radius + 1)).astype(image.dtype)
