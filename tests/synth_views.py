# SPDX-License-Identifier: GPL-3.0-or-later
"""Character views the image tests draw themselves: a figure-like shape with PIL on a
graded, noisy backdrop, saved with JPEG compression (what an image model's output looks
like), plus the exact mask it was drawn from."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SS = 4  # supersampling: edges are antialiased like a real render


def figure_mask(size=(384, 384), view="front", scale=1.0, dx=0, dy=0) -> np.ndarray:
    """Float mask in [0, 1] of a standing figure. ``view``: front, back, or side facing the
    viewer's right (``side_right``) or left (``side_left``)."""
    w, h = size
    img = Image.new("L", (w * SS, h * SS), 0)
    d = ImageDraw.Draw(img)

    def box(x0, y0, x1, y1):  # coordinates in units of the figure height, centred at x=0
        fh = 0.8 * h * scale
        cx, top = w / 2 + dx, 0.1 * h + dy + (0.8 * h - fh)
        return [SS * (cx + x0 * fh), SS * (top + y0 * fh), SS * (cx + x1 * fh), SS * (top + y1 * fh)]

    if view in ("front", "back"):
        d.ellipse(box(-0.09, 0.0, 0.09, 0.2), fill=255)  # head
        d.rectangle(box(-0.13, 0.2, 0.13, 0.55), fill=255)  # body
        d.rectangle(box(-0.21, 0.22, -0.16, 0.5), fill=255)  # arms, a gap from the body
        d.rectangle(box(0.16, 0.22, 0.21, 0.5), fill=255)
        d.rectangle(box(-0.16, 0.22, 0.16, 0.26), fill=255)  # shoulders join the arms
        d.rectangle(box(-0.11, 0.55, -0.02, 0.96), fill=255)  # legs with a gap
        d.rectangle(box(0.02, 0.55, 0.11, 0.96), fill=255)
        d.rectangle(box(-0.12, 0.94, -0.01, 1.0), fill=255)  # feet
        d.rectangle(box(0.01, 0.94, 0.12, 1.0), fill=255)
        if view == "back":
            d.rectangle(box(-0.1, 0.2, 0.1, 0.4), fill=255)  # a backpack changes nothing of the outline
    else:
        d.ellipse(box(-0.1, 0.0, 0.08, 0.2), fill=255)  # head
        d.polygon([tuple(box(0.07, 0.08, 0, 0)[:2]), tuple(box(0.12, 0.11, 0, 0)[:2]),
                   tuple(box(0.07, 0.13, 0, 0)[:2])], fill=255)  # nose, forward
        d.rectangle(box(-0.08, 0.2, 0.07, 0.55), fill=255)  # body
        d.rectangle(box(-0.06, 0.55, 0.04, 0.95), fill=255)  # legs (one behind the other)
        d.rectangle(box(-0.07, 0.94, 0.14, 1.0), fill=255)  # foot: toes forward, short heel
        if view == "side_left":
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            # keep the figure centred where it was drawn
            shift = int(round(2 * SS * dx))
            img = img.transform(img.size, Image.Transform.AFFINE, (1, 0, shift, 0, 1, 0))
    small = img.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


def paint(mask: np.ndarray, backdrop=(0.72, 0.72, 0.75), gradient=0.08, noise=1.5, seed=0,
          subject_colours=((0.8, 0.2, 0.15), (0.15, 0.25, 0.6), (0.62, 0.62, 0.62))) -> np.ndarray:
    """RGB float image: the figure in horizontal bands of colours (one close to the backdrop's
    gray) over a vertically graded backdrop with sensor noise (``noise`` in 8-bit levels)."""
    rng = np.random.default_rng(seed)
    h, w = mask.shape
    v = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None, None]
    back = np.clip(np.asarray(backdrop, np.float32) + gradient * v, 0, 1) * np.ones((h, w, 1), np.float32)
    band = (np.arange(h) * len(subject_colours) // h)[:, None]
    colours = np.asarray(subject_colours, np.float32)[np.broadcast_to(band, (h, w))]
    rgb = mask[..., None] * colours + (1 - mask[..., None]) * back
    rgb += rng.normal(0, noise / 255.0, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 1)


def save_jpeg(rgb: np.ndarray, path, quality=88) -> None:
    Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB").save(path, quality=quality)


def save_png(arr: np.ndarray, path) -> None:
    arr = np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8)
    Image.fromarray(arr, "RGBA" if arr.ndim == 3 and arr.shape[2] == 4 else "RGB").save(path)


def view_file(tmp_path, name, view="front", **kw) -> tuple:
    """Write a JPEG view; return (path, true mask)."""
    paint_kw = {k: kw.pop(k) for k in list(kw) if k in ("backdrop", "gradient", "noise", "seed", "subject_colours")}
    mask = figure_mask(view=view, **kw)
    path = tmp_path / f"{name}.jpg"
    save_jpeg(paint(mask, **paint_kw), path)
    return path, mask


def phone_photo(path, width=4000, height=6000, *, busy=False, seed=0) -> np.ndarray:
    """A phone-camera-like JPEG of the standing figure: ``width`` x ``height`` as displayed,
    stored sideways with EXIF orientation 6 (as phones save portrait shots), on a lit wall
    (``busy``: a patterned, colourful background instead). Painted at 1/8 size and scaled up,
    so a 48 MP photo is made in about a second. Returns the figure's mask at 1/8 size."""
    small = (width // 8, height // 8)
    mask = figure_mask(size=small, scale=0.75)
    if busy:
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:small[1], 0:small[0]].astype(np.float32)
        back = np.stack([0.5 + 0.3 * np.sin(xx / 9), 0.45 + 0.25 * np.cos(yy / 7),
                         0.4 + 0.3 * np.sin((xx + yy) / 11)], -1) + rng.normal(0, 0.08, (small[1], small[0], 3))
        rgb = mask[..., None] * paint(mask, seed=seed) + (1 - mask[..., None]) * np.clip(back, 0, 1)
    else:
        rgb = paint(mask, backdrop=(0.78, 0.76, 0.72), gradient=0.12, noise=0.5, seed=seed)
    img = Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB").resize((width, height), Image.Resampling.BICUBIC)
    # sensor-like noise: per-row and per-column offsets (cheap at 48 MP, still not flat)
    rng = np.random.default_rng(seed + 1)
    noisy = np.asarray(img).astype(np.int16)
    noisy += rng.integers(-3, 4, size=(height, 1, 1), dtype=np.int16)
    noisy += rng.integers(-3, 4, size=(1, width, 3), dtype=np.int16)
    img = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB").rotate(90, expand=True)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    img.save(path, quality=90, exif=exif)
    return mask
