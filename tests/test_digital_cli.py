# SPDX-License-Identifier: GPL-3.0-or-later
"""`figurine export` with every format and a triangle budget, from a generator-like textured
GLB; and the panel's export (the built zip, installed as a user installs it, driven with the
properties the panel's Export section sets) writing the same file as the CLI."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

from blender_env import build_zip, install_zip
from digital_inputs import TEXTURE_SIZE, make_textured_glb, read_back, texture_pixels
from figurine_forge.core.mesh import exportformats
from figurine_forge.core.mesh.stl import read_stl
from helpers import last_json, run_cli

HALF = 4224  # half the textured figure's 8448 triangles


@pytest.fixture(scope="module")
def textured(tmp_path_factory):
    return make_textured_glb(tmp_path_factory.mktemp("digital-cli"))


def export(*args):
    proc = run_cli("export", *args, "--json")
    return proc, (last_json(proc.stdout) if proc.returncode == 0 else None)


@pytest.mark.parametrize("fmt", exportformats.EXPORT_FORMATS)
def test_cli_export_writes_each_format(textured, tmp_path, fmt):
    out = tmp_path / f"hero.{fmt}"
    proc, result = export(textured, "--out", out, "--max-triangles", HALF, "--height", 32)
    assert proc.returncode == 0, proc.stderr
    assert result["format"] == fmt and result["unit"] == exportformats.FORMATS[fmt].unit
    assert result["triangles_before"] == 2 * HALF and HALF * 0.9 <= result["triangles_after"] <= HALF
    assert "triangles" in proc.stderr  # progress says the budget
    if fmt in ("glb", "fbx", "obj"):
        back = read_back(out)
        assert back.triangles == result["triangles_after"]
        assert back.images and back.images[0][1] == TEXTURE_SIZE
        assert np.array_equal(back.images[0][2], texture_pixels()) and back.tri_uvs is not None
        assert back.size()[2] == pytest.approx(32.0 if fmt == "obj" else 0.032, rel=1e-3)
        expected = {"obj": ["hero.mtl", "hero.obj", "skin_source.png"]}.get(fmt, [f"hero.{fmt}"])
        assert sorted(p.name for p in tmp_path.iterdir()) == expected
    elif fmt == "stl":
        stl = read_stl(out)
        assert len(stl.triangles) == result["triangles_after"] and stl.size()[2] == pytest.approx(32.0, abs=1e-3)
    elif fmt == "3mf":
        with zipfile.ZipFile(out) as zf:
            model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
        assert model.get("unit") == "millimeter"
        assert sum(1 for t in model.iter() if t.tag.endswith("triangle")) == result["triangles_after"]
    else:
        assert out.read_bytes().startswith(b"ply\nformat binary_little_endian")


def test_cli_format_option_and_refusals(textured, tmp_path):
    proc, result = export(textured, "--out", tmp_path / "web", "--format", "glb")
    assert proc.returncode == 0, proc.stderr
    assert result["path"] == str(tmp_path / "web.glb") and not result["decimated"]
    # A GLB read as it came (metres, no --height) keeps its size: 1.6 m.
    doc = exportformats.glb_document(tmp_path / "web.glb")
    pos = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert pos["max"][1] - pos["min"][1] == pytest.approx(1.6, rel=1e-4)
    before = (tmp_path / "web.glb").read_bytes()
    for args, message in (
            (("--out", tmp_path / "web.glb"), "already exists"),
            (("--out", tmp_path / "web.stl", "--format", "glb"), "ends in .stl but the format asked is glb"),
            (("--out", tmp_path / "x.glb", "--max-triangles", "2"), "out of range"),
            (("--out", textured, "--force"), "would overwrite the input")):
        proc, _ = export(textured, *args)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
    assert (tmp_path / "web.glb").read_bytes() == before
    proc, _ = export(textured, "--out", tmp_path / "web.glb", "--force", "--max-triangles", 1000)
    assert proc.returncode == 0 and (tmp_path / "web.glb").read_bytes() != before
    proc = run_cli("export", "--help")
    assert "--max-triangles" in proc.stdout and "fbx" in proc.stdout


def test_the_panel_export_writes_what_the_cli_writes(textured, tmp_path, blender_user_root):
    cli_dir, panel_dir = tmp_path / "cli", tmp_path / "panel"
    for fmt in ("glb", "fbx"):
        proc, _ = export(textured, "--out", cli_dir / f"hero.{fmt}", "--max-triangles", HALF, "--height", 32)
        assert proc.returncode == 0, proc.stderr
    install_zip(build_zip())
    from digital_inputs import empty_scene_keeping_addons

    empty_scene_keeping_addons()
    assert bpy.ops.figurine.import_mesh(filepath=str(textured)) == {"FINISHED"}
    assert bpy.ops.figurine.scale_to_height(height_mm=32.0) == {"FINISHED"}
    s = bpy.context.scene.figurine
    s.export_dir, s.export_name, s.export_max_triangles = str(panel_dir), "hero", HALF
    for fmt in ("glb", "fbx"):
        s.export_format = fmt
        # What the Export section's button runs (ui.py sets exactly these properties).
        assert bpy.ops.figurine.export_mesh(filepath=s.export_target(), overwrite=True, format=s.export_format,
                                            max_triangles=s.export_max_triangles) == {"FINISHED"}
        assert s.last_export == str(panel_dir / f"hero.{fmt}")
    cli_doc = exportformats.glb_document(cli_dir / "hero.glb")
    panel_doc = exportformats.glb_document(panel_dir / "hero.glb")
    # The CLI brings a GLB's metres to mm before scaling to 32 mm, the panel scales the file units
    # straight to 32 mm: the same figure up to float rounding, which Decimate's collapse order
    # feels (a handful of vertices of 2,600). Same attributes, same bounds, counts within 1 %.
    assert len(panel_doc["accessors"]) == len(cli_doc["accessors"])
    for a, b in zip(panel_doc["accessors"], cli_doc["accessors"]):
        assert (a["type"], a["componentType"]) == (b["type"], b["componentType"])
        assert a["count"] == pytest.approx(b["count"], rel=0.01)
        if "min" in a and a["type"] == "VEC3":
            assert np.allclose(a["min"], b["min"], atol=1e-6) and np.allclose(a["max"], b["max"], atol=1e-6)
    cli_fbx, panel_fbx = read_back(cli_dir / "hero.fbx", keep_addons=True), read_back(panel_dir / "hero.fbx",
                                                                                   keep_addons=True)
    assert panel_fbx.triangles <= HALF and cli_fbx.triangles <= HALF
    assert panel_fbx.triangles == pytest.approx(cli_fbx.triangles, rel=0.01)
    assert np.allclose(panel_fbx.world.min(axis=0), cli_fbx.world.min(axis=0), atol=1e-4)
    assert np.allclose(panel_fbx.world.max(axis=0), cli_fbx.world.max(axis=0), atol=1e-4)
    assert np.array_equal(panel_fbx.images[0][2], cli_fbx.images[0][2])
    assert hasattr(bpy.context.scene, "figurine")  # the add-on is still enabled for the next tests


def test_cli_reads_a_unitless_file_as_millimetres(tmp_path):
    """An STL (no unit in the file; the project reads millimetres) of a 32 mm figure becomes a
    0.032 m GLB and a 3.2 cm FBX, without --height."""
    from figurine_forge.core.mesh.stl import write_stl
    from repair_meshes import figure

    write_stl(tmp_path / "mini.stl", figure(32.0))
    proc, result = export(tmp_path / "mini.stl", "--out", tmp_path / "mini.glb")
    assert proc.returncode == 0, proc.stderr
    doc = exportformats.glb_document(tmp_path / "mini.glb")
    pos = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert pos["max"][1] - pos["min"][1] == pytest.approx(0.032, rel=1e-4)
    proc, result = export(tmp_path / "mini.stl", "--out", tmp_path / "mini.fbx")
    assert proc.returncode == 0, proc.stderr
    assert read_back(tmp_path / "mini.fbx").size()[2] == pytest.approx(0.032, rel=1e-4)
