# SPDX-License-Identifier: GPL-3.0-or-later
"""Separate the character from its backdrop: a soft matte and the character's own colours.

Two sources of a matte:

* a meaningful alpha channel (a cut-out PNG/WebP): used as it is;
* otherwise the backdrop is modelled from the image border (a smooth colour field that
  follows gradients and vignetting, fitted robustly so a subject touching the border does
  not bend it) and the subject is everything that differs from it beyond the border's own
  noise and is not a background pocket.

At the soft edge a pixel is a mix ``I = a·F + (1-a)·B`` of the character colour ``F`` and the
backdrop ``B``. ``a`` is found by projecting ``I - B`` onto ``F - B`` with ``F`` carried out
from the solid interior, and the colour we keep is ``F`` (not ``I``): compositing ``I`` onto
the new gray would keep a ring of the old backdrop (the halo).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError
from . import ops


@dataclass
class MatteResult:
    alpha: np.ndarray  # (H, W) float32 in [0, 1]; 1 = character
    foreground: np.ndarray  # (H, W, 3) float32: the character's colour, backdrop removed
    source: str  # "alpha" or "backdrop"
    backdrop: tuple[float, float, float] | None = None  # mean backdrop colour, 0..1
    touches: list[str] = field(default_factory=list)  # image sides the subject is cut by


def alpha_is_meaningful(rgba: np.ndarray) -> bool:
    """True when the alpha channel really cuts a subject out (not all opaque, not empty)."""
    alpha = rgba[..., 3]
    transparent = np.count_nonzero(alpha < 0.5)
    return 0.02 * alpha.size < transparent < 0.98 * alpha.size


# -- the backdrop ---------------------------------------------------------------------------

def _basis_1d(n: int) -> np.ndarray:
    return np.linspace(-0.5, 0.5, n, dtype=np.float64)


def fit_backdrop(rgb: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit the backdrop as a quadratic colour field to the image border.

    Returns (backdrop image (H, W, 3) float32, noise level, inlier fraction per side).
    The fit is repeated without the border pixels that disagree with it, so a character
    touching the border (or a watermark in a corner) does not drag the backdrop."""
    h, w, _ = rgb.shape
    b = max(3, int(round(0.01 * min(h, w))))
    # the border ring's coordinates, built directly (a sample is plenty for six coefficients)
    step = max(1, (2 * b * (h + w)) // 40_000)
    ty, tx = np.mgrid[0:b, 0:w]
    ly, lx = np.mgrid[b:h - b, 0:b]
    ys = np.concatenate([ty.ravel(), (h - 1 - ty).ravel(), ly.ravel(), ly.ravel()])[::step]
    xs = np.concatenate([tx.ravel(), tx.ravel(), lx.ravel(), (w - 1 - lx).ravel()])[::step]
    u, v = _basis_1d(w)[xs], _basis_1d(h)[ys]
    basis = np.stack([np.ones_like(u), u, v, u * u, v * v, u * v], axis=1)
    samples = rgb[ys, xs].astype(np.float64)
    keep = np.ones(ys.size, bool)
    for _ in range(3):
        if keep.sum() < 12:
            break
        coef, *_ = np.linalg.lstsq(basis[keep], samples[keep], rcond=None)
        resid = np.linalg.norm(samples - basis @ coef, axis=1)
        scale = 1.4826 * float(np.median(resid[keep])) + 1e-4
        keep = resid < max(4.0 * scale, 0.02)
    # evaluate per row then broadcast along it: the field is quadratic in u for each v
    c = coef.astype(np.float32)
    uu, vv = _basis_1d(w).astype(np.float32)[:, None], _basis_1d(h).astype(np.float32)[:, None]
    row0 = c[0] + c[2] * vv + c[4] * vv * vv  # (h, 3)
    row1 = c[1] + c[5] * vv  # (h, 3) coefficient of u
    field_ = row0[:, None, :] + row1[:, None, :] * uu[None] + (c[3] * uu * uu)[None]
    noise = float(np.percentile(resid[keep], 95)) if keep.any() else 0.05
    side_ok = np.array([keep[ys < b].mean() if (ys < b).any() else 1.0,
                        keep[ys >= h - b].mean() if (ys >= h - b).any() else 1.0,
                        keep[xs < b].mean() if (xs < b).any() else 1.0,
                        keep[xs >= w - b].mean() if (xs >= w - b).any() else 1.0])
    if keep.mean() < 0.35:
        raise BadInputError(
            "the background is not plain enough to separate the character",
            hint="use an image on a plain or gently graded background, or one with transparency")
    return np.ascontiguousarray(field_, np.float32), noise, side_ok


# -- the hard segmentation ------------------------------------------------------------------

def _touching_border(labels: np.ndarray) -> np.ndarray:
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.unique(edge[edge > 0])


def _solid_mask(resid: np.ndarray, dist: np.ndarray, noise: float) -> np.ndarray:
    """Subject = not connected to the border through backdrop-like pixels.

    Pockets of backdrop-like colour enclosed by the subject are either real background
    (the gap between an arm and the body) or parts of the character painted in a colour
    close to the backdrop (gray trousers, silver studs). A real pocket shows the backdrop's
    own noise; a painted part sits measurably away from it, or is too small to be a gap."""
    h, w = dist.shape
    low = max(SEED_NOISE * noise, 0.012)
    backdrop_like = dist < low
    labels, count = ops.label(backdrop_like)
    if count == 0:
        return np.ones((h, w), bool)
    outside_ids = _touching_border(labels)
    sizes = ops.component_sizes(labels, count).astype(np.float64)
    # mean signed residual per pocket: the backdrop's noise (and JPEG ringing along the
    # outlines) averages out, a painted colour close to the backdrop does not
    flat_l = labels.ravel()
    offset = np.zeros((count + 1, 3))
    for c in range(3):
        offset[:, c] = np.bincount(flat_l, weights=resid[..., c].ravel(), minlength=count + 1)
    offset = np.linalg.norm(offset, axis=1) / np.maximum(sizes, 1)
    # the floor covers the colour bias JPEG leaves in narrow gaps between strong colours
    limit = max(0.6 * noise, 0.008) + 1.5 * noise / np.sqrt(np.maximum(sizes, 1))
    is_bg = (sizes >= 8) & (offset < limit)
    is_bg[0] = False
    is_bg[outside_ids] = True
    solid = ~is_bg[labels]
    # drop specks of noise or dust away from the character
    lab2, n2 = ops.label(solid)
    if n2 > 1:
        sz = ops.component_sizes(lab2, n2)
        keep = sz >= max(0.01 * sz[1:].max(), 9)
        keep[0] = False
        solid = keep[lab2]
    return solid


# -- the soft edge --------------------------------------------------------------------------

def _spread_colour(rgb: np.ndarray, source: np.ndarray, needed: tuple[np.ndarray, np.ndarray],
                   radius: int) -> np.ndarray:
    """Colour of the ``source`` pixels carried out to the ``needed`` pixels (index arrays):
    normalised box filtering, widening until every needed pixel has a value. Returns (N, 3).

    Pillow's box blur on 8 bits is plenty for a colour that ends up in an 8-bit image, and
    far faster than float filtering."""
    from PIL import Image, ImageFilter

    weight = source.astype(np.uint8) * 255
    acc = np.round(rgb * 255.0).astype(np.uint8) * source[..., None]
    acc_img, w_img = Image.fromarray(acc, "RGB"), Image.fromarray(weight, "L")
    n = needed[0].size
    out = np.zeros((n, 3), np.float32)
    done = np.zeros(n, bool)
    r = radius
    while not done.all() and r <= 2 * max(source.shape):
        num = np.asarray(acc_img.filter(ImageFilter.BoxBlur(r)))[needed].astype(np.float32)
        den = np.asarray(w_img.filter(ImageFilter.BoxBlur(r)))[needed].astype(np.float32)
        ok = (den >= 8.0) & ~done  # at least ~3 % of the window is interior
        out[ok] = num[ok] / den[ok][:, None]
        done |= ok
        r *= 3
    if not done.all():
        out[~done] = rgb[source].mean(axis=0) if source.any() else 0.5
    return out


def _edge_radius(h: int, w: int) -> int:
    # generated views have 2-4 px soft edges at 1024 px; scale with the image
    return max(2, int(round(min(h, w) / 320)))


def _crop_box(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    y0, y1 = max(0, rows[0] - pad), min(mask.shape[0], rows[-1] + pad + 1)
    x0, x1 = max(0, cols[0] - pad), min(mask.shape[1], cols[-1] + pad + 1)
    return slice(y0, y1), slice(x0, x1)


def _soft_from_backdrop(rgb: np.ndarray, back: np.ndarray, solid: np.ndarray, dist: np.ndarray,
                        noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Soft alpha and un-mixed colour in a thin band around the hard mask's outline; all the
    arithmetic runs on the band's pixels only (a few percent of the image)."""
    h, w, _ = rgb.shape
    r = _edge_radius(h, w)
    alpha = solid.astype(np.float32)
    fg = rgb.copy()
    ys, xs = _crop_box(solid, 6 * r)
    img, sol = rgb[ys, xs], solid[ys, xs]
    # The band reaches a few edge widths inside: JPEG ringing next to strong colours leaves
    # blobs that differ from the backdrop by more than its noise and join the hard mask;
    # the projection below sends them back to the backdrop.
    inner = ops.erode(sol, r + 1)
    if not inner.any():
        inner = sol
    deep = ops.erode(sol, BAND_DEPTH * r + 1)
    faint = dist[ys, xs] < max(JUNK_NOISE * noise, JUNK_MIN)
    band = ops.dilate(sol, 1) & ~(inner & (deep | ~faint))
    inner &= ~band
    at = np.nonzero(band)
    pix, bg = img[at], back[ys, xs][at]
    colour = _spread_colour(img, inner, at, r + 2)
    diff_f = colour - bg
    diff_i = pix - bg
    wf, wi = _perceptual(diff_f, PROJ_CHROMA), _perceptual(diff_i, PROJ_CHROMA)
    denom = np.einsum("ij,ij->i", wf, wf)
    proj = np.einsum("ij,ij->i", wi, wf) / np.maximum(denom, 1e-6)
    proj = np.clip((proj - 0.04) / 0.92, 0.0, 1.0)
    # where the character's colour is close to the backdrop the projection is unreliable:
    # fall back to the hard mask, lightly smoothed
    trust = np.clip((np.sqrt(denom) - 0.05) / 0.10, 0.0, 1.0)
    smooth = _mean3x3(sol.astype(np.float32))[at]
    a = trust * proj + (1 - trust) * smooth
    # Rim light, specular edges and dark outlines smeared by JPEG give edge pixels a colour
    # off the line between F and B, so the projection calls them backdrop although they
    # visibly are not. A pixel clearly away from the backdrop is at least half character;
    # capped so that it does not turn fully opaque (its colour stays mostly F).
    # JPEG keeps colour at half resolution, so colour bleeds a pixel or two into the backdrop
    # while brightness stays sharp: weigh the chroma part of the difference down.
    vis = _perceptual(diff_i, CHROMA_WEIGHT)
    d = np.sqrt(np.einsum("ij,ij->i", vis, vis))
    lo = max(2.5 * noise, 0.03)
    a = np.maximum(a, np.minimum(np.clip((d - lo) / 0.13, 0.0, 1.0), 0.6)).astype(np.float32)
    # un-mix the edge pixels; at low alpha the division amplifies noise, so lean on the
    # colour carried out from the interior there
    unmixed = np.clip(bg + diff_i / np.maximum(a, 0.05)[:, None], 0.0, 1.0)
    wgt = (a * a)[:, None]
    alpha_crop, fg_crop = alpha[ys, xs], fg[ys, xs]  # views: writes land in alpha and fg
    alpha_crop[at] = a
    fg_crop[at] = wgt * unmixed + (1 - wgt) * colour
    return alpha, fg


CHROMA_WEIGHT = 0.1
BAND_DEPTH = 4
SEED_NOISE = 3.5
JUNK_NOISE = 6.0
JUNK_MIN = 0.08
PROJ_CHROMA = 1.0
_LUMA = np.asarray([0.299, 0.587, 0.114], np.float32)


def _perceptual(diff: np.ndarray, chroma_weight: float) -> np.ndarray:
    """Colour differences (N, 3) re-weighted: brightness as is (scaled like a gray step of
    the same size in RGB), colour by ``sqrt(chroma_weight)``."""
    luma = diff @ _LUMA
    chroma = diff - luma[:, None]
    return np.concatenate([np.sqrt(3.0) * luma[:, None], np.sqrt(chroma_weight) * chroma], axis=1)


def _mean3x3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="edge")
    h, w = a.shape
    return sum(p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)) / 9.0


def _foreground_from_alpha(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Cut-outs often carry the colour of the backdrop they were cut from at the soft edge
    (white fringes): replace it by the interior colour where alpha is partial."""
    partial = (alpha > 0.0) & (alpha < 0.99)
    if not partial.any():
        return rgb
    h, w = alpha.shape
    r = _edge_radius(h, w)
    solid = alpha >= 0.99
    inner = ops.erode(solid, 1) if solid.any() else alpha > 0.5
    ys, xs = _crop_box(alpha > 0, 4 * r)
    at = np.nonzero(partial[ys, xs])
    colour = _spread_colour(rgb[ys, xs], inner[ys, xs], at, r + 2)
    a = alpha[ys, xs][at][:, None]
    wgt = a * a  # as for backdrop mattes: the fainter the pixel, the more it is fringe
    fg = rgb.copy()
    fg_crop = fg[ys, xs]  # a view: writes land in fg
    fg_crop[at] = wgt * fg_crop[at] + (1 - wgt) * colour
    return fg


# -- entry points ---------------------------------------------------------------------------

def _sides_touched(mask: np.ndarray) -> list[str]:
    h, w = mask.shape
    minimum = max(3, int(0.004 * max(h, w)))  # a few pixels of antialiasing are no cut
    sides = []
    for name, line in (("top", mask[0]), ("bottom", mask[-1]), ("left", mask[:, 0]), ("right", mask[:, -1])):
        if np.count_nonzero(line) >= minimum:
            sides.append(name)
    return sides


def extract(rgba: np.ndarray) -> MatteResult:
    """Matte and foreground colour of an (H, W, 4) float image in [0, 1]."""
    rgb = np.ascontiguousarray(rgba[..., :3], dtype=np.float32)
    if alpha_is_meaningful(rgba):
        alpha = np.ascontiguousarray(rgba[..., 3], dtype=np.float32)
        alpha = np.where(alpha < 0.02, 0.0, alpha).astype(np.float32)
        result = MatteResult(alpha, _foreground_from_alpha(rgb, alpha), "alpha")
    else:
        back, noise, _ = fit_backdrop(rgb)
        resid = rgb - back
        dist = np.sqrt(np.einsum("ijk,ijk->ij", resid, resid))
        solid = _solid_mask(resid, dist, noise)
        _check_coverage(solid)
        alpha, fg = _soft_from_backdrop(rgb, back, solid, dist, noise)
        mean_back = tuple(float(x) for x in back.reshape(-1, 3).mean(axis=0))
        result = MatteResult(alpha, fg, "backdrop", mean_back)
    _check_coverage(result.alpha > 0.5)
    result.touches = _sides_touched(result.alpha > 0.5)
    return result


def _check_coverage(mask: np.ndarray) -> None:
    coverage = float(mask.mean())
    if coverage < 0.002 or coverage > 0.97:
        raise BadInputError(
            "no character could be separated from the background",
            hint="use an image of one character on a plain background (or with transparency)",
        )


def subject_matte(rgba: np.ndarray) -> np.ndarray:
    """Just the soft matte (H, W) float32; see :func:`extract` for the colours too."""
    return extract(rgba).alpha
