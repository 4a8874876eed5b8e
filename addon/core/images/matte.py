# SPDX-License-Identifier: GPL-3.0-or-later
"""Separate the character from its backdrop: a soft matte in [0, 1]."""

from __future__ import annotations

import numpy as np

from ..errors import BadInputError


def alpha_is_meaningful(rgba: np.ndarray) -> bool:
    alpha = rgba[..., 3]
    transparent = np.count_nonzero(alpha < 0.5)
    return 0.02 * alpha.size < transparent < 0.98 * alpha.size


def backdrop_matte(rgb: np.ndarray, border: int = 8) -> np.ndarray:
    """Matte from the distance to a backdrop modelled from the image border.

    The backdrop is fitted per channel as a quadratic in (x, y) to the border pixels, which
    follows gradients and vignetting; the threshold scales with the border's own noise."""
    h, w, _ = rgb.shape
    ys, xs = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), bool)
    b = max(2, min(border, h // 10, w // 10))
    mask[:b] = mask[-b:] = True
    mask[:, :b] = mask[:, -b:] = True
    u = xs / max(w - 1, 1) - 0.5
    v = ys / max(h - 1, 1) - 0.5
    basis = np.stack([np.ones_like(u), u, v, u * u, v * v, u * v], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[mask], rgb[mask], rcond=None)
    background = basis @ coef
    dist = np.linalg.norm(rgb - background, axis=-1)
    noise = float(np.percentile(dist[mask], 95))
    low = max(noise * 1.5, 0.03)
    high = low + 0.06
    return np.clip((dist - low) / (high - low), 0.0, 1.0).astype(np.float32)


def subject_matte(rgba: np.ndarray) -> np.ndarray:
    if alpha_is_meaningful(rgba):
        matte = rgba[..., 3].astype(np.float32)
    else:
        matte = backdrop_matte(rgba[..., :3])
    coverage = float((matte > 0.5).mean())
    if coverage < 0.002 or coverage > 0.97:
        raise BadInputError(
            "no character could be separated from the background",
            hint="use an image of one character on a plain background (or with transparency)",
        )
    return matte
