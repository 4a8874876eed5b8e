# SPDX-License-Identifier: GPL-3.0-or-later
"""Print preparation over arrays (no Blender): bases, distances, orientation, contact,
hollowing, input guards and the 3MF package."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

from figurine_forge.core.mesh import threemf
from figurine_forge.core.errors import BadInputError, OutputError
from figurine_forge.core.mesh.trimesh import TriMesh, is_consistently_oriented, non_manifold_edge_count, shell_count
from figurine_forge.core.repair import (check_triangle_budget, drop_floating_bits, edge_report, validate_mesh)
from figurine_forge.core.repair import bases, contact, hollow, orient
from figurine_forge.core.repair.nearest import (nearest_distances, point_triangle_sq_distance, sample_surface,
                                                surface_deviation)
from helpers import cube
from repair_meshes import combine, cylinder, ellipsoid, figure


def closed_and_outward(m: TriMesh) -> bool:
    return non_manifold_edge_count(m.triangles) == 0 and is_consistently_oriented(m.triangles) and m.volume() > 0


# -- bases ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,size", [("round25", (25, 25)), ("round32", (32, 32)), ("round40", (40, 40)),
                                       ("round50", (50, 50)), ("square25", (25, 25)), ("oval", (60, 35)),
                                       ("oval75x42", (75, 42)), ("hex32", (32 * 2 / np.sqrt(3), 32))])
@pytest.mark.parametrize("texture", [0.0, 0.4])
def test_bases_are_one_closed_shell_of_the_named_size(name, size, texture):
    spec = bases.parse_preset(name, thickness=3.0, bevel=0.6, texture=texture)
    m = bases.make_base(spec)
    assert closed_and_outward(m) and shell_count(m) == 1
    ext = m.size()
    assert ext[:2] == pytest.approx(size, abs=0.01)
    assert ext[2] == pytest.approx(3.0 + texture, abs=texture + 1e-9) and ext[2] >= 3.0
    assert m.bounds()[0][2] == pytest.approx(0.0)


def test_base_volume_matches_the_prism_minus_the_chamfer():
    flat = bases.make_base(bases.parse_preset("square25", thickness=3.0, bevel=0.0))
    assert flat.volume() == pytest.approx(25 * 25 * 3, rel=1e-9)
    bevelled = bases.make_base(bases.parse_preset("square25", thickness=3.0, bevel=0.6))
    # A 45° chamfer of 0.6 mm along the 4 × 25 mm rim removes about 0.18 mm² of section per mm.
    assert 25 * 25 * 3 - bevelled.volume() == pytest.approx(4 * 25 * 0.6 * 0.6 / 2, rel=0.05)
    # Round: the section at mid-height is the disc of the named diameter.
    disc = bases.make_base(bases.parse_preset("round32"))
    assert contact.section_area(disc, 1.0) == pytest.approx(np.pi * 16 ** 2, rel=1e-3)


def test_textured_base_top_is_rough_but_the_rim_stays_flat():
    spec = bases.parse_preset("round32", texture=0.5)
    m = bases.make_base(spec)
    top = m.vertices[m.vertices[:, 2] > 2.9]
    r = np.hypot(top[:, 0], top[:, 1])
    assert np.ptp(top[r < 10, 2]) > 0.2  # relief in the middle
    assert np.allclose(top[r > 15.3, 2], 3.0)  # the bevelled edge is untouched


@pytest.mark.parametrize("bad", ["triangle32", "roundx", "square25x30", "round2", "hex9999"])
def test_unknown_or_impossible_bases_are_refused_with_a_hint(bad):
    with pytest.raises(BadInputError) as err:
        bases.parse_preset(bad)
    assert err.value.hint and "\n" not in err.value.one_line()


def test_base_outline_test():
    spec = bases.parse_preset("round32", bevel=0.6)
    inside = bases.inside_outline(spec, np.array([[0, 0], [15.0, 0], [15.5, 0], [0, -16.1]]))
    assert inside.tolist() == [True, True, False, False]


# -- distances ------------------------------------------------------------------------------
def test_point_triangle_distance_matches_dense_sampling():
    rng = np.random.default_rng(4)
    a, b, c = rng.normal(size=(3, 300, 3))
    p = rng.normal(size=(300, 3)) * 2
    exact = np.sqrt(point_triangle_sq_distance(p, a, b, c))
    s = rng.random((4000, 2))
    s[s.sum(1) > 1] = 1 - s[s.sum(1) > 1]
    pts = a[:, None] + s[None, :, :1] * (b - a)[:, None] + s[None, :, 1:] * (c - a)[:, None]
    sampled = np.sqrt(((pts - p[:, None]) ** 2).sum(-1).min(1))
    assert np.all(sampled >= exact - 1e-12)  # nothing on the triangle is closer
    assert np.all(sampled - exact < 0.15)  # and the sampling gets close to it


def test_nearest_distances_to_a_box_are_exact_inside_and_out():
    box = cube(2.0)
    p = np.random.default_rng(1).uniform(-4, 4, (3000, 3))
    q = np.abs(p) - 1
    expected = np.linalg.norm(np.maximum(q, 0), axis=1) + np.abs(np.minimum(q.max(axis=1), 0))
    d, tri = nearest_distances(box, p)
    assert np.abs(d - expected).max() < 1e-9
    assert (tri >= 0).all() and (tri < 12).all()


def test_deviation_of_an_offset_surface_is_the_offset():
    inner = ellipsoid((5, 5, 5), (0, 0, 0), 96, 48)
    outer = inner.transformed(1.02)  # 0.1 mm further out everywhere
    dev = surface_deviation(inner, outer, samples=20_000)
    assert dev["mean_mm"] == pytest.approx(0.1, rel=0.05)
    assert dev["max_mm"] == pytest.approx(0.1, rel=0.1)
    same = surface_deviation(inner, inner, samples=5000)
    assert same["max_mm"] < 1e-9


def test_deviation_can_leave_out_faces_buried_inside_the_result():
    # Two overlapping boxes: the original's faces inside the union are not a visible change.
    original = combine(cube(2.0), cube(2.0, (1.0, 0, 0)))
    union = TriMesh(np.array([[-1, -1, -1], [2, -1, -1], [2, 1, -1], [-1, 1, -1],
                              [-1, -1, 1], [2, -1, 1], [2, 1, 1], [-1, 1, 1]], float),
                    np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                              [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]))
    plain = surface_deviation(original, union, samples=4000)
    assert plain["original_to_result"]["max_mm"] > 0.4
    kept = surface_deviation(original, union, samples=4000, internal_depth=0.01)
    assert kept["original_to_result"]["max_mm"] < 0.011
    assert kept["original_to_result"]["internal_excluded_fraction"] == pytest.approx(1 / 6, abs=0.03)


def test_surface_samples_are_uniform_by_area():
    m = combine(cube(1.0), cube(2.0, (5, 0, 0)))  # the big cube has 4 × the area
    p = sample_surface(m, 20_000, seed=2)
    assert np.mean(p[:, 0] > 2.5) == pytest.approx(0.8, abs=0.02)


# -- orientation ----------------------------------------------------------------------------
def _rotated(m: TriMesh, rot) -> TriMesh:
    mat = np.eye(4)
    mat[:3, :3] = rot
    return orient.apply_transform(m, mat)


def _front_marker(height=32.0) -> TriMesh:
    """The figure with a nose: a bump on the -Y side of the head, to follow the facing."""
    return combine(figure(height), ellipsoid((0.8, 1.5, 0.8), (0, -3.2, 28.5), 12, 6))


@pytest.mark.parametrize("rot,label,up", [
    (np.eye(3), "+Z up", "AUTO"),
    (np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]), "Y up, facing +Z (glTF)", "AUTO"),
    # Upside down is never guessed (a big-headed figure would be turned onto its head): told.
    (np.diag([1.0, -1.0, -1.0]), "upside down", "-Z"),
    (np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]), "lying along X", "AUTO"),
])
def test_orient_stands_the_figure_up_feet_down(rot, label, up):
    original = _front_marker()
    tilted = _rotated(original, rot).transformed(1.0, (3.0, -2.0, 7.0))
    matrix, info = orient.upright_transform(tilted, up)
    upright = orient.apply_transform(tilted, matrix)
    lo, hi = upright.bounds()
    assert lo[2] == pytest.approx(0.0, abs=1e-9) and hi[2] == pytest.approx(32.0, abs=1e-6), label
    # Feet down: the legs (two separate columns) are at the bottom, the head at the top.
    assert contact.section_area(upright, 5.0) == pytest.approx(2 * np.pi * 1.6 ** 2, rel=0.05), label
    assert np.allclose((lo + hi)[:2] / 2, 0.0, atol=1e-9)
    assert upright.volume() == pytest.approx(original.volume(), rel=1e-9)  # a rotation, winding kept


def test_orient_turns_a_gltf_figure_to_face_minus_y():
    original = _front_marker()
    gltf = _rotated(original, np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]))  # Y up, nose at +Z
    upright = orient.apply_transform(gltf, orient.upright_transform(gltf)[0])
    nose = upright.vertices[len(figure().vertices):]
    assert nose[:, 1].mean() < -1.5  # the nose is on the -Y side again


def test_orient_can_be_told_the_up_axis_and_a_turn():
    m = _front_marker()
    matrix, info = orient.upright_transform(m, up="+Z", turn_quarters=2)
    turned = orient.apply_transform(m, matrix)
    assert turned.vertices[len(figure().vertices):, 1].mean() > 1.5  # now facing +Y
    with pytest.raises(BadInputError):
        orient.upright_transform(m, up="sideways")


# -- contact --------------------------------------------------------------------------------
def test_section_area_of_a_cylinder_and_of_a_box():
    cyl = cylinder(2.0, 0.0, 10.0, (1.0, 1.0), seg=256)
    assert contact.section_area(cyl, 4.0) == pytest.approx(np.pi * 4, rel=1e-3)
    assert contact.section_area(cube(3.0), 0.0) == pytest.approx(9.0)
    assert contact.section_area(cube(3.0), 5.0) == 0.0


def test_feet_contact_reports_reach_gap_and_slivers():
    spec = bases.parse_preset("round25")
    legs = figure(32).transformed(1.0, (0, 0, 2.6))  # lowest point 0.4 mm below the 3 mm top
    ok = contact.feet_contact(legs, spec, 3.0)
    assert ok["feet_reach_base"] and ok["contact_area_mm2"] == pytest.approx(2 * np.pi * 1.6 ** 2, rel=0.05)
    floating = contact.feet_contact(figure(32).transformed(1.0, (0, 0, 4.0)), spec, 3.0)
    assert not floating["feet_reach_base"] and floating["gap_mm"] == pytest.approx(1.0)
    # Standing on the tip of a cone (e.g. a sword point): touches, but on a sliver.
    tip = ellipsoid((4, 4, 10), (0, 0, 13.4), 24, 12)  # bottom at 3.4, above the top
    spike = combine(tip, TriMesh(np.array([[0, 0, 2.6], [0.3, 0, 3.2], [-0.15, 0.26, 3.2], [-0.15, -0.26, 3.2],
                                           [0, 0, 3.4]]), np.array([[0, 2, 1], [0, 3, 2], [0, 1, 3], [1, 2, 4],
                                                                     [2, 3, 4], [3, 1, 4]])))
    sliver = contact.feet_contact(spike, spec, 3.0)
    assert not sliver["feet_reach_base"] and "mm²" in sliver["message"]
    wide = contact.feet_contact(figure(32).transformed(4.0, (0, 0, 2.6)), spec, 3.0)
    assert not wide["feet_reach_base"] and "overhangs" in wide["message"]


def test_suggested_base_holds_the_footprint():
    assert contact.suggest_round_base(figure(32)) == 25.0
    assert contact.suggest_round_base(figure(32).transformed(3.0)) == 32.0
    assert contact.suggest_round_base(figure(32).transformed(5.0)) == 50.0


# -- hollowing ------------------------------------------------------------------------------
def test_cavity_of_a_box_keeps_the_wall_and_has_drains():
    box = cube(20.0, (0, 0, 10))
    cut = hollow.cavity_cutter(box, 2.0, 2.0)
    assert cut is not None and cut.cavities == 1
    assert closed_and_outward(cut.mesh) and shell_count(cut.mesh) == 1
    # The cavity is the box shrunk by the wall (plus half a grid step of margin).
    level = 2.0 + 0.5 * cut.spacing
    expected = (20 - 2 * level) ** 3
    assert cut.cavity_volume_estimate == pytest.approx(expected, rel=0.08)
    assert 1 <= len(cut.drains) <= 2
    for d in cut.drains:
        assert d["z_bottom"] < 0 < d["z_top"] and d["diameter"] == 2.0
    # Every cavity vertex away from the drains is at least the wall from the outside.
    v = cut.mesh.vertices
    far = np.ones(len(v), bool)
    for d in cut.drains:
        far &= np.hypot(v[:, 0] - d["x"], v[:, 1] - d["y"]) > d["diameter"] / 2 + 2 * cut.spacing
    dist = nearest_distances(box, v[far])[0]
    assert dist.min() >= 2.0 - 0.05 * cut.spacing


def test_nothing_to_hollow_in_a_thin_part_and_bad_walls():
    assert hollow.cavity_cutter(cube(3.0, (0, 0, 1.5)), 2.0) is None
    with pytest.raises(BadInputError):
        hollow.cavity_cutter(cube(3.0), float("nan"))


def test_volume_saving_is_measured_from_the_meshes():
    solid = cube(10.0)
    shell = combine(cube(10.0), TriMesh(cube(6.0).vertices, cube(6.0).triangles[:, ::-1]))
    s = hollow.volume_saving(solid, shell)
    assert s["saved_mm3"] == pytest.approx(216.0) and s["saved_percent"] == pytest.approx(21.6)
    assert s["resin_after_ml"] == pytest.approx(0.784)


# -- guards and helpers ---------------------------------------------------------------------
def test_input_guards_give_one_line_messages():
    with pytest.raises(BadInputError, match="no faces"):
        validate_mesh(TriMesh(np.zeros((0, 3)), np.zeros((0, 3))))
    bad = cube(1.0)
    bad.vertices[3, 1] = np.nan
    with pytest.raises(BadInputError, match="NaN"):
        validate_mesh(bad)
    with pytest.raises(BadInputError, match="5,000,000 triangles"):
        check_triangle_budget(5_000_000)
    check_triangle_budget(5_000_000, limit=6_000_000)  # the limit is configurable
    with pytest.raises(BadInputError, match="more than the 10"):
        validate_mesh(cube(1.0), limit=10)


def test_triangle_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("FIGURINE_MAX_TRIANGLES", "11")
    with pytest.raises(BadInputError, match="more than the 11"):
        validate_mesh(cube(1.0))


def test_floating_bits_go_large_parts_and_open_sheets_stay():
    big = cube(10.0)
    speck = cube(0.5, (20, 0, 0))
    sheet = TriMesh(np.array([[0, 0, 20], [10, 0, 20], [10, 10, 20], [0, 10, 20]], float), [[0, 1, 2], [0, 2, 3]])
    cleaned, removed = drop_floating_bits(combine(big, speck, sheet))
    assert removed == 1 and shell_count(cleaned) == 2


def test_edge_report_matches_the_reference_helpers():
    fig = figure(32)
    holed = TriMesh(fig.vertices, np.delete(fig.triangles, [5, 50], axis=0))
    flipped = TriMesh(fig.vertices, np.concatenate([fig.triangles[:3, ::-1], fig.triangles[3:]]))
    for m in (fig, holed, flipped):
        r = edge_report(m)
        assert r["non_manifold_edges"] == non_manifold_edge_count(m.triangles)
        assert r["consistent_normals"] == is_consistently_oriented(m.triangles)


# -- 3MF ------------------------------------------------------------------------------------
def test_3mf_is_a_valid_package_in_millimetres(tmp_path):
    mesh = bases.make_base(bases.parse_preset("hex32"))
    path = threemf.write_3mf(tmp_path / "base.3mf", mesh, name='Hex & "base"')
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"} <= names
        types = ElementTree.fromstring(zf.read("[Content_Types].xml"))
        defaults = {d.get("Extension"): d.get("ContentType") for d in types}
        assert defaults["model"] == "application/vnd.ms-package.3dmanufacturing-3dmodel+xml"
        assert defaults["rels"] == "application/vnd.openxmlformats-package.relationships+xml"
        rels = ElementTree.fromstring(zf.read("_rels/.rels"))
        rel = [r for r in rels if r.get("Type") == "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"]
        assert len(rel) == 1 and rel[0].get("Target") == "/3D/3dmodel.model"
        model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
    ns = {"m": "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"}
    assert model.tag == "{%s}model" % ns["m"] and model.get("unit") == "millimeter"
    obj = model.find("m:resources/m:object", ns)
    assert obj.get("type") == "model" and obj.get("name") == 'Hex & "base"'
    verts = np.array([[float(v.get(k)) for k in "xyz"] for v in obj.iterfind("m:mesh/m:vertices/m:vertex", ns)])
    tris = np.array([[int(t.get(k)) for k in ("v1", "v2", "v3")]
                     for t in obj.iterfind("m:mesh/m:triangles/m:triangle", ns)])
    assert verts.shape == mesh.vertices.shape and tris.shape == mesh.triangles.shape
    assert np.allclose(verts, mesh.vertices, atol=1e-6) and (tris == mesh.triangles).all()
    item = model.find("m:build/m:item", ns)
    assert item.get("objectid") == obj.get("id")


def test_3mf_refuses_bad_meshes_and_existing_files(tmp_path):
    target = tmp_path / "x.3mf"
    with pytest.raises(BadInputError):
        threemf.write_3mf(target, TriMesh(np.zeros((0, 3)), np.zeros((0, 3))))
    bad = cube(1.0)
    bad.vertices[0, 0] = np.inf
    with pytest.raises(BadInputError):
        threemf.write_3mf(target, bad)
    assert not target.exists()
    threemf.write_3mf(target, cube(1.0))
    before = target.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        threemf.write_3mf(target, cube(2.0), overwrite=False)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.3mf"]  # no temp file left behind


def test_a_drain_never_runs_down_the_outside_of_a_leg():
    """A pipe leaves the solid cleanly (from all-solid to all-air within a few layers) or is not
    drilled: half in a leg, half in the air beside it, a boolean leaves crossing slivers."""
    from figurine_forge.core.repair.hollow import _pipe_exit

    step, radius = 0.25, 1.0
    inside = np.zeros((80, 80, 80), bool)
    inside[:, :, 60:] = True  # a body from z = 15 mm up
    inside[20:36, 20:60, :60] = True  # a leg 4 mm wide below it, along x in [5, 9)
    origin = np.zeros(3)
    # Straight down through the body into the open air beside the leg: a clean exit.
    bottom = _pipe_exit(inside, origin, step, radius, 15.0, 10.0, 17.0)
    assert bottom is not None and 14.0 <= bottom < 15.0
    # Down the leg's side (the pipe's axis on the leg's face at x = 9): refused.
    assert _pipe_exit(inside, origin, step, radius, 9.0, 10.0, 17.0) is None
    # Down the middle of the leg: solid all the way to the floor, out at the bottom.
    bottom = _pipe_exit(inside, origin, step, radius, 7.0, 10.0, 17.0)
    assert bottom is not None and bottom < 0.0
