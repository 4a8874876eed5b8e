# SPDX-License-Identifier: GPL-3.0-or-later
"""The built zip, installed like a user installs it, driven only through bpy.ops.figurine.*."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from blender_env import build_zip, clear_scene, install_zip
from helpers import REPO, run_cli

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)


@pytest.fixture(scope="module")
def addon(blender_user_root):
    zip_path = build_zip()
    module = install_zip(zip_path)
    # Installed into the private user folder, never ~/.config/blender.
    installed = Path(bpy.utils.user_resource("EXTENSIONS")) / "user_default" / "figurine_forge"
    assert installed.is_dir() and str(installed).startswith(str(blender_user_root))
    yield module


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    proc = run_cli("sample", "--out", out, "--size", "384")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def scene(addon):
    clear_scene()
    yield bpy.context.scene
    clear_scene()


def test_zip_passes_blenders_validator():
    zip_path = build_zip()
    # bpy/5.0/scripts/modules/bpy/__init__.py → bpy/5.0/scripts/addons_core/bl_pkg/cli/
    tool = Path(bpy.__file__).parents[2] / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    proc = subprocess.run([sys.executable, str(tool), "validate", str(zip_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        manifest = zf.read("blender_manifest.toml").decode()
    assert "__init__.py" in names and "core/reconstruct/hull.py" in names and "LICENSE" in names
    assert 'id = "figurine_forge"' in manifest and "SPDX:GPL-3.0-or-later" in manifest
    assert not any("__pycache__" in n for n in names)


def test_one_zip_per_python_and_platform_with_one_copy_of_each_package(tmp_path):
    """Every zip `make build` writes holds only the wheels its own Python and platform can load,
    one wheel per package, the same release of a package in every zip (no httpx beside httpx2),
    and a manifest that sends it only to the Blender versions running that Python."""
    import json
    import tomllib

    record = json.loads((REPO / "build" / "wheels.json").read_text("utf-8"))
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_extension.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    zips = [Path(line) for line in proc.stdout.split()]
    assert len(zips) == len(record["pythons"]) * len(record["platforms"]) == 8
    sizes = dict(line.split(": ", 2)[1:] for line in proc.stderr.splitlines() if line.startswith("build: "))
    assert set(sizes) == {z.name for z in zips}  # the build printed every zip's size
    releases: dict[str, set[str]] = {}
    for path in zips:
        python, platform = path.stem.split("-")[-3], "-".join(path.stem.split("-")[-2:])
        with zipfile.ZipFile(path) as zf:
            manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
            wheels = [n.split("/", 1)[1] for n in zf.namelist() if n.startswith("wheels/") and n.endswith(".whl")]
        assert manifest["platforms"] == [platform] and sorted(manifest["wheels"]) == sorted(f"./wheels/{w}" for w in wheels)
        names = [w.split("-")[0].lower() for w in wheels]
        assert len(names) == len(set(names)), f"{path.name} holds two wheels of one package"
        assert {"httpx2", "pillow", "google_genai"} <= set(names) and not {"httpx", "httpcore", "numpy"} & set(names)
        for wheel in wheels:
            py_tag, abi_tag, plat_tag = wheel[:-4].split("-")[-3:]
            assert py_tag.startswith("py3") or "cp" + python[2:] in py_tag.split(".") or abi_tag == "abi3", \
                (path.name, wheel)
            assert plat_tag == "any" or plat_tag.startswith({"linux-x64": "manylinux", "windows-x64": "win_amd64",
                                                             "macos-arm64": "macosx", "macos-x64": "macosx"}[platform])
            releases.setdefault(wheel.split("-")[0].lower(), set()).add(wheel.split("-")[1])
        if python == "py311":  # Blender 4.2 to 5.0 run Python 3.11; 5.1 and later 3.13
            assert (manifest["blender_version_min"], manifest["blender_version_max"]) == ("4.2.0", "5.1.0")
        else:  # Debian's Blender 4.3 runs 3.13 too
            assert manifest["blender_version_min"] == "4.3.0" and "blender_version_max" not in manifest
    assert {name: vs for name, vs in releases.items() if len(vs) > 1} == {}
    assert max(z.stat().st_size for z in zips) < 30e6  # was one 96.9 MB zip with every platform and Python


def test_installed_and_enabled(addon):
    assert hasattr(bpy.types.Scene, "figurine")
    for op in ("run_job", "import_mesh", "clay", "scale_to_height", "export_mesh", "make_sample"):
        assert hasattr(bpy.ops.figurine, op), op


def test_whole_chain_through_the_operator(scene, sample, tmp_path):
    s = scene.figurine
    for slot in ("front", "back", "left", "right"):
        setattr(s, f"{slot}_image", str(sample / f"{slot}.png"))
    s.job_dir = str(tmp_path / "job")
    s.height_mm = 32.0
    assert bpy.ops.figurine.run_job() == {"FINISHED"}
    stl = tmp_path / "job" / "figurine.stl"
    assert s.last_export == str(stl) and stl.is_file()
    obj = bpy.context.view_layer.objects.active
    assert obj is not None and obj.name.startswith("Figurine")
    assert obj.dimensions.z == pytest.approx(32.0, abs=1e-3)
    assert obj.data.materials[0].name == "Figurine Clay"
    assert scene.unit_settings.length_unit == "MILLIMETERS"
    # Undo support is declared for every operator that changes the scene.
    assert "UNDO" in bpy.types.FIGURINE_OT_run_job.bl_options


def test_mesh_steps_one_by_one(scene, tmp_path):
    # A 2 x 2 x 4 box somewhere off-centre, exported by Blender, re-imported by our operator.
    bpy.ops.mesh.primitive_cube_add(size=2.0, location=(5, 3, 7), scale=(1, 1, 2))
    src = bpy.context.active_object
    src_path = tmp_path / "box.obj"
    bpy.ops.wm.obj_export(filepath=str(src_path), export_selected_objects=True)
    bpy.data.objects.remove(src)

    assert bpy.ops.figurine.import_mesh(filepath=str(src_path)) == {"FINISHED"}
    obj = bpy.context.view_layer.objects.active
    assert obj.type == "MESH" and len(obj.data.polygons) == 6
    assert bpy.ops.figurine.clay(enable=True) == {"FINISHED"}
    assert obj.data.materials[0].name == "Figurine Clay"
    assert bpy.ops.figurine.clay(enable=False) == {"FINISHED"}
    assert bpy.ops.figurine.scale_to_height(height_mm=32.0) == {"FINISHED"}
    co = np.empty(len(obj.data.vertices) * 3)
    obj.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    assert co[:, 2].min() == pytest.approx(0.0, abs=1e-5) and co[:, 2].max() == pytest.approx(32.0, abs=1e-4)
    assert co[:, 0].max() - co[:, 0].min() == pytest.approx(16.0, abs=1e-4)
    out = tmp_path / "box.stl"
    assert bpy.ops.figurine.export_mesh(filepath=str(out)) == {"FINISHED"}
    from figurine_forge.core.mesh.stl import read_stl

    back = read_stl(out)
    assert back.size() == pytest.approx([16, 16, 32], abs=1e-3)
    assert out.read_bytes()[:5] != b"solid"  # binary STL


@pytest.mark.parametrize("fmt", ["glb", "fbx", "ply", "stl"])
def test_import_formats(scene, tmp_path, fmt):
    bpy.ops.mesh.primitive_uv_sphere_add(radius=1.0)
    src = bpy.context.active_object
    bpy.ops.mesh.primitive_cube_add(size=0.5, location=(0, 0, 1.5))  # a second part: joined on import
    path = tmp_path / f"model.{fmt}"
    bpy.ops.object.select_all(action="SELECT")
    if fmt == "glb":
        bpy.ops.export_scene.gltf(filepath=str(path), use_selection=True)
    elif fmt == "fbx":
        bpy.ops.export_scene.fbx(filepath=str(path), use_selection=True)
    elif fmt == "ply":
        bpy.ops.wm.ply_export(filepath=str(path), export_selected_objects=True)
    else:
        bpy.ops.wm.stl_export(filepath=str(path), export_selected_objects=True)
    n_tris = sum(len(p.vertices) - 2 for p in src.data.polygons) + 12
    clear_scene()
    assert bpy.ops.figurine.import_mesh(filepath=str(path)) == {"FINISHED"}
    mesh_objects = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    assert len(mesh_objects) == 1
    mesh = mesh_objects[0].data
    mesh.calc_loop_triangles()
    assert len(mesh.loop_triangles) == n_tris


def test_bad_inputs_are_reported_and_blender_keeps_running(scene, tmp_path):
    html = tmp_path / "model.glb"
    html.write_text("<html>502 Bad Gateway</html>")
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    for path in (html, empty, tmp_path / "missing.obj"):
        with pytest.raises(RuntimeError, match="Figurine|not a mesh|empty|does not exist"):
            bpy.ops.figurine.import_mesh(filepath=str(path))
    assert not bpy.context.scene.objects  # nothing half-imported
    with pytest.raises(RuntimeError, match="no mesh object selected"):
        bpy.ops.figurine.scale_to_height(height_mm=32)
    bpy.ops.mesh.primitive_cube_add()
    target = tmp_path / "blocker"
    target.write_text("a file where a folder should be")
    with pytest.raises(RuntimeError, match="Cannot create folder"):
        bpy.ops.figurine.export_mesh(filepath=str(target / "out.stl"))
    with pytest.raises(RuntimeError, match="cannot export"):
        bpy.ops.figurine.export_mesh(filepath=str(tmp_path / "out.xyz"))
    scene.figurine.front_image = ""
    scene.figurine.job_dir = str(tmp_path / "job")
    with pytest.raises(RuntimeError, match="front view is missing"):
        bpy.ops.figurine.run_job()
    # Blender is still fine: an operator works after all those errors.
    assert bpy.ops.figurine.scale_to_height(height_mm=10) == {"FINISHED"}
