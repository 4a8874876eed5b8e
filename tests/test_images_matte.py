# SPDX-License-Identifier: GPL-3.0-or-later
"""Matting on drawn figures: graded, noisy, JPEG-compressed backdrops of any colour."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from figurine_forge.core.errors import BadInputError
from figurine_forge.core.images import STUDIO_GRAY, matte, ops
from figurine_forge.core.images.load import load_rgba
from figurine_forge.core.images.prepare import prepare_view_set
from synth_views import figure_mask, paint, save_png, view_file


def iou(a, b):
    a, b = a >= 0.5, b >= 0.5
    return (a & b).sum() / (a | b).sum()


def _bfs_labels(mask):
    """Reference 4-connected labelling (slow, for small arrays only)."""
    h, w = mask.shape
    out = np.zeros((h, w), int)
    n = 0
    for y in range(h):
        for x in range(w):
            if mask[y, x] and not out[y, x]:
                n += 1
                out[y, x] = n
                todo = deque([(y, x)])
                while todo:
                    cy, cx = todo.popleft()
                    for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                        if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not out[ny, nx]:
                            out[ny, nx] = n
                            todo.append((ny, nx))
    return out, n


@pytest.mark.parametrize("seed", range(6))
def test_label_matches_reference(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((37, 53)) < (0.35 + 0.05 * seed)
    labels, n = ops.label(mask)
    ref, n_ref = _bfs_labels(mask)
    assert n == n_ref
    # same partition: a one-to-one map between label ids
    pairs = set(zip(labels[mask].tolist(), ref[mask].tolist()))
    assert len(pairs) == n and len({a for a, _ in pairs}) == n and np.all(labels[~mask] == 0)


def test_label_long_spiral_is_one_component():
    size = 101
    m = np.zeros((size, size), bool)
    y0, x0, y1, x1 = 0, 0, size - 1, size - 1
    while y0 <= y1 and x0 <= x1:  # a rectangular spiral of width 1 with gaps of 1
        m[y0, x0:x1 + 1] = True
        m[y0:y1 + 1, x1] = True
        m[y1, x0:x1 + 1] = True
        m[y0 + 2:y1 + 1, x0] = True
        y0, x0, y1, x1 = y0 + 2, x0 + 2, y1 - 2, x1 - 2
        if y0 <= y1:
            m[y0, x0 - 2:x0] = True  # join to the next ring
    labels, n = ops.label(m)
    ref, n_ref = _bfs_labels(m)
    assert n == n_ref


@pytest.mark.parametrize("backdrop", [(0.72, 0.72, 0.75), (0.2, 0.65, 0.25), (0.95, 0.95, 0.93), (0.25, 0.22, 0.3)])
def test_matte_on_graded_noisy_jpeg(tmp_path, backdrop):
    path, truth = view_file(tmp_path, "v", backdrop=backdrop, gradient=0.1, noise=2.0)
    result = matte.extract(load_rgba(path))
    assert result.source == "backdrop"
    assert iou(result.alpha, truth) > 0.95
    assert result.touches == []


def test_gap_between_arm_and_body_is_background_and_gray_part_is_subject(tmp_path):
    # the legs are painted a gray only 0.1 away from the backdrop, the arm gaps show backdrop
    path, truth = view_file(tmp_path, "v", backdrop=(0.72, 0.72, 0.72), gradient=0.05,
                            subject_colours=((0.8, 0.2, 0.15), (0.15, 0.25, 0.6), (0.62, 0.62, 0.62)))
    alpha = matte.extract(load_rgba(path)).alpha
    h, w = truth.shape
    fh, top = 0.8 * h, 0.1 * h
    gap_x = int(w / 2 - 0.145 * fh)  # between the right-hand arm and the body, in image terms
    gap_y = int(top + 0.38 * fh)
    assert truth[gap_y, gap_x] == 0 and alpha[gap_y, gap_x] < 0.1
    leg_y, leg_x = int(top + 0.8 * fh), int(w / 2 + 0.06 * fh)
    assert truth[leg_y, leg_x] == 1 and alpha[leg_y, leg_x] > 0.9
    assert iou(alpha, truth) > 0.95


def test_no_halo_of_the_old_backdrop(tmp_path):
    # a saturated green backdrop: after preparation no edge pixel may lean green
    path, truth = view_file(tmp_path, "v", backdrop=(0.1, 0.8, 0.1), gradient=0.05, noise=1.0,
                            subject_colours=((0.8, 0.2, 0.15), (0.15, 0.25, 0.6), (0.5, 0.45, 0.5)))
    view = prepare_view_set({"front": path}, size=384).views["front"]
    rgb = view.rgb.astype(np.float32)
    greenness = rgb[..., 1] - (rgb[..., 0] + rgb[..., 2]) / 2
    edge = (view.matte > 0.02) & (view.matte < 0.98)
    assert edge.sum() > 200
    # subject colours and the gray have greenness <= ~5; a halo of the old backdrop is a
    # ring of tens of levels along the whole outline (JPEG leaves a few stray corner pixels)
    assert np.percentile(greenness[edge], 95) < 12
    assert np.mean(greenness[edge] > 12) < 0.05
    # outside the character the backdrop is exactly studio gray
    outside = view.matte == 0
    assert outside.mean() > 0.5 and np.all(view.rgb[outside] == STUDIO_GRAY)


def test_meaningful_alpha_is_used_and_fringe_cleaned(tmp_path):
    mask = figure_mask((256, 256))
    rgb = np.zeros((256, 256, 3), np.float32)
    rgb[...] = (0.1, 0.2, 0.8)
    edge = (mask > 0) & (mask < 1)
    rgb[edge] = (1.0, 1.0, 1.0)  # a white fringe left by a cut-out tool
    save_png(np.dstack([rgb, mask]), tmp_path / "cut.png")
    result = matte.extract(load_rgba(tmp_path / "cut.png"))
    assert result.source == "alpha"
    assert np.allclose(result.alpha[mask >= 0.02], mask[mask >= 0.02], atol=1 / 255 + 1e-6)
    # the fringe colour is pulled towards the interior blue
    assert result.foreground[edge][:, 0].mean() < 0.6


def test_subject_touching_the_border_is_reported(tmp_path):
    path, _ = view_file(tmp_path, "v", scale=1.2, dy=40)  # feet below the bottom edge
    result = matte.extract(load_rgba(path))
    assert "bottom" in result.touches


def test_no_subject(tmp_path):
    rgb = paint(np.zeros((128, 128), np.float32))
    save_png(rgb, tmp_path / "empty.png")
    with pytest.raises(BadInputError, match="no character"):
        matte.extract(load_rgba(tmp_path / "empty.png"))


def test_busy_background_refused(tmp_path):
    rng = np.random.default_rng(1)
    save_png(rng.random((128, 128, 3)), tmp_path / "noise.png")
    with pytest.raises(BadInputError):
        matte.extract(load_rgba(tmp_path / "noise.png"))


# -- the building blocks the fast matte rests on ---------------------------------------------

def _dilate_reference(mask, radius):
    """Square dilation by taking the maximum over every offset of the window (no shortcuts)."""
    h, w = mask.shape
    p = np.pad(mask, radius)
    out = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= p[dy:dy + h, dx:dx + w]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_dilate_and_erode_match_the_window_definition(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((41, 57)) < (0.03 + 0.2 * seed)
    for radius in (0, 1, 2, 3, 5, 8, 13, 30, 60):
        assert np.array_equal(ops.dilate(mask, radius), _dilate_reference(mask, radius) if radius else mask)
        # erosion: outside the image counts as inside, so a mask touching the border keeps it
        assert np.array_equal(ops.erode(mask, radius), ~_dilate_reference(~mask, radius) if radius else mask)
    # square erosions add up: the soft edge relies on it
    assert np.array_equal(ops.erode(ops.erode(mask, 4), 9), ops.erode(mask, 13))


def test_runs_paint_back_the_mask():
    rng = np.random.default_rng(3)
    mask = rng.random((23, 31)) < 0.5
    mask[:, 0] = mask[:, -1] = True  # runs at both edges of every row
    mask[5] = False  # an empty row
    mask[7] = True  # a full row
    rows, starts, ends = ops.runs(mask)
    assert np.all(ends > starts) and np.all(np.diff(rows) >= 0)
    flat = ops.run_pixels(rows, starts, ends, mask.shape[1])
    assert np.array_equal(np.sort(flat), np.flatnonzero(mask))
    comp, n = ops.join_runs(rows, starts, ends)
    labels, n_label = ops.label(mask)
    assert n == n_label and comp.min() == 0 and comp.max() == n - 1
    # the label image is the run components painted back (label 0 is the background)
    assert np.array_equal(labels[rows, starts], comp + 1)
    assert np.array_equal(labels[rows, ends - 1], comp + 1)


def test_label_many_nested_rings():
    # concentric square rings: long chains of runs, each ring one component
    size = 121
    yy, xx = np.mgrid[0:size, 0:size]
    ring = np.maximum(abs(yy - size // 2), abs(xx - size // 2))
    mask = ring % 4 == 0
    labels, n = ops.label(mask)
    assert n == len(np.unique(ring[mask]))
    for r in np.unique(ring[mask]):
        assert len(np.unique(labels[ring == r])) == 1


def test_backdrop_field_image_matches_its_pixel_evaluation(tmp_path):
    path, _ = view_file(tmp_path, "v", backdrop=(0.3, 0.6, 0.4), gradient=0.15, noise=1.0)
    rgba = load_rgba(path)
    back, noise, side_ok = matte.fit_backdrop(rgba[..., :3])
    model, noise2, _ = matte._fit_field(rgba)
    assert back.shape == rgba.shape[:2] + (3,) and back.dtype == np.float32
    assert noise == pytest.approx(noise2) and np.all(side_ok > 0.9)
    rng = np.random.default_rng(0)
    ys, xs = rng.integers(0, back.shape[0], 500), rng.integers(0, back.shape[1], 500)
    assert np.allclose(model.at(ys, xs), back[ys, xs], atol=1e-6)
    assert np.allclose(model.mean(), back.reshape(-1, 3).astype(np.float64).mean(axis=0), atol=1e-5)
    # the border really is this colour field: corners of the image agree with it
    assert np.abs(rgba[:8, :8, :3].mean(axis=(0, 1)) - back[:8, :8].mean(axis=(0, 1))).max() < 0.03


@pytest.mark.parametrize("cut_out", [False, True])
def test_extract_leaves_the_input_alone(tmp_path, cut_out):
    if cut_out:
        mask = figure_mask((128, 128))
        rgb = np.zeros((128, 128, 3), np.float32)
        rgb[...] = (0.8, 0.3, 0.2)
        rgb[(mask > 0) & (mask < 1)] = 1.0
        save_png(np.dstack([rgb, mask]), tmp_path / "v.png")
        rgba = load_rgba(tmp_path / "v.png")
    else:
        rgba = load_rgba(view_file(tmp_path, "v")[0])
    before = rgba.copy()
    result = matte.extract(rgba)
    assert np.array_equal(rgba, before)
    assert result.foreground.shape == rgba.shape[:2] + (3,) and result.foreground.dtype == np.float32
    assert result.foreground.flags.c_contiguous
    # far from the edge the foreground is the image itself
    inner = ops.erode(result.alpha >= 1.0, 6)
    assert np.array_equal(result.foreground[inner], rgba[..., :3][inner])


def test_float64_input_gives_the_same_matte(tmp_path):
    rgba = load_rgba(view_file(tmp_path, "v", backdrop=(0.2, 0.65, 0.25))[0])
    a32 = matte.extract(rgba)
    a64 = matte.extract(rgba.astype(np.float64))
    assert np.abs(a32.alpha - a64.alpha).max() < 1e-3
    assert np.array_equal(a32.alpha > 0.5, a64.alpha > 0.5)


def test_spread_colour_reaches_far_pixels_with_their_nearest_colour():
    # two solid blocks far apart; pixels at growing distances from the blue one need the
    # first, the 3× and the 9× rounds (the wider ones run on reduced copies)
    h, w = 300, 400
    rgb = np.zeros((h, w, 3), np.float32)
    source = np.zeros((h, w), bool)
    rgb[100:200, 20:60] = (0.1, 0.2, 0.9)
    rgb[100:200, 340:380] = (0.9, 0.3, 0.1)
    source[100:200, 20:60] = source[100:200, 340:380] = True
    ys = np.array([120, 150, 150, 150])
    xs = np.array([61, 66, 75, 120])  # 2, 7, 16 and 61 pixels out: rounds of radius 4, 12, 36, 36
    colour = matte._spread_colour(rgb, source, (ys, xs), 4)
    blue = np.array([0.1, 0.2, 0.9], np.float32)
    err = np.abs(colour - blue).max(axis=1)
    # 8-bit colour divided by an 8-bit weight: exact-ish near the source, a few percent where
    # the window holds little of it (as in any normalised 8-bit filter)
    assert err[0] < 0.01 and err[1] < 0.02 and err[2] < 0.03 and err[3] < 0.06
    # nothing to spread from: the fallback is a plain gray, never a crash
    none = matte._spread_colour(rgb, np.zeros((h, w), bool), (ys, xs), 4)
    assert np.all(none == 0.5)


def test_small_solver_matches_lapack():
    rng = np.random.default_rng(5)
    for _ in range(50):
        a = rng.normal(size=(6, 6)) + 2 * np.eye(6)
        b = rng.normal(size=(6, 3))
        assert np.allclose(matte._solve_small(a, b), np.linalg.solve(a, b), rtol=1e-9, atol=1e-12)
    # a zero on the diagonal needs the row swap
    perm = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    assert np.allclose(matte._solve_small(perm, np.array([4.0, 1.0, 9.0])), [1.0, 2.0, 3.0])
