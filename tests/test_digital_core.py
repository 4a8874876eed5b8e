# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender-free half of the digital export: formats and their units, targets, budgets,
input protection, GLB reference checking and the all-or-nothing publishing of a file set."""

from __future__ import annotations

import json
import os
import struct

import pytest

from figurine_forge.core import atomic

from figurine_forge.core.mesh import exportformats
from figurine_forge.core.errors import BadInputError, OutputError


def test_every_format_says_its_unit():
    units = {name: f.unit for name, f in exportformats.FORMATS.items()}
    assert units == {"stl": "millimetre", "3mf": "millimetre", "ply": "millimetre", "obj": "millimetre",
                     "glb": "metre", "fbx": "centimetre"}
    assert {n for n, f in exportformats.FORMATS.items() if f.textures} == {"obj", "glb", "fbx"}


def test_the_target_and_format(tmp_path):
    assert exportformats.resolve_target(tmp_path / "a.GLB") == (tmp_path / "a.GLB", "glb")
    assert exportformats.resolve_target(tmp_path / "a", "fbx") == (tmp_path / "a.fbx", "fbx")
    assert exportformats.resolve_target(tmp_path / "a.obj", "OBJ") == (tmp_path / "a.obj", "obj")
    with pytest.raises(BadInputError, match="ends in .stl but the format asked is glb"):
        exportformats.resolve_target(tmp_path / "a.stl", "glb")
    with pytest.raises(BadInputError, match="unknown export format"):
        exportformats.resolve_target(tmp_path / "a", "usdz")
    with pytest.raises(OutputError, match="cannot export '.blend'"):
        exportformats.resolve_target(tmp_path / "a.blend")


def test_the_triangle_budget():
    assert exportformats.check_triangle_budget(None) is None and exportformats.check_triangle_budget(0) is None
    assert exportformats.check_triangle_budget(20_000) == 20_000
    for bad in (-5, 3, 60_000_000):
        with pytest.raises(BadInputError, match="out of range"):
            exportformats.check_triangle_budget(bad)


def test_an_input_is_never_an_output(tmp_path):
    src = tmp_path / "model.obj"
    src.write_text("v 0 0 0\n")
    os.symlink(src, tmp_path / "link.obj")
    with pytest.raises(BadInputError, match="is an input of this figure"):
        exportformats.refuse_input_as_output([tmp_path / "link.obj"], [str(src)])
    exportformats.refuse_input_as_output([tmp_path / "other.obj"], [str(src), ""])


def _glb(doc: dict) -> bytes:
    body = json.dumps(doc).encode()
    body += b" " * (-len(body) % 4)
    return struct.pack("<4sII", b"glTF", 2, 20 + len(body)) + struct.pack("<I4s", len(body), b"JSON") + body


def test_dangling_glb_references_are_found(tmp_path):
    good = {"meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 0}, "material": 0}]}],
            "accessors": [{}],
            "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
            "textures": [{"source": 0, "sampler": 0}], "images": [{}], "samplers": [{}]}
    path = tmp_path / "good.glb"
    path.write_bytes(_glb(good))
    assert exportformats.glb_dangling_references(exportformats.glb_document(path)) == []
    no_material = {"meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "material": 0}]}], "accessors": [{}]}
    assert exportformats.glb_dangling_references(no_material) == ["meshes[0].primitives[0] -> materials[0]"]
    bad_texture = json.loads(json.dumps(good))
    bad_texture["materials"][0]["normalTexture"] = {"index": 3}
    bad_texture["textures"][0]["source"] = 2
    assert sorted(exportformats.glb_dangling_references(bad_texture)) == [
        "materials[0].normalTexture -> textures[3]", "textures[0] -> images[2]"]
    no_uvs = json.loads(json.dumps(good))  # a textured material on a mesh without UVs
    del no_uvs["meshes"][0]["primitives"][0]["attributes"]["TEXCOORD_0"]
    assert exportformats.glb_dangling_references(no_uvs) == [
        "meshes[0].primitives[0] -> TEXCOORD_0 (its material has a texture but the mesh no UVs)"]
    no_uvs["meshes"][0]["primitives"][0]["attributes"]["TEXCOORD_0"] = 0
    assert exportformats.glb_dangling_references(no_uvs) == []
    (tmp_path / "html.glb").write_text("<html>")
    with pytest.raises(OutputError, match="not a binary glTF"):
        exportformats.glb_document(tmp_path / "html.glb")


# -- file sets ------------------------------------------------------------------------------------
def _write_set(folder, stem="hero", texture=b"png"):
    (folder / f"{stem}.obj").write_text("mtllib hero.mtl\n")
    (folder / f"{stem}.mtl").write_text("map_Kd tex.png\n")
    (folder / "tex.png").write_bytes(texture)


def test_a_file_set_is_published_whole_with_the_main_file_last(tmp_path, monkeypatch):
    order = []
    real_replace = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (order.append(os.path.basename(b)), real_replace(a, b)))
    file_set = atomic.FileSet(tmp_path / "hero.obj", overwrite=False)
    with file_set as folder:
        assert folder.parent == tmp_path and folder.name.startswith(".hero.")
        _write_set(folder)
        assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # nothing visible yet
    assert order[-1] == "hero.obj" and sorted(order) == ["hero.mtl", "hero.obj", "tex.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hero.mtl", "hero.obj", "tex.png"]
    assert sorted(file_set.published) == sorted(tmp_path / n for n in ("hero.mtl", "hero.obj", "tex.png"))


def test_a_file_set_is_never_half_published(tmp_path, monkeypatch):
    _write_set(tmp_path, texture=b"the old texture")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # A companion exists and overwriting was not asked: refused, nothing moved, nothing left.
    (tmp_path / "hero.obj").unlink()
    with pytest.raises(OutputError, match="tex.png already exists"):
        with atomic.FileSet(tmp_path / "hero.obj", overwrite=False) as folder:
            _write_set(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hero.mtl", "tex.png"]
    _write_set(tmp_path, texture=b"the old texture")
    # The main file's move fails (disk full) after its texture moved (the identical .mtl is
    # shared): the texture is taken back, the old files restored.
    real_replace = os.replace
    calls = []

    def failing_replace(a, b):
        calls.append(b)
        if len([c for c in calls if ".old" not in str(c)]) == 2 and ".old" not in str(b):
            raise OSError(28, "No space left on device")
        return real_replace(a, b)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left on device"):
        with atomic.FileSet(tmp_path / "hero.obj", overwrite=True) as folder:
            _write_set(folder, texture=b"the new texture")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # Nothing written at all: refused.
    with pytest.raises(OutputError, match="Nothing was written"):
        with atomic.FileSet(tmp_path / "empty.obj"):
            pass
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_companion_with_the_same_bytes_is_shared_not_refused(tmp_path):
    """A second figure exported beside the first brings the same texture: that is no clash."""
    with atomic.FileSet(tmp_path / "hero.obj", overwrite=False) as folder:
        _write_set(folder)
    file_set = atomic.FileSet(tmp_path / "hero2.obj", overwrite=False)
    with file_set as folder:
        _write_set(folder, stem="hero2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hero.mtl", "hero.obj", "hero2.mtl", "hero2.obj", "tex.png"]
    assert tmp_path / "tex.png" in file_set.published and len(file_set.published) == 3
    with pytest.raises(OutputError, match="tex.png already exists"):
        with atomic.FileSet(tmp_path / "hero3.obj", overwrite=False) as folder:
            _write_set(folder, stem="hero3", texture=b"another texture of the same name")
    assert not (tmp_path / "hero3.obj").exists() and (tmp_path / "tex.png").read_bytes() == b"png"
