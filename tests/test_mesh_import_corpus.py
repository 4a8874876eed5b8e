# SPDX-License-Identifier: GPL-3.0-or-later
"""Generated models as they really arrive (tests/generator_corpus.py): textured GLBs split at
every UV seam, Y up, in metres, and the same triangles as an STL. Through the CLI's `check`
and `export` and the panel's import + check, every member is judged as the welded STL of the
same mesh is, upright figures keep their pose and the lying one is stood up."""

from __future__ import annotations

import json

import numpy as np
import pytest

import generator_corpus as corpus
from figurine_forge import cli
from figurine_forge.core.mesh.stl import read_stl

# Counts that depend on topology and shape only (not on the order triangles are stored in).
TOPOLOGY = ("non_manifold_edges", "boundary_loops", "loose_parts", "floating_parts", "tiny_parts",
            "intersecting_faces")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return {name: corpus.write_member(name, folder) for name in corpus.MEMBERS}


def check(capsys, path, *extra) -> dict:
    code = cli.main(["check", str(path), "--json", "--quiet", *map(str, extra)])
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    assert code in (0, 1), report
    return report


@pytest.mark.parametrize("name", corpus.MEMBERS)
def test_check_of_the_textured_glb_equals_the_welded_stl(files, capsys, name):
    glb = check(capsys, files[name]["glb"], "--height", 32)
    stl = check(capsys, files[name]["stl"], "--height", 32)
    imp = glb["import"]
    assert imp["vertices_in_file"] > imp["vertices_welded"]  # the GLB really arrived split at its seams
    assert imp["format"] == "glb" and imp["unit"] == "m"
    assert glb["checks"] == stl["checks"], name
    assert glb["size_mm"] == pytest.approx(stl["size_mm"], abs=1e-3)
    expect = corpus.EXPECT[name]
    assert glb["checks"]["loose_parts"] == expect["parts"]
    if expect["closed"]:
        assert glb["checks"]["non_manifold_edges"] == 0 and glb["checks"]["boundary_loops"] == 0
    else:
        assert glb["checks"]["boundary_loops"] > 0


@pytest.mark.parametrize("name", [n for n in corpus.MEMBERS if corpus.EXPECT[n]["upright"]])
def test_upright_members_keep_their_pose_through_check_and_export(files, capsys, tmp_path, name):
    report = check(capsys, files[name]["glb"])
    assert report["import"]["pose"]["action"] == "kept"
    out = tmp_path / f"{name}.stl"
    assert cli.main(["export", str(files[name]["glb"]), "--out", str(out), "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["import"]["pose"]["action"] == "kept"
    lo, hi = corpus.member_mesh(name).bounds()
    written = read_stl(out)
    # glTF metres -> mm, Y up -> Z up by the importer: exactly the member, same place, same pose.
    assert np.allclose(written.bounds()[0], lo * 1000, atol=1e-2)
    assert np.allclose(written.bounds()[1], hi * 1000, atol=1e-2)
    assert any("too large for a figurine" in w for w in result["import"]["warnings"])  # 1-2 m, said


def test_the_lying_figure_is_stood_up_the_same_way_by_check_and_export(files, capsys, tmp_path):
    upright = check(capsys, files["figure"]["glb"], "--height", 32)
    lying = check(capsys, files["lying"]["glb"], "--height", 32)
    pose = lying["import"]["pose"]
    assert pose["action"] == "stood up" and "lying down" in pose["message"]
    assert any("stood up" in w for w in lying["import"]["warnings"])
    assert lying["size_mm"] == pytest.approx(upright["size_mm"], abs=1e-3)
    for key in TOPOLOGY:
        assert lying["checks"][key] == upright["checks"][key], key
    out = tmp_path / "lying.stl"
    assert cli.main(["export", str(files["lying"]["glb"]), "--out", str(out), "--quiet"]) == 0
    stood = read_stl(out)
    figure = corpus.member_mesh("figure")
    assert stood.size() == pytest.approx(figure.size() * 1000, abs=1e-2)
    # Head up and face to -Y again: the stood-up figure is the upright one, moved.
    shift = stood.bounds()[0] - figure.bounds()[0] * 1000
    assert np.allclose(np.sort(stood.vertices[:, 2]), np.sort(figure.vertices[:, 2] * 1000 + shift[2]), atol=1e-2)
    assert np.allclose(np.sort(stood.vertices[:, 1]), np.sort(figure.vertices[:, 1] * 1000 + shift[1]), atol=1e-2)
    # Told to keep the pose, it stays lying.
    kept = check(capsys, files["lying"]["glb"], "--height", 32, "--orient", "keep")
    assert kept["import"]["pose"]["action"] == "kept" and kept["size_mm"][2] == 32.0
    assert kept["size_mm"][1] > 100


def test_the_stl_in_metres_gets_the_size_warning(files, capsys):
    report = check(capsys, files["figure"]["stl"])
    warnings = report["import"]["warnings"]
    assert len(warnings) == 1 and "1.853 mm" in warnings[0] and "--height" in warnings[0]


def test_panel_import_and_check_judge_the_glb_as_the_cli_does(files, capsys):
    import bpy

    from figurine_forge.blender import findings, pipeline
    from figurine_forge.core import printcheck

    cli_report = check(capsys, files["chibi"]["glb"], "--height", 32)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj, loaded = pipeline.import_for_print(files["chibi"]["glb"], to_mm=False)
    assert len(obj.data.vertices) == loaded.vertices_read > len(loaded.mesh.vertices)  # seams kept in the object
    assert obj.data.uv_layers and obj.data.materials[0] is not None
    settings = printcheck.preset("resin")
    result = findings.analyze_object(obj, 32.0, settings)
    assert result.report["checks"] == cli_report["checks"]
    assert pipeline.check_object(obj, height_mm=32.0)["checks"] == cli_report["checks"]
    assert len(result.vertex_thickness) == len(obj.data.vertices)


def test_a_zip_of_gltf_bin_and_texture_imports_like_the_glb(files, capsys, tmp_path):
    import zipfile

    import bpy

    from figurine_forge.blender import meshio, pipeline

    # The same member as a service delivers it: model.gltf + model.bin + a PNG texture, zipped.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(files["figure"]["glb"]))
    loose = tmp_path / "loose"
    loose.mkdir()
    bpy.ops.export_scene.gltf(filepath=str(loose / "model.gltf"), export_format="GLTF_SEPARATE")
    assert sorted(p.suffix for p in loose.iterdir()) == [".bin", ".gltf", ".png"]
    bundle = tmp_path / "delivery.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for p in loose.iterdir():
            zf.write(p, f"result/{p.name}")
    zipped = check(capsys, bundle, "--height", 32)
    assert zipped["checks"] == check(capsys, files["figure"]["glb"], "--height", 32)["checks"]
    assert zipped["import"]["format"] == "gltf"
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = pipeline.import_mesh_file(bundle)
    images = [im for im in bpy.data.images if im.source == "FILE"]
    assert images and all(im.packed_file is not None for im in images)  # nothing points into the temp folder
    assert len(meshio.object_to_trimesh(obj).triangles) == len(corpus.member_mesh("figure").triangles)


@pytest.mark.parametrize("name,action,kind", [("chibi", "kept", "stl"), ("chibi", "kept", "glb"),
                                              ("quadruped", "kept", "stl"), ("lying", "stood up", "glb")])
def test_repair_writes_the_pose_check_judges(files, tmp_path, name, action, kind):
    from helpers import last_json, run_cli

    out = tmp_path / f"{name}.stl"
    proc = run_cli("repair", files[name][kind], "--out", out, "--height", 32, "--voxel", 0.35, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    result = last_json(proc.stdout)
    orient_step = next(s for s in result["steps"] if s["step"] == "orient")
    assert orient_step["action"] == action
    written = read_stl(out)
    assert result["final"]["parts"] == 1 and result["final"]["watertight"]  # the split GLB was welded first
    expected = corpus.member_mesh("figure" if name == "lying" else name).size()
    # Same pose as the checked one: the proportions of the upright member, 32 mm tall.
    assert written.size() == pytest.approx(expected * 32.0 / expected[2], abs=0.5)
