# SPDX-License-Identifier: GPL-3.0-or-later
"""The one import (core.mesh): welding by packed keys, units and the size warning, zips, and
bad STL text as a clear error in every command."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from figurine_forge import cli
from figurine_forge.core.errors import BadInputError
from figurine_forge.core.mesh import archive, load, units, weld
from figurine_forge.core.mesh.trimesh import TriMesh, non_manifold_edge_count, shell_count
from figurine_forge.core.mesh.stl import read_stl, write_stl
from printcheck_meshes import cube, join, uv_sphere


def _unique_rows_reference(v: np.ndarray) -> int:
    return len(np.unique(v, axis=0))


# -- weld -----------------------------------------------------------------------------------
def test_weld_gives_the_same_vertices_as_unique_rows_on_a_soup():
    rng = np.random.default_rng(4)
    grid = rng.integers(0, 30, size=(20_000, 3)).astype(np.float32) * np.float32(0.37)  # many repeats
    v, t = weld.weld_arrays(grid, np.arange(len(grid) - 2).reshape(-1, 3)[: len(grid) // 3])
    assert len(v) == _unique_rows_reference(grid.astype(np.float64))
    first, inverse = weld.weld_map(grid)
    assert np.array_equal(grid[first][inverse], grid)  # every vertex maps to its own position
    assert np.all(np.diff(first) > 0)  # distinct positions keep their first-seen order


def test_weld_of_an_unshared_stl_sphere_closes_it():
    s = uv_sphere(radius=3.0, segments=24, rings=12)
    corners = s.vertices[s.triangles].reshape(-1, 3)
    soup = TriMesh(corners, np.arange(len(corners)).reshape(-1, 3))
    welded = soup.weld()
    assert len(welded.vertices) == len(s.vertices)
    assert non_manifold_edge_count(welded.triangles) == 0 and shell_count(welded) == 1
    assert np.array_equal(welded.vertices, s.vertices)  # first-seen order: an already welded mesh stays as it is


def test_weld_merges_minus_zero_and_keeps_float64_differences():
    v = np.array([[0.0, 1.0, 2.0], [-0.0, 1.0, 2.0], [0.1, 0.2, 0.3], [0.1 + 1e-12, 0.2, 0.3]])
    first, inverse = weld.weld_map(v)
    assert inverse.tolist() == [0, 0, 1, 2]  # -0.0 is 0.0; a float64 difference is kept (not float32-rounded)


def test_weld_stays_exact_when_packed_keys_collide(monkeypatch):
    v = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 2.0, 3.0]], np.float32)
    monkeypatch.setattr(weld, "_mix", lambda cols: np.zeros(len(cols), np.uint64))  # every key equal
    first, inverse = weld.weld_map(v)
    assert first.tolist() == [0, 1] and inverse.tolist() == [0, 1, 0]


def test_tolerance_weld_only_when_exact_leaves_open_seams():
    s = uv_sphere(radius=1.0, segments=16, rings=8)
    corners = s.vertices[s.triangles].reshape(-1, 3)
    noisy = corners + np.random.default_rng(1).normal(0, 1e-9, corners.shape)  # seams written with rounding noise
    mesh, grid = load.weld_for_analysis(TriMesh(noisy, np.arange(len(noisy)).reshape(-1, 3)))
    assert grid > 0 and len(mesh.vertices) <= len(s.vertices) + 2
    assert non_manifold_edge_count(mesh.triangles) <= 6  # a grid cell may split a rare pair
    closed, grid = load.weld_for_analysis(s)
    assert grid == 0 and closed.vertices.shape == s.vertices.shape


# -- units ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,extent,height_given,unit,warns", [
    ("stl", 32.0, False, "mm", False),
    ("stl", 1.85, False, "mm", True),  # a generator figure in metres, read as mm: 1.85 mm
    ("stl", 5000.0, False, "mm", True),
    ("stl", 1.85, True, "mm", False),  # --height decides the size
    ("glb", 1.85, False, "m", True),  # 1.85 m: a life-size figure, not a figurine
    ("glb", 0.032, False, "m", False),
    ("glb", 32.0, False, "mm", False),  # our own GLB export (1 unit = 1 mm)
])
def test_units_and_the_size_warning(fmt, extent, height_given, unit, warns):
    d = units.decide_units(fmt, extent, name="m.x", height_given=height_given)
    assert d.unit == unit and (d.warning is not None) == warns, d
    if warns:
        assert "--height" in d.warning and "figurine" in d.warning


def test_an_implausible_stl_size_is_reported_in_json_and_human_output(tmp_path, capsys):
    path = write_stl(tmp_path / "tiny.stl", cube(2.0))  # 2 mm
    code = cli.main(["check", str(path), "--json", "--quiet"])
    out, err = capsys.readouterr()
    report = json.loads(out.strip().splitlines()[-1])
    assert code in (0, 1)
    assert any("too small for a figurine" in w and "--height" in w for w in report["import"]["warnings"])
    assert "too small for a figurine" in err
    cli.main(["check", str(path), "--quiet"])
    assert "note: tiny.stl is 2 mm across" in capsys.readouterr().out
    cli.main(["check", str(path), "--height", "32", "--json", "--quiet"])
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["import"]["warnings"] == []


# -- zip ------------------------------------------------------------------------------------
def test_a_zip_with_a_model_and_a_texture_checks_like_the_model(tmp_path, capsys):
    stl = write_stl(tmp_path / "fig.stl", join(cube(10.0), cube(4.0, (2.0, 2.0, 10.0))))
    bundle = tmp_path / "result.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.write(stl, "out/model.stl")
        zf.writestr("out/texture.png", b"\x89PNG not really")
    reports = []
    for path in (stl, bundle):
        cli.main(["check", str(path), "--json", "--quiet"])
        reports.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert reports[0]["checks"] == reports[1]["checks"] and reports[1]["import"]["format"] == "stl"


def test_an_unsafe_or_empty_zip_is_refused_with_exit_2(tmp_path, capsys, monkeypatch):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.stl", write_stl(tmp_path / "c.stl", cube(10.0)).read_bytes())
    assert cli.main(["check", str(evil), "--quiet"]) == 2
    assert "outside the folder" in capsys.readouterr().err
    assert not (tmp_path.parent / "outside.stl").exists()
    textures = tmp_path / "textures.zip"
    with zipfile.ZipFile(textures, "w") as zf:
        zf.writestr("texture.png", b"\x89PNG")
    assert cli.main(["check", str(textures), "--quiet"]) == 2
    assert "holds no mesh" in capsys.readouterr().err
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.stl", b"\0" * 200_000)
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 100_000)
    with pytest.raises(BadInputError, match="unpacks to more than"):
        load.load_mesh(big)


# -- bad STL text ---------------------------------------------------------------------------
ASCII = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex {z}\nendloop\nendfacet\nendsolid\n"


def test_ascii_stl_reads_and_a_non_number_is_a_clear_error(tmp_path):
    good = tmp_path / "good.stl"
    good.write_text(ASCII.format(z="1 2 0"))
    assert read_stl(good).vertices.tolist() == [[0, 0, 0], [1, 0, 0], [1, 2, 0]]
    bad = tmp_path / "bad.stl"
    bad.write_text(ASCII.format(z="1 2 abc"))
    with pytest.raises(BadInputError, match="not a number"):
        read_stl(bad)
    cut = tmp_path / "cut.stl"
    cut.write_text(ASCII.format(z="1 2 0").split("vertex 1 0 0")[0] + "facet vertex 1")
    with pytest.raises(BadInputError):
        read_stl(cut)


@pytest.mark.parametrize("command", ["check", "repair", "export"])
def test_every_command_gives_exit_2_on_a_non_number_in_an_ascii_stl(tmp_path, capsys, command):
    bad = tmp_path / "bad.stl"
    bad.write_text(ASCII.format(z="1 2 abc"))
    extra = [] if command == "check" else ["--out", str(tmp_path / "out.stl")]
    assert cli.main([command, str(bad), *extra, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.stl" in err and "not a number" in err and "Traceback" not in err
    assert not (tmp_path / "out.stl").exists()


# -- OBJ without Blender --------------------------------------------------------------------
def test_obj_reader_matches_blenders_importer_on_polygons_references_and_negative_indices(tmp_path):
    import bpy

    from figurine_forge.blender import pipeline
    from figurine_forge.core.mesh.obj import read_obj

    # A closed box with quads written v/vt/vn, an ngon top split in two rows of the file, a
    # triangle with negative (relative) indices, comments and an object name.
    text = """# exported by a generator
o figure
v 0 0 0
v 4 0 0
v 4 3 0
v 0 3 0
vt 0 0
vn 0 0 1
f 1/1/1 4/1/1 3/1/1 2/1/1
v 0 0 2
v 4 0 2
v 4 3 2
v 0 3 2
v 2 -1 2
f 1//1 2//1 6//1 5//1
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
f 5 6 9 7 8 # a pentagon top
f -5 -4 -1
"""
    path = tmp_path / "poly.obj"
    path.write_text(text)
    mesh, poly = read_obj(path)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    ref, ref_poly = pipeline.read_with_blender(path, "obj")
    assert np.allclose(mesh.vertices, ref.vertices, atol=1e-5)  # the same Y-up -> Z-up turn as Blender's importer
    assert len(mesh.triangles) == len(ref.triangles) == 2 + 2 * 4 + 3 + 1
    assert np.bincount(poly).tolist() == np.bincount(ref_poly).tolist()  # triangles per polygon
    assert sorted(map(tuple, np.sort(mesh.triangles[poly == 6], axis=1))) == [(4, 5, 8)]  # -5 -4 -1 -> 5 6 9


@pytest.mark.parametrize("body,what", [("v 0 0 0\nv 1 0 0\nv 0 x 0\nf 1 2 3\n", "not a number"),
                                       ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "does not have"),
                                       ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "does not have"),
                                       ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces")])
def test_a_broken_obj_is_a_clear_error_without_blender(tmp_path, capsys, body, what):
    path = tmp_path / "broken.obj"
    path.write_text(body)
    assert cli.main(["check", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert what in err and "broken.obj" in err and "Traceback" not in err


# -- PLY without Blender --------------------------------------------------------------------
@pytest.mark.parametrize("ascii_format", [False, True])
def test_ply_reader_matches_blenders_importer(tmp_path, ascii_format):
    import bpy

    from figurine_forge.blender import meshio, pipeline
    from figurine_forge.core.mesh.ply import read_ply

    bpy.ops.wm.read_factory_settings(use_empty=True)
    shape = join(uv_sphere(radius=3.0, segments=12, rings=6), cube(2.0, (4.0, 0.0, 1.0)))
    obj = meshio.trimesh_to_object(shape, "shape")
    bpy.context.view_layer.update()
    obj.select_set(True)
    path = tmp_path / "shape.ply"
    assert bpy.ops.wm.ply_export(filepath=str(path), export_selected_objects=True, ascii_format=ascii_format,
                                 export_triangulated_mesh=True) == {"FINISHED"}
    mesh = read_ply(path)
    assert mesh is not None  # triangles: read by the core
    ref, _poly = pipeline.read_with_blender(path, "ply")
    assert np.allclose(mesh.vertices, ref.vertices, atol=1e-5) and np.array_equal(mesh.triangles, ref.triangles)
    assert load.load_mesh(path).mesh.triangles.shape == shape.triangles.shape  # no Blender reader needed
    quads = tmp_path / "quads.ply"
    quads.write_text("ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
                     "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
                     "0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n")
    assert read_ply(quads) is None  # polygons: left to Blender's importer
    broken = tmp_path / "broken.ply"
    broken.write_bytes(path.read_bytes()[:-40] if not ascii_format else path.read_bytes().replace(b"\n3 ", b"\n3 x ", 1))
    with pytest.raises(BadInputError):
        read_ply(broken)
