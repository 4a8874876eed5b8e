# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Blender binary (found by tests/blender_env.py: $BLENDER, `blender` on PATH, else
Debian's 4.3 with Python 3.13 through scripts/real_blender.sh): the headless script gives the
same result as the bpy module, and the built zip installs."""

from __future__ import annotations

import re
import textwrap

import pytest

from blender_env import build_zip, real_blender_target, run_real_blender
from figurine_forge.core.mesh.trimesh import non_manifold_edge_count, shell_count
from figurine_forge.core.mesh.stl import read_stl
from figurine_forge.core.voxelize import volumetric_iou
from helpers import REPO, last_json, run_cli

pytestmark = pytest.mark.real_blender
VIEWS = ("front", "back", "left", "right")


def real_blender(*args, env=None, timeout=900):
    return run_real_blender(*args, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("rb_sample")
    proc = run_cli("sample", "--out", out, "--size", "384")
    assert proc.returncode == 0, proc.stderr
    return out


def _run_args(sample, job):
    args = ["run", "--out", job, "--size", "512", "--json"]
    for view in VIEWS:
        args += [f"--{view}", sample / f"{view}.png"]
    return args


def test_same_run_in_real_blender_and_bpy_module(sample, tmp_path):
    module = run_cli(*_run_args(sample, tmp_path / "module_job"))
    assert module.returncode in (0, 1), module.stderr
    real = real_blender("-b", "--factory-startup", "-q", "-P", REPO / "scripts" / "figurine.py", "--",
                        *_run_args(sample, tmp_path / "real_job"))
    assert real.returncode == module.returncode, real.stdout + real.stderr
    assert re.search(r"^Blender \d+\.\d+", real.stdout, re.M)  # it really was a Blender binary
    a, b = last_json(module.stdout), last_json(real.stdout)
    assert a["passed"] == b["passed"] and a["shells"] == b["shells"] == 1
    mesh_a = read_stl(tmp_path / "module_job" / "figurine.stl")
    mesh_b = read_stl(tmp_path / "real_job" / "figurine.stl")
    assert non_manifold_edge_count(mesh_b.triangles) == 0 and shell_count(mesh_b) == 1
    assert mesh_b.size()[2] == pytest.approx(32.0, abs=0.1)
    assert mesh_a.size() == pytest.approx(mesh_b.size(), abs=0.05)
    assert len(mesh_b.triangles) == pytest.approx(len(mesh_a.triangles), rel=0.02)
    assert volumetric_iou(mesh_a, mesh_b, resolution=96) >= 0.98


def test_bad_input_exit_code_in_real_blender(tmp_path):
    proc = real_blender("-b", "--factory-startup", "-q", "-P", REPO / "scripts" / "figurine.py", "--",
                        "run", "--front", tmp_path / "missing.png", "--out", tmp_path / "job")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "does not exist" in proc.stderr


def test_zip_installs_and_runs_in_real_blender(tmp_path, sample):
    zip_path = build_zip(real_blender_target(), out=tmp_path / "dist")  # the zip for its Python
    script = tmp_path / "install.py"
    script.write_text(textwrap.dedent(f"""
        import sys, bpy
        result = bpy.ops.extensions.package_install_files(filepath={str(zip_path)!r}, repo="user_default",
                                                          enable_on_install=True)
        assert result == {{"FINISHED"}}, result
        assert "bl_ext.user_default.figurine_forge" in bpy.context.preferences.addons
        s = bpy.context.scene.figurine
        s.front_image = {str(sample / "front.png")!r}
        s.left_image = {str(sample / "left.png")!r}
        s.job_dir = {str(tmp_path / "job")!r}
        s.resolution = 96
        print("RUN_JOB", bpy.ops.figurine.run_job())
        sys.exit(0)
    """))
    user = tmp_path / "user"
    env = {f"BLENDER_USER_{k}": str(user / k.lower()) for k in ("RESOURCES", "CONFIG", "SCRIPTS", "EXTENSIONS",
                                                               "DATAFILES")}
    proc = real_blender("-b", "--factory-startup", "--python-exit-code", "1", "-P", script, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "RUN_JOB {'FINISHED'}" in proc.stdout
    assert (user / "extensions" / "user_default" / "figurine_forge" / "blender_manifest.toml").is_file()
    mesh = read_stl(tmp_path / "job" / "figurine.stl")
    assert shell_count(mesh) == 1 and mesh.size()[2] == pytest.approx(32.0, abs=0.1)
