# SPDX-License-Identifier: GPL-3.0-or-later
"""Print checks on meshes whose answers are known by construction; every count is exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from figurine_forge.core import printcheck
from figurine_forge.core.errors import BadInputError
from figurine_forge.core.mesh.trimesh import TriMesh
from printcheck_meshes import (CUBE_F, FRONT, TOP, box, cube, cube_with_slivers, join, sheared_box,
                               uv_sphere)


def check(mesh, **kw):
    settings = printcheck.preset(kw.pop("preset", "resin"), **kw)
    a = printcheck.analyze(mesh, settings)
    json.dumps(a.to_dict(include_indices=True), allow_nan=False)  # the report is always valid JSON
    return a


def test_closed_cube_is_clean():
    a = check(cube(10.0))
    r = a.report
    c = r["checks"]
    assert r["passed"] is True and r["failures"] == [] and r["warnings"] == []
    for key in ("non_manifold_edges", "flipped_edges", "boundary_loops", "intersecting_faces", "degenerate_faces",
                "distorted_faces", "thin_faces", "sharp_edges", "overhang_faces"):
        assert c[key] == 0, key
    assert c["loose_parts"] == 1
    assert r["size_mm"] == [10.0, 10.0, 10.0]
    assert r["volume_ml"] == pytest.approx(1.0)
    assert r["surface_area_mm2"] == pytest.approx(600.0)
    assert r["stable"] is True and r["stability"]["margin_mm"] == pytest.approx(5.0)
    assert r["stability"]["center_of_mass_mm"] == pytest.approx([5.0, 5.0, 5.0])
    # Nothing within the probe: the minimum is reported as "at least the probe".
    assert c["min_thickness_mm"] == pytest.approx(1.2) and c["min_thickness_capped"] is True
    assert r["material"]["weight_g"] == pytest.approx(1.1)


def test_cube_missing_one_side_has_four_boundary_edges_and_one_hole():
    m = cube(10.0)
    m = TriMesh(m.vertices, np.delete(m.triangles, list(TOP), axis=0))
    c = check(m).report["checks"]
    assert c["non_manifold_edges"] == 4
    assert c["boundary_edges"] == 4
    assert c["boundary_loops"] == 1
    assert c["flipped_edges"] == 0
    a = check(m)
    assert sorted(map(tuple, a.edges[a.elements["boundary_edges"]].tolist())) == [(4, 5), (4, 7), (5, 6), (6, 7)]
    assert a.report["passed"] is False and "non_manifold_edges" in a.report["failures"]


def test_cube_with_one_side_flipped():
    m = cube(10.0)
    t = m.triangles.copy()
    t[list(FRONT)] = t[list(FRONT)][:, ::-1]
    a = check(TriMesh(m.vertices, t))
    c = a.report["checks"]
    # The side's two triangles agree with each other (their diagonal is fine) but not with the
    # four sides around them.
    assert c["flipped_edges"] == 4
    assert c["non_manifold_edges"] == 0 and c["boundary_loops"] == 0
    assert c["sharp_edges"] == 0  # reported as flipped, not as razor edges
    assert a.report["failures"] == ["flipped_edges"]


def test_two_interpenetrating_cubes():
    # A small cube pokes through the right side (x = 10) of a big one. The right side's two
    # triangles are crossed, and both triangles of each of the small cube's four long sides;
    # its end inside and its end outside cross nothing.
    big = cube(10.0)
    small = box((8.0, 2.0, 3.5), (12.0, 6.0, 7.5))
    a = check(join(big, small))
    c = a.report["checks"]
    assert c["intersecting_faces"] == 10
    # Small cube: bottom, top, front, back cross; its right (6, 7) and left (10, 11) ends do not.
    assert sorted(a.elements["intersecting_faces"].tolist()) == [6, 7] + [12 + i for i in (0, 1, 2, 3, 4, 5, 8, 9)]
    assert c["loose_parts"] == 2 and c["floating_parts"] == 0
    assert c["non_manifold_edges"] == 0
    assert a.report["failures"] == ["intersecting_faces"]


def test_separate_cubes_touching_nothing_do_not_intersect():
    a = check(join(cube(10.0), cube(4.0, offset=(20.0, 0.0, 0.0))))
    assert a.report["checks"]["intersecting_faces"] == 0
    assert a.report["checks"]["loose_parts"] == 2


@pytest.mark.parametrize("height,preset,thin", [(32.0, "resin", 4), (100.0, "resin", 0), (100.0, "fdm", 4)])
def test_thin_plate_judged_at_print_size(height, preset, thin):
    # A fin 20 x 0.3 x 32 mm at 32 mm tall, modelled in units where it is 1 tall.
    unit = 1.0 / 32.0
    fin = box((0, 0, 0), (20 * unit, 0.3 * unit, 1.0))
    r = printcheck.check_trimesh(fin, height_mm=height, preset=preset)
    c = r["checks"]
    # Only the two broad sides (two triangles each) look across the plate.
    assert c["thin_faces"] == thin
    wall = 0.3 * height / 32.0
    assert c["min_thickness_mm"] == pytest.approx(wall, abs=1e-4)
    assert c["thin_regions"] == (2 if thin else 0)
    assert r["passed"] is (thin == 0)
    assert r["size_mm"][2] == pytest.approx(height)


def test_thin_plate_thickness_map():
    fin = box((0, 0, 0), (20.0, 0.3, 32.0))
    a = check(fin)
    assert np.allclose(a.face_thickness[[4, 5, 8, 9]], 0.3)  # front and back sides
    assert np.all(np.isinf(np.delete(a.face_thickness, [4, 5, 8, 9])))
    # Every corner touches a broad side, so the whole map reads 0.3 mm.
    assert np.allclose(a.vertex_thickness, 0.3)
    assert a.report["thin_regions"][0]["min_thickness_mm"] == pytest.approx(0.3)


def test_min_wall_override():
    fin = box((0, 0, 0), (20.0, 0.3, 32.0))
    assert check(fin, min_wall_mm=0.25).report["checks"]["thin_faces"] == 0
    assert check(fin, min_wall_mm=0.35).report["checks"]["thin_faces"] == 4


def test_detached_floating_sphere_is_a_second_part():
    body = cube(10.0)
    ball = uv_sphere(center=(5.0, 5.0, 16.0), radius=2.0)
    assert ball.volume() > 0  # outward winding
    a = check(join(body, ball))
    r = a.report
    assert r["checks"]["loose_parts"] == 2
    assert r["checks"]["floating_parts"] == 1
    assert r["checks"]["tiny_parts"] == 0
    assert r["checks"]["intersecting_faces"] == 0
    assert "floating_parts" in r["failures"]
    assert len(a.elements["floating_part_faces"]) == len(ball.triangles)
    assert a.elements["floating_part_faces"].min() == 12


def test_tiny_speck_is_flagged():
    a = check(join(cube(10.0), cube(0.5, offset=(12.0, 0.0, 0.0))))
    c = a.report["checks"]
    assert c["loose_parts"] == 2 and c["tiny_parts"] == 1 and c["floating_parts"] == 0
    assert a.elements["tiny_part_faces"].tolist() == list(range(12, 24))


def test_leaning_figure_is_unstable():
    a = check(sheared_box(base=4.0, height=20.0, shift=30.0))
    r = a.report
    assert r["stable"] is False
    # Centre of mass at x = 2 + 15 = 17, footprint x in [0, 4].
    assert r["stability"]["center_of_mass_mm"][0] == pytest.approx(17.0)
    assert r["stability"]["margin_mm"] == pytest.approx(-13.0)
    assert "unstable" in r["failures"]
    # The underside of the lean faces the plate at 56 degrees from vertical.
    assert r["checks"]["overhang_faces"] == 2


def test_slight_lean_is_stable():
    r = check(sheared_box(base=4.0, height=20.0, shift=3.0)).report
    assert r["stable"] is True
    assert r["stability"]["margin_mm"] == pytest.approx(0.5)
    assert r["checks"]["overhang_faces"] == 0


def test_zero_area_slivers():
    m = cube_with_slivers(10.0)
    a = check(m)
    c = a.report["checks"]
    assert c["degenerate_faces"] == 2
    assert sorted(a.elements["degenerate_faces"].tolist()) == [len(m.triangles) - 2, len(m.triangles) - 1]
    # The slivers close the mesh: it is watertight and consistently wound.
    assert c["non_manifold_edges"] == 0 and c["flipped_edges"] == 0
    assert c["degenerate_edges"] == 0
    assert c["intersecting_faces"] == 0
    assert a.report["volume_ml"] == pytest.approx(1.0)


def test_degenerate_threshold_is_in_millimetres():
    # A 0.005 mm high triangle is degenerate only when the threshold is above that.
    v = np.array([[0, 0, 0], [10, 0, 0], [5, 0.005, 0]], float)
    f = np.array([[0, 1, 2]])
    assert check(TriMesh(v, f), degenerate_mm=0.001).report["checks"]["degenerate_faces"] == 0
    assert check(TriMesh(v, f), degenerate_mm=0.01).report["checks"]["degenerate_faces"] == 1


def test_sharp_ridge_and_distorted_polygon():
    # A tent: two long slopes meeting at a 10 degree ridge (normals turn 170 degrees).
    half = np.tan(np.radians(5.0)) * 10.0
    v = np.array([[-half, 0, 0], [half, 0, 0], [0, 0, 10], [-half, 20, 0], [half, 20, 0], [0, 20, 10]], float)
    f = np.array([[0, 1, 2], [3, 5, 4], [0, 2, 5], [0, 5, 3], [1, 4, 5], [1, 5, 2], [0, 3, 4], [0, 4, 1]])
    a = check(TriMesh(v, f))
    c = a.report["checks"]
    assert c["non_manifold_edges"] == 0 and c["flipped_edges"] == 0
    assert c["sharp_edges"] == 1
    assert a.edges[a.elements["sharp_edges"]].tolist() == [[2, 5]]
    assert check(TriMesh(v, f), sharp_angle_deg=175.0).report["checks"]["sharp_edges"] == 0
    # The same slopes read as quads: each pair of triangles is one flat polygon; pair two
    # triangles from different slopes instead and that polygon is folded.
    flat = printcheck.analyze(TriMesh(v, f), polygon_of_triangle=np.array([0, 1, 2, 2, 3, 3, 4, 4]))
    assert flat.report["checks"]["distorted_faces"] == 0
    bent = printcheck.analyze(TriMesh(v, f), polygon_of_triangle=np.array([0, 1, 2, 3, 2, 3, 4, 4]))
    assert bent.report["checks"]["distorted_faces"] == 2
    assert sorted(bent.elements["distorted_faces"].tolist()) == [2, 3, 4, 5]


def test_fragile_pin():
    # A 0.8 mm square pin 20 mm long: thicker than the 0.6 mm minimum, thinner than the
    # 1.2 mm fragile limit and 25 times as long as it is thick.
    a = check(box((0, 0, 0), (0.8, 0.8, 20.0)))
    c = a.report["checks"]
    assert c["thin_faces"] == 0
    assert c["fragile_protrusions"] == 1
    assert len(a.elements["fragile_faces"]) == 8  # the four long sides
    assert a.report["fragile_protrusions"][0]["median_thickness_mm"] == pytest.approx(0.8)
    assert a.report["passed"] is True and a.report["warnings"] == ["fragile_protrusions"]
    assert check(box((0, 0, 0), (5.0, 5.0, 20.0))).report["checks"]["fragile_protrusions"] == 0


def test_presets_and_overrides():
    assert printcheck.preset("resin").min_wall_mm == 0.6
    assert printcheck.preset("fdm").min_wall_mm == 1.0
    assert printcheck.preset("custom", min_wall_mm=0.8).min_wall_mm == 0.8
    assert printcheck.preset("fdm", min_wall_mm=None).min_wall_mm == 1.0
    with pytest.raises(BadInputError):
        printcheck.preset("laser")
    with pytest.raises(BadInputError):
        printcheck.preset("resin", min_wall_mm=-1)
    with pytest.raises(BadInputError):
        printcheck.preset("resin", wall=1)
    with pytest.raises(BadInputError):
        printcheck.preset("resin", fail_on=("thin_faces", "nonsense"))
    # A check moved out of fail_on becomes a warning.
    fin = box((0, 0, 0), (20.0, 0.3, 32.0))
    r = check(fin, fail_on=("non_manifold_edges",)).report
    assert r["passed"] is True and "thin_faces" in r["warnings"]


def test_scale_to_height_and_bad_input():
    m = printcheck.scale_to_height(cube(2.0, offset=(0, 0, 5.0)), 32.0)
    assert np.allclose(m.size(), 32.0) and m.bounds()[0][2] == pytest.approx(0.0)
    with pytest.raises(BadInputError):
        printcheck.scale_to_height(cube(1.0), 0.0)
    with pytest.raises(BadInputError):
        printcheck.run_checks(TriMesh(np.zeros((0, 3)), np.zeros((0, 3), np.int64)))
    with pytest.raises(BadInputError):
        printcheck.run_checks(TriMesh(CUBE_F.astype(float) * np.nan, CUBE_F % 8))


def test_required_report_shape():
    r = printcheck.run_checks(cube(10.0))
    assert set(r) >= {"passed", "size_mm", "volume_ml", "stable", "checks"}
    assert set(r["checks"]) >= {"non_manifold_edges", "flipped_edges", "boundary_loops", "intersecting_faces",
                                "degenerate_faces", "distorted_faces", "thin_faces", "min_thickness_mm",
                                "sharp_edges", "overhang_faces", "loose_parts"}
    assert "elements" not in r
    assert "elements" in printcheck.run_checks(cube(10.0), include_indices=True)
