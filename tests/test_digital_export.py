# SPDX-License-Identifier: GPL-3.0-or-later
"""The digital branch in Blender (bpy module, source package): a generator-like textured GLB
(vertices split at UV seams) and a vertex-coloured one, decimated to a triangle budget and
written as GLB, FBX and OBJ + MTL + texture; every result is read back by Blender's own
importers and compared with the input (texture pixels, UVs against the original surface,
colours, size in each format's unit)."""

from __future__ import annotations

import json
import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

from digital_inputs import (FIGURE_HEIGHT_M, TEXTURE_SIZE, height_colour, make_coloured_glb, make_textured_glb,
                            open_edges, read_back, texture_pixels, uv_agreement)
from figurine_forge.blender import digital, meshio, pipeline
from figurine_forge.core.mesh import exportformats
from figurine_forge.core.errors import BadInputError, OutputError
from figurine_forge.core.mesh.stl import read_stl
from helpers import cube


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digital-inputs")
    return {"textured": make_textured_glb(folder), "coloured": make_coloured_glb(folder)}


@pytest.fixture(scope="module")
def textured_original(inputs):
    return read_back(inputs["textured"])


def import_fresh(path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return pipeline.import_mesh_file(path)


def _published(folder):
    return sorted(p.name for p in folder.iterdir())


def test_the_textured_input_is_split_at_seams_like_a_generator_glb(inputs, textured_original):
    doc = exportformats.glb_document(inputs["textured"])
    positions = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]["count"]
    unique = len(np.unique(np.round(textured_original.world, 6), axis=0))
    assert positions > unique * 1.05  # the seams' vertices are duplicated in the file
    assert textured_original.size()[2] == pytest.approx(FIGURE_HEIGHT_M, rel=1e-4)  # metres, stood Z-up


# -- Must show: texture round trip ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["glb", "fbx"])
def test_texture_round_trip_at_half_the_triangles(inputs, textured_original, tmp_path, fmt):
    obj = import_fresh(inputs["textured"])
    before = digital.triangle_count(obj.data)
    written = pipeline.export_object(obj, tmp_path / f"half.{fmt}", max_triangles=before // 2, overwrite=False)
    assert written["decimated"] and written["triangles_before"] == before == textured_original.triangles
    assert before // 2 * 0.9 <= written["triangles_after"] <= before // 2
    assert written["files"] == [str(tmp_path / f"half.{fmt}")]  # textures embedded: one file
    if fmt == "glb":  # named as the user's figure and mesh are named, not "textured.002"
        doc = exportformats.glb_document(tmp_path / "half.glb")
        assert [n["name"] for n in doc["nodes"]] == [obj.name] and doc["meshes"][0]["name"] == obj.data.name
    assert _published(tmp_path) == [f"half.{fmt}"]

    back = read_back(tmp_path / f"half.{fmt}")
    assert back.triangles == written["triangles_after"]
    assert len(back.images) == 1
    _name, size, pixels = back.images[0]
    assert size == TEXTURE_SIZE
    assert np.array_equal(pixels, texture_pixels())  # lossless PNG, every pixel
    assert back.tri_uvs is not None
    assert uv_agreement(textured_original, back) > 0.95  # the UVs still map the same surface points
    assert open_edges(textured_original) == 0 and open_edges(back) == 0  # no cracks opened at the seams
    assert back.size() == pytest.approx(textured_original.size(), rel=0.01)  # metres in, metres out


def test_decimation_keeps_vertex_colours(inputs, tmp_path):
    obj = import_fresh(inputs["coloured"])
    assert obj.data.color_attributes, "the glTF importer made no colour attribute"
    before = digital.triangle_count(obj.data)
    for fmt in ("glb", "fbx", "obj"):
        written = pipeline.export_object(obj, tmp_path / f"painted.{fmt}", max_triangles=before // 3)
        assert written["triangles_after"] <= before // 3
        back = read_back(tmp_path / f"painted.{fmt}")
        assert back.colours is not None, fmt
        expected = height_colour(back.world[:, 2])
        error = np.abs(back.colours[:, :3] - expected[:, :3]).mean(axis=0)
        assert (error < 0.03).all(), (fmt, error)  # colours still follow the surface they painted
        obj = import_fresh(inputs["coloured"])


def test_obj_writes_its_mtl_and_texture_beside_it(inputs, textured_original, tmp_path):
    obj = import_fresh(inputs["textured"])
    written = pipeline.export_object(obj, tmp_path / "hero.obj", max_triangles=4000)
    assert _published(tmp_path) == ["hero.mtl", "hero.obj", "skin_source.png"]
    assert sorted(written["files"]) == sorted(str(tmp_path / n) for n in _published(tmp_path))
    obj_text = (tmp_path / "hero.obj").read_text()
    assert "mtllib hero.mtl" in obj_text and "\nvt " in obj_text
    mtl = (tmp_path / "hero.mtl").read_text()
    assert "newmtl skin" in mtl and "map_Kd skin_source.png" in mtl
    back = read_back(tmp_path / "hero.obj")
    assert back.triangles == written["triangles_after"] <= 4000
    assert len(back.images) == 1 and back.images[0][1] == TEXTURE_SIZE
    assert np.array_equal(back.images[0][2], texture_pixels())
    assert uv_agreement(textured_original, back) > 0.95
    # OBJ is a print format too: one Blender unit per file unit (millimetres once scaled).
    assert back.size()[2] == pytest.approx(FIGURE_HEIGHT_M, rel=0.01)


def test_the_users_figure_is_never_changed(inputs, tmp_path):
    obj = import_fresh(inputs["textured"])
    tm_before = meshio.object_to_trimesh(obj)
    names = (obj.name, [m.name for m in obj.data.materials], sorted(i.name for i in bpy.data.images),
             sorted(m.name for m in bpy.data.materials), sorted(o.name for o in bpy.data.objects),
             len(bpy.data.meshes))
    for fmt in exportformats.EXPORT_FORMATS:
        pipeline.export_object(obj, tmp_path / f"out.{fmt}", max_triangles=1000)
    tm_after = meshio.object_to_trimesh(obj)
    assert np.array_equal(tm_before.vertices, tm_after.vertices) and len(tm_after.triangles) == len(tm_before.triangles)
    assert (obj.name, [m.name for m in obj.data.materials], sorted(i.name for i in bpy.data.images),
            sorted(m.name for m in bpy.data.materials), sorted(o.name for o in bpy.data.objects),
            len(bpy.data.meshes)) == names
    assert not obj.modifiers


# -- units -------------------------------------------------------------------------------------------
def test_each_format_is_written_in_its_unit(inputs, tmp_path):
    """A figure scaled to 32 mm: STL, PLY, OBJ and 3MF hold 32 (mm), GLB 0.032 (m, Y up), FBX
    3.2 (cm; Blender reads it back as 0.032 m)."""
    obj = import_fresh(inputs["textured"])
    pipeline.scale_to_height(obj, 32.0)
    for fmt in exportformats.EXPORT_FORMATS:
        written = pipeline.export_object(obj, tmp_path / f"mini.{fmt}")
        assert written["unit"] == exportformats.FORMATS[fmt].unit
    assert read_stl(tmp_path / "mini.stl").size()[2] == pytest.approx(32.0, abs=1e-3)
    doc = exportformats.glb_document(tmp_path / "mini.glb")
    pos = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert pos["max"][1] - pos["min"][1] == pytest.approx(0.032, abs=1e-6)  # glTF: metres, Y up
    assert not any("scale" in n for n in doc["nodes"])  # baked into the vertices, no node scale
    assert read_back(tmp_path / "mini.fbx").size()[2] == pytest.approx(0.032, abs=1e-5)
    fbx = (tmp_path / "mini.fbx").read_bytes()
    assert b"UnitScaleFactor" in fbx
    obj_z = [float(line.split()[3]) for line in (tmp_path / "mini.obj").read_text().splitlines()
             if line.startswith("v ")]
    assert max(obj_z) - min(obj_z) == pytest.approx(32.0, abs=1e-3)
    with zipfile.ZipFile(tmp_path / "mini.3mf") as zf:
        model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
    assert model.get("unit") == "millimeter"
    zs = [float(v.get("z")) for v in model.iter() if v.tag.endswith("vertex")]
    assert max(zs) - min(zs) == pytest.approx(32.0, abs=1e-3)


# -- materials -----------------------------------------------------------------------------------
def test_a_glb_never_refers_to_a_material_it_does_not_hold(tmp_path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bare = meshio.trimesh_to_object(cube(10.0), "bare")
    messy = meshio.trimesh_to_object(cube(10.0, (20, 0, 0)), "messy")
    messy.data.materials.append(None)                             # an empty slot
    messy.data.materials.append(bpy.data.materials.new("paint"))
    index = np.array([0, 1, 7] * 4, np.int32)                     # empty, real, past the end
    messy.data.polygons.foreach_set("material_index", index)
    pipeline.export_object(bare, tmp_path / "bare.glb")
    doc = exportformats.glb_document(tmp_path / "bare.glb")
    assert "materials" not in doc and all("material" not in p for p in doc["meshes"][0]["primitives"])
    pipeline.export_object(messy, tmp_path / "messy.glb")
    doc = exportformats.glb_document(tmp_path / "messy.glb")
    assert [m["name"] for m in doc["materials"]] == ["paint"]
    assert exportformats.glb_dangling_references(doc) == []
    assert len(messy.data.materials) == 2  # the user's slots are left as they were


# -- refusals --------------------------------------------------------------------------------------
def test_refusals_leave_every_file_as_it_was(inputs, tmp_path):
    obj = import_fresh(inputs["textured"])
    (tmp_path / "hero.mtl").write_text("somebody's material file")
    with pytest.raises(OutputError, match="hero.mtl already exists"):
        pipeline.export_object(obj, tmp_path / "hero.obj", overwrite=False)
    assert _published(tmp_path) == ["hero.mtl"]  # no .obj without its .mtl, no temporary leftovers
    assert (tmp_path / "hero.mtl").read_text() == "somebody's material file"
    written = pipeline.export_object(obj, tmp_path / "hero.obj", overwrite=True)
    assert "map_Kd" in (tmp_path / "hero.mtl").read_text() and len(written["files"]) == 3
    glb = tmp_path / "hero.glb"
    glb.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        pipeline.export_object(obj, glb, overwrite=False)
    assert glb.read_bytes() == b"keep me"
    with pytest.raises(BadInputError, match="is an input of this figure"):
        pipeline.export_object(obj, inputs["textured"], overwrite=True)
    with pytest.raises(BadInputError, match="ends in .stl but the format asked is glb"):
        pipeline.export_object(obj, tmp_path / "x.stl", fmt="glb")
    with pytest.raises(BadInputError, match="out of range"):
        pipeline.export_object(obj, tmp_path / "x.glb", max_triangles=2)
    with pytest.raises(OutputError, match="cannot export"):
        pipeline.export_object(obj, tmp_path / "x.usdz")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_texture_beside_the_input_is_never_overwritten(tmp_path):
    """An OBJ that brought its texture: exporting next to it must not write over that image."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    src = tmp_path / "src"
    src.mkdir()
    from PIL import Image

    Image.fromarray(texture_pixels()).save(src / "paint.png")
    obj = meshio.trimesh_to_object(cube(10.0), "boxy")
    bpy.context.view_layer.objects.active = obj
    material = bpy.data.materials.new("boxy")
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = bpy.data.images.load(str(src / "paint.png"))
    bsdf = next(n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    material.node_tree.links.new(node.outputs["Color"], bsdf.inputs["Base Color"])
    obj.data.materials.append(material)
    obj.data.uv_layers.new(name="UVMap")
    before = (src / "paint.png").read_bytes()
    stamp = (src / "paint.png").stat()
    (src / "boxy.obj").write_text("the input mesh\n")
    obj["figurine_source"] = str(src / "boxy.obj")
    with pytest.raises(BadInputError, match="boxy.obj is an input"):
        pipeline.export_object(obj, src / "boxy.obj", overwrite=True)
    assert (src / "boxy.obj").read_text() == "the input mesh\n"
    # Beside its own texture: the same image is shared, never rewritten.
    written = pipeline.export_object(obj, src / "boxy_low.obj", overwrite=True)
    assert sorted(p.name for p in src.iterdir()) == ["boxy.obj", "boxy_low.mtl", "boxy_low.obj", "paint.png"]
    assert (src / "paint.png").read_bytes() == before
    assert (src / "paint.png").stat().st_ino == stamp.st_ino and (src / "paint.png").stat().st_mtime_ns == stamp.st_mtime_ns
    assert str(src / "paint.png") in written["files"]
    written = pipeline.export_object(obj, tmp_path / "out" / "boxy.obj")
    assert (tmp_path / "out" / "paint.png").read_bytes() == before and len(written["files"]) == 3


def test_a_budget_above_the_count_changes_nothing(inputs, tmp_path):
    obj = import_fresh(inputs["textured"])
    n = digital.triangle_count(obj.data)
    written = pipeline.export_object(obj, tmp_path / "all.glb", max_triangles=n + 10)
    assert not written["decimated"] and written["triangles_after"] == n
    doc = exportformats.glb_document(tmp_path / "all.glb")
    indices = doc["accessors"][doc["meshes"][0]["primitives"][0]["indices"]]["count"]
    assert indices == 3 * n
    json.dumps(written)  # the CLI prints it


def test_a_textured_material_on_a_mesh_without_uvs_is_left_out(inputs, tmp_path):
    """What a repair hands over: the figure's material (with its texture) on a remeshed surface
    that has no UVs any more. The GLB must not point at texture coordinates it does not hold."""
    obj = import_fresh(inputs["textured"])
    obj.data.uv_layers.remove(obj.data.uv_layers[0])
    written = pipeline.export_object(obj, tmp_path / "repaired.glb")
    doc = exportformats.glb_document(tmp_path / "repaired.glb")
    assert exportformats.glb_dangling_references(doc) == []
    assert "materials" not in doc and "images" not in doc
    assert written["triangles_after"] == written["triangles_before"]
    assert [m.name for m in obj.data.materials] == ["skin"]  # the user's figure keeps its material


def test_a_jpeg_texture_stays_a_jpeg_beside_the_obj(tmp_path):
    src = make_textured_glb(tmp_path, image_format="jpg")
    original = read_back(src)
    obj = import_fresh(src)
    pipeline.export_object(obj, tmp_path / "out" / "hero.obj")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hero.mtl", "hero.obj", "skin_source.jpg"]
    assert (tmp_path / "out" / "skin_source.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG bytes, as delivered
    back = read_back(tmp_path / "out" / "hero.obj")
    assert np.array_equal(back.images[0][2], original.images[0][2])
