# SPDX-License-Identifier: GPL-3.0-or-later
"""Print preparation in Blender (bpy module, source package): make printable, base, hollow,
decimate, orient, export, the operators and bad input. Results are verified with the
print-check engine and with files read back by numpy code, never with Blender's own view."""

from __future__ import annotations

import json
import struct
import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

from figurine_forge.blender import meshio, pipeline, repair
from figurine_forge.core import printcheck
from figurine_forge.core.errors import BadInputError, OutputError
from figurine_forge.core.mesh.trimesh import TriMesh, is_consistently_oriented, non_manifold_edge_count, shell_count
from figurine_forge.core.mesh.stl import read_stl
from helpers import cube
from repair_meshes import damaged_figure, ellipsoid, figure

# Coarser than the 0.04 mm a 32 mm print gets, so the tests stay small (~100k triangles);
# the deviation test below uses the real default.
TEST_VOXEL_MM = 0.15


@pytest.fixture
def scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield bpy.context.scene
    bpy.ops.wm.read_factory_settings(use_empty=True)


def add(tm: TriMesh, name: str = "figure"):
    obj = meshio.trimesh_to_object(tm, name)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def engine(obj) -> dict:
    return printcheck.check_trimesh(meshio.object_to_trimesh(obj))["checks"]


def assert_printable(checks: dict) -> None:
    assert checks["non_manifold_edges"] == 0
    assert checks["intersecting_faces"] == 0
    assert checks["loose_parts"] == 1
    assert checks["flipped_edges"] == 0


@pytest.fixture(scope="module")
def repaired_stl(tmp_path_factory):
    """The damaged figure, made printable and exported; shared by the read-back tests."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = add(damaged_figure(32.0))
    result = repair.make_printable(obj, voxel_size_mm=TEST_VOXEL_MM)
    path = tmp_path_factory.mktemp("repaired") / "figure.stl"
    pipeline.export_object(obj, path)
    checks = engine(obj)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return result, checks, path


def test_damaged_figure_has_every_defect():
    broken = damaged_figure(32.0)
    checks = printcheck.check_trimesh(broken)["checks"]
    assert checks["non_manifold_edges"] > 0 and checks["intersecting_faces"] > 0
    assert checks["loose_parts"] >= 5 and checks["flipped_edges"] > 0


def test_make_printable_fixes_holes_flips_intersections_and_floating_bits(repaired_stl):
    result, checks, _path = repaired_stl
    assert_printable(checks)
    assert result["method"] == "voxel" and result["voxel_size_mm"] == TEST_VOXEL_MM
    assert result["removed_parts"] == 2 and result["holes_filled"] == 6
    assert result["before"]["intersecting_faces"] > 0 and result["after"]["intersecting_faces"] == 0
    assert result["after"]["watertight"] and result["after"]["parts"] == 1
    dev = result["deviation"]
    assert 0 < dev["mean_mm"] < TEST_VOXEL_MM / 4 and dev["max_mm"] < 3 * TEST_VOXEL_MM
    json.dumps(result, allow_nan=False)


def test_exported_stl_read_back_is_watertight_at_height(repaired_stl):
    _result, _checks, path = repaired_stl
    tm = read_stl(path)  # numpy reader, independent of Blender
    assert non_manifold_edge_count(tm.triangles) == 0 and is_consistently_oriented(tm.triangles)
    assert shell_count(tm) == 1 and tm.volume() > 0
    assert tm.size()[2] == pytest.approx(32.0, abs=0.1)


def test_clean_mesh_remeshed_at_32mm_deviates_at_most_0_02mm(scene):
    # A slender clean body 32 mm tall (small surface keeps the 0.04 mm remesh light).
    obj = add(ellipsoid((2.5, 2.0, 16.0), (0, 0, 16.0), 96, 96))
    vs, reason = repair.voxel_size_for(meshio.object_to_trimesh(obj))
    assert vs == pytest.approx(0.04) and "32.0 mm print" in reason
    result = repair.make_printable(obj, mode="VOXEL")
    assert result["voxel_size_mm"] == pytest.approx(0.04)
    assert result["deviation"]["mean_mm"] <= 0.02
    assert result["deviation"]["max_mm"] <= 0.1
    assert_printable(engine(obj))


def test_voxel_size_follows_the_print_height_and_the_triangle_budget():
    fig = figure(32.0)
    roomy = 10_000_000  # a budget that does not bind
    assert repair.voxel_size_for(fig, max_triangles=roomy)[0] == pytest.approx(0.04)
    assert repair.voxel_size_for(fig, height_mm=75.0, max_triangles=roomy)[0] == pytest.approx(
        32.0 * 75.0 * repair.VOXEL_PER_HEIGHT / 75.0)
    small = figure(0.032)  # a model in metres, printed at 32 mm: the voxel is in model units
    assert repair.voxel_size_for(small, height_mm=32.0, max_triangles=roomy)[0] == pytest.approx(0.04e-3)
    vs, reason = repair.voxel_size_for(fig, max_triangles=100_000)  # a surface too big for 0.04 mm
    area = fig.face_areas().sum()
    assert vs == pytest.approx(np.sqrt(2.4 * area / 90_000)) and vs > 0.04 and "fits 100,000 triangles" in reason


def test_local_repair_keeps_a_nearly_clean_mesh(scene):
    clean = ellipsoid((6, 5, 16), (0, 0, 16), 32, 16)
    holed = TriMesh(clean.vertices, np.delete(clean.triangles, [40, 200, 301], axis=0))
    flipped = holed.triangles.copy()
    flipped[[10, 90]] = flipped[[10, 90], ::-1]
    obj = add(TriMesh(holed.vertices, flipped))
    result = repair.make_printable(obj)
    assert result["method"] == "local" and result["holes_filled"] == 3
    assert result["after"]["triangles"] == len(clean.triangles)  # each hole closed by one triangle
    # Every original point is still on the surface; only the three hole patches are new.
    assert result["deviation"]["original_to_result"]["max_mm"] < 1e-4
    assert result["deviation"]["result_to_original"]["max_mm"] < 1.0
    assert_printable(engine(obj))


def test_base_fuses_into_one_watertight_shell(scene, tmp_path):
    obj = add(figure(32.0))
    repair.make_printable(obj, voxel_size_mm=TEST_VOXEL_MM, measure_deviation=False)
    result = repair.add_base(obj, "round25", sink_mm=0.4)
    assert result["feet_reach_base"] and result["contact_area_mm2"] > 10
    assert result["after"]["parts"] == 1 and result["after"]["watertight"]
    assert_printable(engine(obj))
    path = tmp_path / "based.stl"
    pipeline.export_object(obj, path)
    tm = read_stl(path)
    assert shell_count(tm) == 1 and non_manifold_edge_count(tm.triangles) == 0
    assert tm.size()[2] == pytest.approx(32.0 + 3.0 - 0.4, abs=0.1)
    assert tm.size()[:2] == pytest.approx([25.0, 25.0], abs=0.05)
    assert tm.bounds()[0][2] == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("base", ["hex32", "oval"])
def test_other_bases_and_the_voxel_union(scene, base):
    obj = add(figure(32.0))
    repair.make_printable(obj, voxel_size_mm=TEST_VOXEL_MM, measure_deviation=False)
    result = repair.add_base(obj, base, method="VOXEL", voxel_size_mm=0.2)
    assert result["method"] == "voxel"
    assert_printable(engine(obj))


def test_an_oval_base_lies_along_an_animals_feet(scene):
    """A four-legged figure facing -Y has its hooves front to back: "oval" (60 mm along X) is
    turned to run along it, and says so; a person's feet, side by side, keep it as given."""
    parts = [ellipsoid((5.0, 11.0, 4.0), (0, 0, 13.0), 32, 16)]
    parts += [ellipsoid((1.6, 1.6, 6.0), (x, y, 6.0), 16, 8) for x in (-3.0, 3.0) for y in (-8.0, 8.0)]
    verts, tris, n = [], [], 0
    for p in parts:
        verts.append(p.vertices)
        tris.append(p.triangles + n)
        n += len(p.vertices)
    animal = add(TriMesh(np.concatenate(verts), np.concatenate(tris)))
    repair.make_printable(animal, voxel_size_mm=TEST_VOXEL_MM, measure_deviation=False)
    result = repair.add_base(animal, "oval", method="VOXEL", voxel_size_mm=0.3)
    assert result["turned"] == "the oval turned to lie along the feet: 35 x 60 mm"
    assert (result["base"]["width_mm"], result["base"]["depth_mm"]) == (35.0, 60.0)
    assert result["feet_reach_base"] and result["footprint_on_base"] == 1.0
    assert result["size_mm"][:2] == pytest.approx([35.0, 60.0], abs=0.1)
    person = add(figure(32.0))
    repair.make_printable(person, voxel_size_mm=TEST_VOXEL_MM, measure_deviation=False)
    kept = repair.add_base(person, "oval", method="VOXEL", voxel_size_mm=0.3)
    assert "turned" not in kept and (kept["base"]["width_mm"], kept["base"]["depth_mm"]) == (60.0, 35.0)


def test_feet_that_do_not_reach_are_reported(scene):
    # The figure stands on a thin spike: its lowest point reaches the base, its feet do not.
    fig = figure(32.0).transformed(1.0, (0, 0, 4.0))
    spike = ellipsoid((0.3, 0.3, 2.5), (2.2, 0, 2.4), 12, 6)  # under the right leg, into it
    obj = add(TriMesh(np.concatenate([fig.vertices, spike.vertices]),
                      np.concatenate([fig.triangles, spike.triangles + len(fig.vertices)])))
    repair.make_printable(obj, voxel_size_mm=TEST_VOXEL_MM, measure_deviation=False)
    result = repair.add_base(obj, "round32")
    assert not result["feet_reach_base"] and "warning" in result
    assert result["contact_area_mm2"] < 1.0


def test_hollow_saves_resin_and_drains(scene):
    body = ellipsoid((7, 5, 16), (0, 0, 16), 48, 24)
    obj = add(body)
    result = repair.hollow(obj, wall_mm=1.5, drain_mm=2.0)
    assert result["changed"] and result["sealed_voids"] == 0 and len(result["drains"]) >= 1
    assert result["min_wall_measured_mm"] >= 1.5
    after = meshio.object_to_trimesh(obj)
    # Honest saving: the volumes of the meshes before and after.
    assert result["volume_before_mm3"] == pytest.approx(body.volume(), rel=1e-6)
    assert result["volume_after_mm3"] == pytest.approx(after.volume(), rel=1e-6)
    assert 30 < result["saved_percent"] < 80
    checks = engine(obj)
    assert checks["non_manifold_edges"] == 0 and checks["intersecting_faces"] == 0
    assert checks["loose_parts"] == 1  # the cavity opens to the outside through the drains
    assert shell_count(after) == 1


def test_hollow_of_a_thin_figure_changes_nothing(scene):
    obj = add(cube(2.0, (0, 0, 1)))
    before = meshio.object_to_trimesh(obj)
    result = repair.hollow(obj, wall_mm=1.5)
    assert not result["changed"] and "nothing to hollow" in result["message"]
    assert np.array_equal(meshio.object_to_trimesh(obj).triangles, before.triangles)


def test_decimate_keeps_the_silhouette(scene):
    obj = add(ellipsoid((7, 5, 16), (0, 0, 16), 128, 64))
    n = len(obj.data.polygons)
    result = repair.decimate(obj, 2000)
    assert result["changed"] and abs(result["triangles_after"] - 2000) <= 20 and result["triangles_before"] == n
    assert result["deviation"]["max_mm"] < 0.25
    assert result["after"]["non_manifold_edges"] == 0
    lo, hi = meshio.object_to_trimesh(obj).bounds()
    assert (hi - lo) == pytest.approx([14, 10, 32], abs=0.2)
    assert not repair.decimate(obj, 5000)["changed"]


def test_orient_bakes_an_upright_figure(scene):
    fig = figure(32.0)
    obj = add(fig)
    obj.rotation_euler = (np.pi / 2, 0, 0)  # lying along -Y as an object transform
    obj.location = (5, 5, 5)
    result = repair.orient(obj)
    assert result["rotated"]
    tm = meshio.object_to_trimesh(obj)
    assert tm.size()[2] == pytest.approx(32.0) and tm.bounds()[0][2] == pytest.approx(0.0, abs=1e-5)
    assert np.allclose(np.array(obj.matrix_world), np.eye(4))


# -- export ---------------------------------------------------------------------------------
def _glb_positions_bounds(path) -> tuple[np.ndarray, np.ndarray]:
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2 and length == len(data)
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    assert chunk_type == b"JSON"
    doc = json.loads(data[20:20 + chunk_len])
    acc = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    return np.array(acc["min"]), np.array(acc["max"])


def test_export_writes_every_format_in_millimetres(scene, tmp_path):
    obj = add(cube(10.0, (0, 0, 5)))
    other = add(cube(3.0, (40, 0, 0)), "not the figure")
    other.select_set(True)
    for fmt in pipeline.EXPORT_FORMATS:
        written = pipeline.export_object(obj, tmp_path / f"fig.{fmt}")
        assert written["format"] == fmt and written["bytes"] > 0
    stl = read_stl(tmp_path / "fig.stl")
    assert stl.size() == pytest.approx([10, 10, 10]) and len(stl.triangles) == 12  # only the figure
    lo, hi = _glb_positions_bounds(tmp_path / "fig.glb")
    assert (hi - lo) == pytest.approx([10, 10, 10], abs=1e-4)  # 1 unit = 1 mm, Y up
    assert hi[1] == pytest.approx(10.0, abs=1e-4)
    with zipfile.ZipFile(tmp_path / "fig.3mf") as zf:
        model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
    ns = {"m": "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"}
    assert model.get("unit") == "millimeter"
    assert len(model.findall(".//m:vertex", ns)) == 8 and len(model.findall(".//m:triangle", ns)) == 12
    assert other.select_get()  # the user's selection is restored
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"fig.{f}" for f in pipeline.EXPORT_FORMATS)


def test_export_applies_modifiers_and_never_overwrites_unless_asked(scene, tmp_path):
    obj = add(cube(10.0))
    obj.modifiers.new("grow", "DISPLACE").strength = 1.0
    path = tmp_path / "fig.3mf"
    pipeline.export_object(obj, path, overwrite=False)
    with zipfile.ZipFile(path) as zf:
        xs = [float(v.get("x")) for v in ElementTree.fromstring(zf.read("3D/3dmodel.model")).iter()
              if v.tag.endswith("vertex")]
    assert max(xs) - min(xs) > 10.5  # the Displace modifier was applied
    before = path.read_bytes()
    for fmt in ("3mf", "glb"):
        target = tmp_path / f"fig.{fmt}"
        target.write_bytes(before) if fmt == "glb" else None
        with pytest.raises(OutputError, match="already exists"):
            pipeline.export_object(obj, target, overwrite=False)
    assert path.read_bytes() == before
    with pytest.raises(OutputError, match="cannot export"):
        pipeline.export_object(obj, tmp_path / "fig.usdz")


def nan_object():
    obj = add(cube(10.0), "nan")
    co = np.zeros(len(obj.data.vertices) * 3, np.float32)
    obj.data.vertices.foreach_get("co", co)
    co[4] = np.nan  # set after creation: mesh.validate() would have zeroed it
    obj.data.vertices.foreach_set("co", co)
    obj.data.update()
    return obj


# -- bad input ------------------------------------------------------------------------------
def test_bad_input_gets_a_clear_message(scene, monkeypatch):
    with pytest.raises(BadInputError, match="no mesh object selected"):
        repair.make_printable(None)
    empty = bpy.data.objects.new("empty mesh", bpy.data.meshes.new("empty mesh"))
    bpy.context.scene.collection.objects.link(empty)
    for step in (repair.make_printable, repair.orient, repair.hollow, repair.add_base):
        with pytest.raises(BadInputError, match="no faces"):
            step(empty)
    with pytest.raises(BadInputError, match="NaN"):
        repair.make_printable(nan_object())
    monkeypatch.setenv("FIGURINE_MAX_TRIANGLES", "1000")
    big = add(ellipsoid((5, 5, 5), (0, 0, 5), 48, 24), "big")
    with pytest.raises(BadInputError, match="more than the 1,000"):
        repair.make_printable(big)
    open_mesh = add(TriMesh(cube(5.0).vertices, cube(5.0).triangles[2:]), "open")
    with pytest.raises(BadInputError, match="Make Printable"):
        repair.add_base(open_mesh, "round25")
    with pytest.raises(BadInputError, match="unknown base"):
        repair.add_base(big, "pentagon20")


# -- operators ------------------------------------------------------------------------------
@pytest.fixture
def operators(scene):
    """The print operators from the source tree, registered for the test (or those of an
    installed copy of the extension, when another test module has already installed it)."""
    from figurine_forge.blender.operators import print_ops

    mine = not hasattr(bpy.types, "FIGURINE_OT_make_printable")
    if mine:
        for cls in print_ops.classes:
            bpy.utils.register_class(cls)
    yield
    if mine:
        for cls in reversed(print_ops.classes):
            bpy.utils.unregister_class(cls)


def test_operators_run_and_report(operators):
    settings = bpy.context.scene.figurine_print
    settings.voxel_size_mm = TEST_VOXEL_MM
    settings.base_size_mm = 25.0
    obj = add(damaged_figure(32.0))
    assert bpy.ops.figurine.orient() == {"FINISHED"}
    assert bpy.ops.figurine.make_printable() == {"FINISHED"}
    report = json.loads(settings.last_report)
    assert report["step"] == "make_printable" and report["voxel_size_mm"] == TEST_VOXEL_MM
    assert bpy.ops.figurine.add_base(base_type="hex") == {"FINISHED"}
    report = json.loads(settings.last_report)
    assert report["base"]["kind"] == "hex" and report["base"]["width_mm"] == 25.0
    assert_printable(engine(obj))
    assert bpy.ops.figurine.decimate(decimate_target=20_000) == {"FINISHED"}
    assert len(meshio.object_to_trimesh(obj).triangles) <= 20_100


def test_operators_refuse_bad_input_and_blender_keeps_going(operators):
    # Called from Python, an operator's error report arrives as a RuntimeError carrying it.
    bpy.context.view_layer.objects.active = None
    for op in (bpy.ops.figurine.orient, bpy.ops.figurine.make_printable, bpy.ops.figurine.add_base,
               bpy.ops.figurine.hollow, bpy.ops.figurine.decimate):
        with pytest.raises(RuntimeError, match="no mesh object selected — select the figure"):
            op()
    bpy.context.view_layer.objects.active = nan_object()
    with pytest.raises(RuntimeError, match="NaN or infinite"):
        bpy.ops.figurine.make_printable()
    # Still running: the next valid call works.
    add(figure(32.0), "good")
    assert bpy.ops.figurine.orient() == {"FINISHED"}


def test_boolean_solvers_are_read_from_blenders_enum(scene):
    from figurine_forge.core.repair.pipeline import preferred_solvers

    offered = repair.available_boolean_solvers()
    assert "EXACT" in offered  # 4.2-4.4: FAST, EXACT; 4.5+: MANIFOLD too; 5.0 calls FAST "FLOAT"
    expected = ["MANIFOLD", "EXACT"] if "MANIFOLD" in offered else ["EXACT"]
    assert preferred_solvers(offered) == expected
    a, b = cube(4.0, (0, 0, 2)), cube(4.0, (2, 0, 2))
    for solver in expected:  # each solver the choice names is accepted by this Blender
        out = repair.ENGINE.boolean(a, b, "UNION", solver)
        assert out.volume() == pytest.approx(96.0, rel=1e-6)


def test_make_printable_that_would_lose_a_part_leaves_the_figure_alone(operators):
    from repair_meshes import cylinder

    antenna = cylinder(0.12, 30.0, 38.0, (0.0, 0.0), 12)  # thinner than the 0.6 mm voxel asked for
    obj = add(TriMesh(np.concatenate([figure(32.0).vertices, antenna.vertices]),
                      np.concatenate([figure(32.0).triangles, antenna.triangles + len(figure(32.0).vertices)])))
    before = meshio.object_to_trimesh(obj)
    settings = bpy.context.scene.figurine_print
    with pytest.raises(RuntimeError, match="not faithful to the figure.*(missing region|came loose) is near the top"):
        bpy.ops.figurine.make_printable(repair_mode="VOXEL", voxel_size_mm=0.6)
    after = meshio.object_to_trimesh(obj)
    assert np.array_equal(after.triangles, before.triangles) and np.allclose(after.vertices, before.vertices)
    report = json.loads(settings.last_report)
    assert report["ok"] is False and report["problems"]


def test_split_vertex_glb_through_the_panel_path_and_the_cli_gives_the_same_figure(operators, tmp_path):
    """A textured generator GLB (vertices split at UV seams): import, scale, Make Printable, Add
    Base, export in the panel's functions, and `figurine repair` on the same file, agree."""
    import generator_corpus
    from helpers import last_json, run_cli

    glb = generator_corpus.write_member("figure", tmp_path)["glb"]
    cli_out = tmp_path / "cli.stl"
    proc = run_cli("repair", glb, "--out", cli_out, "--height", 32, "--base", "round25", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    cli_steps = {s["step"]: s for s in last_json(proc.stdout)["steps"]}

    obj, _loaded = pipeline.import_for_print(glb, to_mm=False)
    assert len(obj.data.vertices) > len(_loaded.mesh.vertices)  # the object kept its seams
    pipeline.scale_to_height(obj, 32.0)
    fix = repair.make_printable(obj)
    based = repair.add_base(obj, "round25")
    panel_out = tmp_path / "panel.stl"
    pipeline.export_object(obj, panel_out)

    assert fix["method"] == cli_steps["make_printable"]["method"] == "local"
    assert fix["removed_parts"] == cli_steps["make_printable"]["removed_parts"] == 0
    assert based["feet_reach_base"] and cli_steps["add_base"]["feet_reach_base"]
    panel, cli = read_stl(panel_out), read_stl(cli_out)
    # The base fuse may take the boolean on one side and its voxel fallback on the other
    # (single-precision coordinates differ in the last bit): the same figure either way.
    assert panel.volume() == pytest.approx(cli.volume(), rel=5e-3)
    assert panel.size() == pytest.approx(cli.size(), abs=0.05)
    from figurine_forge.core.repair.nearest import surface_deviation

    assert surface_deviation(panel.weld(), cli.weld(), samples=20_000)["mean_mm"] < 0.01
    for tm in (panel, cli):
        welded = tm.weld()
        assert non_manifold_edge_count(welded.triangles) == 0 and shell_count(welded) == 1
