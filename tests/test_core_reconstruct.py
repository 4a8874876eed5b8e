# SPDX-License-Identifier: GPL-3.0-or-later
"""The local reconstruction on silhouettes with known solids behind them."""

import math

import numpy as np
import pytest

from figurine_forge.core.errors import BadInputError, CancelledError
from figurine_forge.core.images.prepare import PreparedView, ViewSet
from figurine_forge.core.mesh.trimesh import is_consistently_oriented, non_manifold_edge_count
from figurine_forge.core.reconstruct import HullSettings, reconstruct_mesh

S = 256


def view(slot, matte):
    return PreparedView(slot, np.zeros((S, S, 3), np.uint8), matte.astype(np.float32))


def disk(cx=128, cy=128, r=100):
    y, x = np.mgrid[0:S, 0:S] + 0.5
    return np.clip(r - np.hypot(x - cx, y - cy) + 0.5, 0, 1)


def rect(x0, x1, y0, y1):
    y, x = np.mgrid[0:S, 0:S] + 0.5
    return ((x >= x0) & (x < x1) & (y >= y0) & (y < y1)).astype(np.float32)


def test_sphere_from_four_disks():
    vs = ViewSet({slot: view(slot, disk()) for slot in ("front", "back", "left", "right")})
    mesh = reconstruct_mesh(vs, resolution=96)
    # Normalised: height 1 → the sphere's radius is 0.5.
    assert mesh.volume() == pytest.approx(4 / 3 * math.pi * 0.5 ** 3, rel=0.04)
    lo, hi = mesh.bounds()
    assert lo[2] == pytest.approx(0.0, abs=0.02) and hi[2] == pytest.approx(1.0, abs=0.02)
    assert np.allclose((lo + hi)[:2] / 2, 0.0, atol=0.01)
    assert non_manifold_edge_count(mesh.triangles) == 0
    assert is_consistently_oriented(mesh.triangles)


def test_rounded_prior_makes_cylinders_not_boxes():
    # A 100 px wide, 200 px tall rectangle from the front and the side: the visual hull is a
    # square prism (volume w*w*h); the rounded prior gives a cylinder (pi/4 of it).
    r = rect(78, 178, 28, 228)
    vs = ViewSet({"front": view("front", r), "left": view("left", r)})
    mesh = reconstruct_mesh(vs, resolution=96)
    w, h = 0.5, 1.0
    assert mesh.volume() == pytest.approx(math.pi / 4 * w * w * h, rel=0.05)
    boxy = reconstruct_mesh(vs, settings=HullSettings(resolution=96, roundness=12.0))
    assert boxy.volume() > 1.15 * mesh.volume()


def test_side_views_set_the_depth_and_their_direction_matters():
    # Front: narrow; left view: a wide shape offset towards the viewer's right, which in a
    # left view (camera at -X, image right = -Y) is the figure's front (-Y).
    front = rect(103, 153, 28, 228)
    left = rect(118, 218, 28, 228)
    mesh = reconstruct_mesh(ViewSet({"front": view("front", front), "left": view("left", left)}), resolution=96)
    size = mesh.size()
    assert size[0] == pytest.approx(0.25, abs=0.02) and size[1] == pytest.approx(0.5, abs=0.02)
    # Only the left view given: depth is centred by its own bounding box.
    assert abs((mesh.bounds()[0][1] + mesh.bounds()[1][1]) / 2) < 0.02


def test_two_legs_stay_two_legs():
    legs = np.maximum(rect(70, 110, 28, 228), rect(146, 186, 28, 228))
    vs = ViewSet({"front": view("front", legs), "left": view("left", rect(108, 148, 28, 228))})
    mesh = reconstruct_mesh(vs, resolution=96)
    from figurine_forge.core.mesh.trimesh import shell_count

    assert shell_count(mesh) == 2


def test_front_only_uses_a_depth_guess():
    vs = ViewSet({"front": view("front", rect(78, 178, 28, 228))})
    mesh = reconstruct_mesh(vs, resolution=64, settings=HullSettings(resolution=64, depth_ratio=0.5))
    assert mesh.size()[1] == pytest.approx(0.5 * mesh.size()[0], rel=0.1)


def test_bad_inputs():
    with pytest.raises(BadInputError, match="front view is missing"):
        reconstruct_mesh(ViewSet({"left": view("left", disk())}))
    with pytest.raises(BadInputError, match="no character"):
        reconstruct_mesh(ViewSet({"front": view("front", np.zeros((S, S)))}))


def test_cancel_stops_reconstruction():
    vs = ViewSet({"front": view("front", disk())})
    with pytest.raises(CancelledError):
        reconstruct_mesh(vs, resolution=48, cancel=lambda: True)
