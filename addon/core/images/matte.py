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

Speed: the image is touched as a whole only a few times (its distance to the backdrop, the
runs of backdrop-like and of subject pixels, the output arrays). The backdrop field is never
built as an image; it is evaluated row block by row block, or at the few pixels that need it
(pockets, the soft edge band). Components are found on horizontal runs, not pixels, and all
the soft-edge arithmetic runs on the band's pixels only.
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
    if float(alpha.min()) >= 0.5:  # the common case (JPEG, opaque PNG): one cheap pass
        return False
    transparent = np.count_nonzero(alpha < 0.5)
    return 0.02 * alpha.size < transparent < 0.98 * alpha.size


# -- the backdrop ---------------------------------------------------------------------------

def _basis_1d(n: int) -> np.ndarray:
    return np.linspace(-0.5, 0.5, n, dtype=np.float64)


class BackdropField:
    """The fitted backdrop: per colour channel ``c0 + c1·u + c2·v + c3·u² + c4·v² + c5·u·v``
    with ``u, v`` running from -0.5 to 0.5 across the image. Quadratic in ``u`` along every
    row, so a row's colours are ``row0 + row1·u + c3·u²``."""

    def __init__(self, coef: np.ndarray, h: int, w: int):
        self.coef, self.h, self.w = coef, h, w
        c = coef.astype(np.float32)
        vv = _basis_1d(h).astype(np.float32)[:, None]
        self.u = _basis_1d(w).astype(np.float32)
        self.row0 = c[0] + c[2] * vv + c[4] * vv * vv  # (h, 3)
        self.row1 = c[1] + c[5] * vv  # (h, 3) coefficient of u
        self.quad = c[3]  # (3,) coefficient of u²
        # the u² term of every channel, laid out per channel along the row: (3, w)
        self.quad_u = np.ascontiguousarray((c[3] * self.u[:, None] * self.u[:, None]).T)

    def at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """The backdrop colour (N, 3) float32 at the given pixels (index arrays)."""
        uu = self.u[xs][:, None]
        return self.row0[ys] + self.row1[ys] * uu + self.quad * uu * uu

    def channel_rows(self, c: int, y0: int, y1: int) -> np.ndarray:
        """Channel ``c`` of rows ``y0:y1`` (y1 - y0, w) float32."""
        out = np.multiply.outer(self.row1[y0:y1, c], self.u)
        out += self.row0[y0:y1, c, None]
        out += self.quad_u[c]
        return out

    def image(self) -> np.ndarray:
        """The whole field (H, W, 3) float32."""
        return np.stack([self.channel_rows(c, 0, self.h) for c in range(3)], axis=-1)

    def mean(self) -> tuple[float, float, float]:
        u = self.u.astype(np.float64)
        m = (self.row0.astype(np.float64).mean(axis=0) + self.row1.astype(np.float64).mean(axis=0) * u.mean()
             + self.quad.astype(np.float64) * (u * u).mean())
        return float(m[0]), float(m[1]), float(m[2])


def _fit_field(rgb: np.ndarray) -> tuple[BackdropField, float, np.ndarray]:
    """See :func:`fit_backdrop`; ``rgb`` may be any (H, W, >=3) array (an RGBA image)."""
    h, w = rgb.shape[:2]
    b = max(3, int(round(0.01 * min(h, w))))
    # the border ring's coordinates, built directly (a sample is plenty for six coefficients)
    step = max(1, (2 * b * (h + w)) // 40_000)
    ty, tx = np.mgrid[0:b, 0:w]
    ly, lx = np.mgrid[b:h - b, 0:b]
    ys = np.concatenate([ty.ravel(), (h - 1 - ty).ravel(), ly.ravel(), ly.ravel()])[::step]
    xs = np.concatenate([tx.ravel(), tx.ravel(), lx.ravel(), (w - 1 - lx).ravel()])[::step]
    u, v = _basis_1d(w)[xs], _basis_1d(h)[ys]
    # one row per basis function / colour channel: every pass below runs on contiguous rows
    basis = np.stack([np.ones_like(u), u, v, u * u, v * v, u * v])  # (6, N)
    samples = np.ascontiguousarray(rgb[ys, xs, :3].T, dtype=np.float64)  # (3, N)
    keep = np.ones(ys.size, bool)
    for _ in range(3):
        if keep.sum() < 12:
            break
        # least squares through the normal equations: six unknowns, well conditioned on
        # [-0.5, 0.5], and far cheaper than a QR/SVD of the whole ring. The products are
        # einsums, not matmuls: a threaded BLAS leaves its threads spinning after every call,
        # which costs CPU time the other jobs on the machine could use.
        kept = basis * keep
        gram = np.einsum("in,jn->ij", kept, basis)
        coef = _solve_small(gram + 1e-12 * np.eye(6), np.einsum("in,cn->ic", kept, samples))  # (6, 3)
        err = samples - np.einsum("ic,in->cn", coef, basis)
        resid = np.sqrt(np.einsum("cn,cn->n", err, err))
        scale = 1.4826 * float(np.median(resid[keep])) + 1e-4
        keep = resid < max(4.0 * scale, 0.02)
    noise = float(np.percentile(resid[keep], 95)) if keep.any() else 0.05
    side_ok = np.array([keep[ys < b].mean() if (ys < b).any() else 1.0,
                        keep[ys >= h - b].mean() if (ys >= h - b).any() else 1.0,
                        keep[xs < b].mean() if (xs < b).any() else 1.0,
                        keep[xs >= w - b].mean() if (xs >= w - b).any() else 1.0])
    if keep.mean() < 0.35:
        raise BadInputError(
            "the background is not plain enough to separate the character",
            hint="use an image on a plain or gently graded background, or one with transparency")
    return BackdropField(coef, h, w), noise, side_ok


def _solve_small(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a x = b`` for a small square system, by Gauss-Jordan elimination with partial
    pivoting (one step per unknown). LAPACK would do, but OpenBLAS's threaded LAPACK wakes
    its worker threads even for a 6×6 system and they spin on afterwards."""
    m = np.concatenate([np.asarray(a, np.float64), np.asarray(b, np.float64).reshape(len(a), -1)], axis=1)
    n = len(a)
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if p != k:
            m[[k, p]] = m[[p, k]]
        m[k] /= m[k, k]
        others = np.arange(n) != k
        m[others] -= np.outer(m[others, k], m[k])
    return m[:, n:].reshape(np.shape(b))


def fit_backdrop(rgb: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit the backdrop as a quadratic colour field to the image border.

    Returns (backdrop image (H, W, 3) float32, noise level, inlier fraction per side).
    The fit is repeated without the border pixels that disagree with it, so a character
    touching the border (or a watermark in a corner) does not drag the backdrop."""
    model, noise, side_ok = _fit_field(rgb)
    return model.image(), noise, side_ok


def _rgb_copier(rgba: np.ndarray, rgb: np.ndarray):
    """A function copying rows ``y0:y1`` of the RGB part of ``rgba`` into ``rgb``.

    Copying 3 of every 4 floats element by element is slow (the innermost loop is 3 long);
    when the layout allows, each pixel's 12 colour bytes move as one opaque item."""
    if (rgba.dtype == np.float32 and rgba.shape[2] == 4 and rgba.strides[1:] == (16, 4)
            and rgb.flags.c_contiguous):
        pixel = np.dtype({"names": ["rgb"], "formats": ["V12"], "offsets": [0], "itemsize": 16})
        src = rgba.view(pixel)["rgb"][..., 0]  # (H, W) of 12-byte items
        dst = rgb.view("V12")[..., 0]

        def copy(y0: int, y1: int) -> None:
            dst[y0:y1] = src[y0:y1]
    else:
        def copy(y0: int, y1: int) -> None:
            rgb[y0:y1] = rgba[y0:y1, :, :3]
    return copy


_BLOCK = 64  # rows per block: the block's temporaries stay in the processor's cache


def _distance2_and_copy(rgba: np.ndarray, model: BackdropField) -> tuple[np.ndarray, np.ndarray]:
    """Squared colour distance to the backdrop (H, W) and the RGB as a contiguous copy
    (H, W, 3) float32, in one sweep over the image, block of rows by block of rows."""
    h, w = rgba.shape[:2]
    rgb = np.empty((h, w, 3), np.float32)
    d2 = np.empty((h, w), np.float32)
    tmp = np.empty((_BLOCK, w), np.float32)
    copy_rgb = _rgb_copier(rgba, rgb)
    for y0 in range(0, h, _BLOCK):
        y1 = min(h, y0 + _BLOCK)
        blk = rgb[y0:y1]
        copy_rgb(y0, y1)
        acc = d2[y0:y1]
        for c in range(3):
            r = model.channel_rows(c, y0, y1)
            np.subtract(blk[..., c], r, out=r)
            if c == 0:
                np.multiply(r, r, out=acc)
            else:
                t = tmp[:y1 - y0]
                np.multiply(r, r, out=t)
                acc += t
    return d2, rgb


# -- the hard segmentation ------------------------------------------------------------------

def _solid_mask(rgb: np.ndarray, model: BackdropField, d2: np.ndarray, noise: float) -> np.ndarray:
    """Subject = not connected to the border through backdrop-like pixels.

    Pockets of backdrop-like colour enclosed by the subject are either real background
    (the gap between an arm and the body) or parts of the character painted in a colour
    close to the backdrop (gray trousers, silver studs). A real pocket shows the backdrop's
    own noise; a painted part sits measurably away from it, or is too small to be a gap."""
    h, w = d2.shape
    low = max(SEED_NOISE * noise, 0.012)
    backdrop_like = d2 < np.float32(low) ** 2
    rows, starts, ends = ops.runs(backdrop_like)
    comp, count = ops.join_runs(rows, starts, ends)
    solid = ~backdrop_like
    if count == 0:
        return solid
    lens = ends - starts
    sizes = np.bincount(comp, weights=lens, minlength=count)
    on_border = (rows == 0) | (rows == h - 1) | (starts == 0) | (ends == w)
    outside = np.zeros(count, bool)
    outside[comp[on_border]] = True
    is_bg = outside.copy()
    # enclosed pockets big enough to be a gap: their mean signed residual decides. The
    # backdrop's noise (and JPEG ringing along the outlines) averages out, a painted colour
    # close to the backdrop does not. Only these pockets' pixels are visited.
    candidate = ~outside & (sizes >= 8)
    if candidate.any():
        sel = candidate[comp]
        flat = ops.run_pixels(rows[sel], starts[sel], ends[sel], w)
        py, px = np.divmod(flat, w)
        resid = rgb.reshape(-1, 3)[flat] - model.at(py, px)
        ids = np.repeat(comp[sel], lens[sel])
        offset = np.stack([np.bincount(ids, weights=resid[:, c], minlength=count) for c in range(3)], 1)
        offset = np.linalg.norm(offset, axis=1) / np.maximum(sizes, 1)
        # the floor covers the colour bias JPEG leaves in narrow gaps between strong colours
        limit = max(0.6 * noise, 0.008) + 1.5 * noise / np.sqrt(np.maximum(sizes, 1))
        is_bg |= candidate & (offset < limit)
    # the enclosed pockets that are not background belong to the subject
    inside = ~is_bg[comp]
    if inside.any():
        solid.ravel()[ops.run_pixels(rows[inside], starts[inside], ends[inside], w)] = True
    # drop specks of noise or dust away from the character
    rows, starts, ends = ops.runs(solid)
    comp, n2 = ops.join_runs(rows, starts, ends)
    if n2 > 1:
        sz = np.bincount(comp, weights=ends - starts, minlength=n2)
        drop = (sz < max(0.01 * sz.max(), 9))[comp]
        if drop.any():
            solid.ravel()[ops.run_pixels(rows[drop], starts[drop], ends[drop], w)] = False
    return solid


# -- the soft edge --------------------------------------------------------------------------

def _spread_colour(rgb: np.ndarray, source: np.ndarray, needed: tuple[np.ndarray, np.ndarray],
                   radius: int) -> np.ndarray:
    """Colour of the ``source`` pixels carried out to the ``needed`` pixels (index arrays):
    normalised box filtering, widening until every needed pixel has a value. Returns (N, 3).

    Pillow's box blur on 8 bits is plenty for a colour that ends up in an 8-bit image, and
    far faster than float filtering. Colour and weight travel as one premultiplied RGBa
    image (Pillow blurs its four bands independently); each round blurs only the box around
    the pixels still without a colour, and the wider rounds (3× and 9× the radius, for the
    few pixels in thin parts) run on a copy reduced by the same factor, so every round
    costs about the same as a blur of radius ``radius``."""
    from PIL import Image, ImageFilter

    n = needed[0].size
    out = np.zeros((n, 3), np.float32)
    if n == 0:
        return out
    hs, ws = source.shape
    # 8-bit colour and 0/255 weight in one image; converting to RGBa multiplies the colour by
    # the weight (in C), which zeroes it outside the source
    q = np.multiply(rgb.reshape(hs, -1), np.float32(255.0))
    np.rint(q, out=q)
    colour = Image.fromarray(q.astype(np.uint8).reshape(hs, ws, 3), "RGB")
    weight = Image.fromarray(source.view(np.uint8) * np.uint8(255), "L")
    packed = Image.merge("RGBA", (*colour.split(), weight)).convert("RGBa")
    todo = np.arange(n)
    factor = 1
    while todo.size and radius * factor <= 2 * max(hs, ws):
        reach = radius * factor
        ny, nx = needed[0][todo], needed[1][todo]
        y0, y1 = max(0, int(ny.min()) - reach), min(hs, int(ny.max()) + reach + 1)
        x0, x1 = max(0, int(nx.min()) - reach), min(ws, int(nx.max()) + reach + 1)
        part = packed.crop((x0, y0, x1, y1))
        if factor > 1:
            part = part.reduce(factor)  # box means: premultiplied colour and weight stay paired
        blurred = np.asarray(part.filter(ImageFilter.BoxBlur(radius)))
        vals = blurred[(ny - y0) // factor, (nx - x0) // factor].astype(np.float32)
        den = vals[:, 3]
        ok = den >= 8.0  # at least ~3 % of the window is interior
        out[todo[ok]] = vals[ok, :3] / den[ok][:, None]
        todo = todo[~ok]
        factor *= 3
    if todo.size:
        out[todo] = rgb[source].mean(axis=0) if source.any() else 0.5
    return out


def _edge_radius(h: int, w: int) -> int:
    # generated views have 2-4 px soft edges at 1024 px; scale with the image
    return max(2, int(round(min(h, w) / 320)))


def _crop_box(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    y0, y1 = max(0, rows[0] - pad), min(mask.shape[0], rows[-1] + pad + 1)
    x0, x1 = max(0, cols[0] - pad), min(mask.shape[1], cols[-1] + pad + 1)
    return slice(y0, y1), slice(x0, x1)


def _mean3x3_at(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Mean of ``mask`` over the 3×3 window of the given pixels (edges repeated), float32."""
    padded = np.pad(mask, 1, mode="edge").view(np.uint8)
    stride = padded.shape[1]
    flat = padded.ravel()
    centre = (ys + 1) * stride + (xs + 1)
    count = np.zeros(ys.size, np.uint8)
    for off in (-stride - 1, -stride, -stride + 1, -1, 0, 1, stride - 1, stride, stride + 1):
        count += flat[centre + off]
    return count.astype(np.float32) / np.float32(9.0)


def _soft_from_backdrop(rgb: np.ndarray, model: BackdropField, solid: np.ndarray, d2: np.ndarray,
                        noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Soft alpha and un-mixed colour in a thin band around the hard mask's outline; all the
    arithmetic runs on the band's pixels only (a few percent of the image), one colour
    channel per row of a (3, N) array.

    ``rgb`` (contiguous) is written in place and returned as the foreground."""
    h, w, _ = rgb.shape
    r = _edge_radius(h, w)
    alpha = solid.astype(np.float32)
    ys, xs = _crop_box(solid, 6 * r)
    img, sol = rgb[ys, xs], solid[ys, xs]
    # The band reaches a few edge widths inside: JPEG ringing next to strong colours leaves
    # blobs that differ from the backdrop by more than its noise and join the hard mask;
    # the projection below sends them back to the backdrop.
    inner = ops.erode(sol, r + 1)
    # square erosions add up, so the deep core is the inner core eroded further
    deep = ops.erode(inner, (BAND_DEPTH - 1) * r)
    if not inner.any():
        inner = sol
    faint = d2[ys, xs] < np.float32(max(JUNK_NOISE * noise, JUNK_MIN)) ** 2
    band = ops.dilate(sol, 1) & ~(inner & (deep | ~faint))
    inner &= ~band
    by, bx = np.nonzero(band)
    gy, gx = by + ys.start, bx + xs.start
    at = gy * w + gx  # flat indices into the whole image
    pix = rgb.reshape(-1, 3)[at].T
    bg = model.at(gy, gx).T
    colour = _spread_colour(img, inner, (by, bx), r + 2).T
    diff_f = colour - bg
    diff_i = pix - bg
    lf, cf = _luma_chroma(diff_f)
    li, ci = _luma_chroma(diff_i)
    denom = _perceptual_dot(lf, cf, lf, cf, PROJ_CHROMA)
    proj = _perceptual_dot(li, ci, lf, cf, PROJ_CHROMA) / np.maximum(denom, 1e-6)
    proj = np.clip((proj - 0.04) / 0.92, 0.0, 1.0)
    # where the character's colour is close to the backdrop the projection is unreliable:
    # fall back to the hard mask, lightly smoothed
    trust = np.clip((np.sqrt(denom) - 0.05) / 0.10, 0.0, 1.0)
    smooth = _mean3x3_at(sol, by, bx)
    a = trust * proj + (1 - trust) * smooth
    # Rim light, specular edges and dark outlines smeared by JPEG give edge pixels a colour
    # off the line between F and B, so the projection calls them backdrop although they
    # visibly are not. A pixel clearly away from the backdrop is at least half character;
    # capped so that it does not turn fully opaque (its colour stays mostly F).
    # JPEG keeps colour at half resolution, so colour bleeds a pixel or two into the backdrop
    # while brightness stays sharp: weigh the chroma part of the difference down.
    d = np.sqrt(_perceptual_dot(li, ci, li, ci, CHROMA_WEIGHT))
    lo = max(2.5 * noise, 0.03)
    a = np.maximum(a, np.minimum(np.clip((d - lo) / 0.13, 0.0, 1.0), 0.6)).astype(np.float32)
    # un-mix the edge pixels; at low alpha the division amplifies noise, so lean on the
    # colour carried out from the interior there
    unmixed = np.clip(bg + diff_i / np.maximum(a, 0.05), 0.0, 1.0)
    wgt = a * a
    alpha.ravel()[at] = a
    rgb.reshape(-1, 3)[at] = (wgt * unmixed + (1 - wgt) * colour).T
    return alpha, rgb


CHROMA_WEIGHT = 0.1
BAND_DEPTH = 4
SEED_NOISE = 3.5
JUNK_NOISE = 6.0
JUNK_MIN = 0.08
PROJ_CHROMA = 1.0
_LUMA = np.asarray([0.299, 0.587, 0.114], np.float32)


def _luma_chroma(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Colour differences (3, N) split into brightness (N,) and the colour part (3, N)."""
    luma = _LUMA[0] * diff[0] + _LUMA[1] * diff[1] + _LUMA[2] * diff[2]
    return luma, diff - luma


def _perceptual_dot(la: np.ndarray, ca: np.ndarray, lb: np.ndarray, cb: np.ndarray,
                    chroma_weight: float) -> np.ndarray:
    """Dot product of two colour differences re-weighted: brightness as is (scaled like a
    gray step of the same size in RGB), colour by ``chroma_weight``."""
    return 3.0 * la * lb + np.float32(chroma_weight) * (ca[0] * cb[0] + ca[1] * cb[1] + ca[2] * cb[2])


def _foreground_from_alpha(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Cut-outs often carry the colour of the backdrop they were cut from at the soft edge
    (white fringes): replace it by the interior colour where alpha is partial.

    ``rgb`` is written in place and returned."""
    partial = (alpha > 0.0) & (alpha < 0.99)
    if not partial.any():
        return rgb
    h, w = alpha.shape
    r = _edge_radius(h, w)
    ys, xs = _crop_box(alpha > 0, 4 * r)
    a_crop = alpha[ys, xs]
    solid = a_crop >= 0.99
    # eroding the crop is eroding the image: outside counts as solid and the crop reaches
    # past the subject
    inner = ops.erode(solid, 1) if solid.any() else a_crop > 0.5
    ay, ax = np.nonzero(partial[ys, xs])
    at = (ay, ax)
    fg_crop = rgb[ys, xs]  # a view: writes land in rgb
    colour = _spread_colour(fg_crop, inner, at, r + 2)
    a = a_crop[at][:, None]
    wgt = a * a  # as for backdrop mattes: the fainter the pixel, the more it is fringe
    fg_crop[at] = wgt * fg_crop[at] + (1 - wgt) * colour
    return rgb


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
    if alpha_is_meaningful(rgba):
        rgb = np.empty(rgba.shape[:2] + (3,), np.float32)  # our own copy: edited in place
        _rgb_copier(rgba, rgb)(0, rgb.shape[0])
        alpha = np.ascontiguousarray(rgba[..., 3], dtype=np.float32)
        alpha = np.where(alpha < 0.02, 0.0, alpha).astype(np.float32)
        result = MatteResult(alpha, _foreground_from_alpha(rgb, alpha), "alpha")
    else:
        model, noise, _ = _fit_field(rgba)
        d2, rgb = _distance2_and_copy(rgba, model)
        solid = _solid_mask(rgb, model, d2, noise)
        _check_coverage(solid)
        alpha, fg = _soft_from_backdrop(rgb, model, solid, d2, noise)
        result = MatteResult(alpha, fg, "backdrop", model.mean())
    hard = result.alpha > 0.5
    _check_coverage(hard)
    result.touches = _sides_touched(hard)
    return result


def _check_coverage(mask: np.ndarray) -> None:
    coverage = np.count_nonzero(mask) / max(mask.size, 1)
    if coverage < 0.002 or coverage > 0.97:
        raise BadInputError(
            "no character could be separated from the background",
            hint="use an image of one character on a plain background (or with transparency), or let the "
                 "AI put it on studio gray first: the gray-background preset (figurine edit --preset "
                 "gray-background --online, or AI Edit in the panel)",
        )


def subject_matte(rgba: np.ndarray) -> np.ndarray:
    """Just the soft matte (H, W) float32; see :func:`extract` for the colours too."""
    return extract(rgba).alpha
