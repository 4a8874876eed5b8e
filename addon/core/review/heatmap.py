# SPDX-License-Identifier: GPL-3.0-or-later
"""Colours for the heat-map renders, from the print-check engine's per-element arrays.

Linear RGBA floats, as Blender's FLOAT_COLOR attributes want them. The neutral colour is the
clay gray, so a heat map reads as the clay render with the problems painted on it.
"""

from __future__ import annotations

import numpy as np

NEUTRAL = (0.42, 0.42, 0.42, 1.0)  # the clay gray (blender/clay.py CLAY_RGBA)
THIN = (0.85, 0.04, 0.03, 1.0)  # thinner than the printer's minimum wall
CAUTION = (0.95, 0.65, 0.05, 1.0)  # printable but close to the minimum
OVERHANG = (0.80, 0.05, 0.55, 1.0)  # needs support from below


def thickness_colors(thickness_mm: np.ndarray, min_wall_mm: float) -> np.ndarray:
    """(N, 4) per-vertex colours: red below ``min_wall_mm``, fading from amber to the clay gray
    between one and two minimum walls, gray above (and where nothing was measured: NaN/inf)."""
    t = np.asarray(thickness_mm, dtype=np.float64).reshape(-1)
    if not (np.isfinite(min_wall_mm) and min_wall_mm > 0):
        raise ValueError(f"minimum wall must be positive, got {min_wall_mm}")
    neutral, thin, caution = (np.asarray(c, np.float64) for c in (NEUTRAL, THIN, CAUTION))
    measured = np.isfinite(t)
    # 0 at the minimum wall, 1 at twice the minimum: how far a vertex is from trouble.
    k = np.clip((np.where(measured, t, np.inf) - min_wall_mm) / min_wall_mm, 0.0, 1.0)[:, None]
    colours = caution * (1 - k) + neutral * k
    colours[measured & (t < min_wall_mm)] = thin
    colours[~measured] = neutral
    return colours.astype(np.float32)


def face_colors(n_faces: int, flagged: np.ndarray, colour=OVERHANG) -> np.ndarray:
    """(M, 4) per-face colours: ``colour`` on the flagged faces (indices or a boolean mask),
    clay gray elsewhere."""
    out = np.empty((int(n_faces), 4), np.float32)
    out[:] = NEUTRAL
    flagged = np.asarray(flagged)
    if flagged.dtype == bool:
        if flagged.shape != (n_faces,):
            raise ValueError(f"face mask has {flagged.shape[0]} entries for {n_faces} faces")
        out[flagged] = colour
    elif flagged.size:
        idx = flagged.astype(np.int64).reshape(-1)
        if idx.min() < 0 or idx.max() >= n_faces:
            raise ValueError("face index out of range for the heat map")
        out[idx] = colour
    return out

