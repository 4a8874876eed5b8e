# SPDX-License-Identifier: GPL-3.0-or-later
"""Front view only: a part the front shows on its own gets a depth from its own width (the
shape prior), so the evaluation figure's sword blade comes out as a blade (as deep as the
true one or a little more, never a paper-thin sheet nor a slab as deep as the figure)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import bpy  # noqa: F401  (before bmesh, which the figures use)

from figurine_forge.blender import eval_figures
from figurine_forge.core.images.prepare import PreparedView, ViewSet
from figurine_forge.core.mesh.stl import read_stl
from figurine_forge.core.reconstruct import reconstruct_mesh
from figurine_forge.core.voxelize import normalise_figure, voxelize

SIZE, RES = 384, 128
STEP = 1.0 / 400  # voxel size of the measurement (figure height 1)
HEIGHTS = (0.80, 0.86, 0.92)  # above the shoulder, beside the head: the blade alone on its side


def _blade_sections(mesh) -> list[tuple[float, float]]:
    """(width along X, depth along Y) of the blade's cross-section at HEIGHTS: the solid
    columns of the slice from the figure's -X side up to the first empty column."""
    lo, hi = mesh.bounds()
    shape = np.ceil((hi - lo) / STEP).astype(int) + 3
    occ = voxelize(mesh, lo - STEP, STEP, shape)
    out = []
    for frac in HEIGHTS:
        section = occ[:, :, int(round((frac - lo[2]) / STEP)) + 1]
        cols = section.any(axis=1)
        first = int(np.argmax(cols))
        end = first + int(np.argmax(~cols[first:]))
        blade = section[first:end]
        ys = np.flatnonzero(blade.any(axis=0))
        assert len(ys), frac
        # one piece along Y: a blade, not two sheets
        assert ys[-1] - ys[0] + 1 == len(ys), frac
        out.append(((end - first) * STEP, len(ys) * STEP))
    return out


@pytest.fixture(scope="module")
def sword(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sword")
    eval_figures.write_figure("sword", folder, views=("front",), size=SIZE)
    rgb = np.asarray(Image.open(folder / "front.png").convert("RGB"))
    alpha = np.asarray(Image.open(folder / "front_rgba.png").convert("RGBA"), np.float32)[:, :, 3] / 255
    return PreparedView("front", rgb, alpha), normalise_figure(read_stl(folder / "ground_truth.stl"))


def test_front_only_blade_gets_its_own_depth(sword):
    front, truth = sword
    mesh = reconstruct_mesh(ViewSet({"front": front}), resolution=RES)
    for (true_w, true_d), (w, d) in zip(_blade_sections(truth), _blade_sections(mesh)):
        assert abs(w - true_w) <= 0.25 * true_w, (w, true_w)  # the front view's own width
        # not paper-thin: at least the true blade's depth (0.4 x its width) ...
        assert d >= 0.9 * true_d, (d, true_d)
        # ... and no slab: the depth follows the blade's width, not the figure's
        assert d <= 1.1 * w, (d, w)
