# SPDX-License-Identifier: GPL-3.0-or-later
"""Parts that lie along a view (an animal's barrel, seen long from the side and end-on from
the front) are rounded as tubes: near the belly a horizontal slice is the chord of the barrel,
not the widest thing the front view shows at that height (the legs' tops). Plates (a base)
and upright figures are not tubes and keep their width."""

import numpy as np
import pytest

from figurine_forge.core.images.prepare import ViewSet
from figurine_forge.core.mesh.trimesh import TriMesh, shell_count
from figurine_forge.core.reconstruct import reconstruct_mesh
from figurine_forge.core.voxelize import voxelize
from test_core_reconstruct import disk, rect, view  # drawn silhouettes, 256 px

GROUND, TOP = 228, 60  # rows of the feet and the back: the figure is 168 px tall
PX = 1.0 / (GROUND - TOP)  # one pixel in normalised units


def width_along_x(mesh: TriMesh, y: float, z: float) -> float:
    """Solid length along X through a thin window around (y, z), normalised units."""
    step = 0.003
    lo = np.array([-0.6, y - 0.01, z - 0.006])
    shape = np.ceil((np.array([0.6, y + 0.01, z + 0.006]) - lo) / step).astype(int)
    return float(voxelize(mesh, lo, step, shape).sum(axis=0).mean() * step)


def barrel_on_four_legs():
    """Side: a barrel 160 px long and 60 px tall (rows 60-120) on four legs. Front: the
    barrel end-on (a disc of radius 30) on two leg columns near its sides, so just above the
    belly the front view's row is much wider than the barrel's own chord there."""
    body = np.maximum(rect(78, 178, TOP, 120), np.maximum(disk(78, 90, 30), disk(178, 90, 30)))
    side = body
    for x0 in (80, 98, 146, 164):
        side = np.maximum(side, rect(x0, x0 + 12, 100, GROUND))
    front = np.maximum(disk(128, 90, 30), np.maximum(rect(106, 120, 100, GROUND), rect(136, 150, 100, GROUND)))
    return front, side


def test_a_barrel_is_round_near_its_belly_not_as_wide_as_the_legs():
    front, side = barrel_on_four_legs()
    views = {"front": view("front", front), "back": view("back", front[:, ::-1]),
             "left": view("left", side), "right": view("right", side[:, ::-1])}
    mesh = reconstruct_mesh(ViewSet(views), resolution=112)
    assert shell_count(mesh) == 1
    # Between the front and the hind legs (the side view's columns 110..146 are belly only),
    # close above the belly: the barrel's chords 3 and 6 px up are 2 * sqrt(30^2 - 27^2) = 26
    # and 2 * sqrt(30^2 - 24^2) = 36 px. The front view's rows there (legs' tops and barrel)
    # are 44 px wide, and a slice rounded within the hull kept 42-43 px of them.
    for up, chord in ((3, 26.2), (6, 36.0)):
        assert width_along_x(mesh, 0.0, (GROUND - 120 + up) * PX) == pytest.approx(chord * PX, rel=0.12), up
    # On the barrel's axis it is as wide as it is tall.
    assert width_along_x(mesh, 0.0, (GROUND - 90) * PX) == pytest.approx(60 * PX, rel=0.05)
    # The legs (upright: long runs up and down) keep their width: two 14 px columns.
    assert width_along_x(mesh, -0.25, 0.3) == pytest.approx(28 * PX, rel=0.12)


def test_a_base_lying_along_the_side_view_keeps_its_width():
    # A 60 px figure on a 200 px wide, 12 px thin base: from the side the base lies along the
    # view like a barrel, but from the front it is as wide as from the side, never a tube.
    fig = rect(98, 158, TOP, GROUND - 12)
    base = rect(28, 228, GROUND - 12, GROUND)
    both = np.maximum(fig, base)
    views = {s: view(s, both[:, ::-1] if s == "right" else both) for s in ("front", "back", "left", "right")}
    mesh = reconstruct_mesh(ViewSet(views), resolution=112)
    # Beyond the figure, where the side view shows the base alone: a base is rounded as a
    # disc 200 px across, whose chord 0.45 from its centre (75.6 px) is 131 px.
    for y in (-0.45, 0.45):
        assert width_along_x(mesh, y, 6 * PX) == pytest.approx(131 * PX, rel=0.1), y
    assert width_along_x(mesh, 0.0, 0.5) == pytest.approx(60 * PX, rel=0.15)
