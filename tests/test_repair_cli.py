# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine repair, run the way users run it; outputs read back with numpy code."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest

from figurine_forge.core.mesh.trimesh import TriMesh, is_consistently_oriented, non_manifold_edge_count, shell_count
from figurine_forge.core.repair.orient import apply_transform
from figurine_forge.core.mesh.stl import read_stl, write_stl
from helpers import cube, last_json, run_cli
from repair_meshes import damaged_figure

Y_UP = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])  # Z-up figure → lying, Y up


@pytest.fixture(scope="module")
def broken_stl(tmp_path_factory):
    """A damaged figure 10 units tall, exported lying down (Y up) like a glTF-convention model."""
    path = tmp_path_factory.mktemp("in") / "broken.stl"
    write_stl(path, apply_transform(damaged_figure(10.0), Y_UP))
    return path


def watertight(tm: TriMesh) -> bool:
    return non_manifold_edge_count(tm.triangles) == 0 and is_consistently_oriented(tm.triangles) and tm.volume() > 0


def test_repair_to_stl_stands_scales_and_closes_the_figure(broken_stl, tmp_path):
    out = tmp_path / "fig.stl"
    proc = run_cli("repair", broken_stl, "--out", out, "--height", 32, "--voxel", 0.15, "--json")
    assert proc.returncode == 0, proc.stderr
    result = last_json(proc.stdout)
    assert result["ok"] and result["format"] == "stl" and result["final"]["watertight"]
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["orient"]["rotated"] and steps["orient"]["up_was"] == "+Y"
    assert steps["make_printable"]["removed_parts"] == 2
    assert 0 < result["deviation"]["mean_mm"] < 0.05 and result["deviation"]["max_mm"] < 0.5
    tm = read_stl(out)
    assert watertight(tm) and shell_count(tm) == 1
    assert tm.size()[2] == pytest.approx(32.0, abs=0.1)
    assert tm.bounds()[0][2] == pytest.approx(0.0, abs=1e-3)


def test_repair_with_base_to_3mf_is_one_shell(broken_stl, tmp_path):
    out = tmp_path / "fig.3mf"
    proc = run_cli("repair", broken_stl, "--out", out, "--height", 32, "--voxel", 0.15, "--base", "round25",
                   "--hollow", 1.2, "--json")
    assert proc.returncode == 0, proc.stderr
    result = last_json(proc.stdout)
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["add_base"]["feet_reach_base"]
    # The test figure's torso cavity would drain only down the outside of its thin legs: the
    # figure stays solid and says why, rather than be scarred by a pipe along a leg.
    assert not steps["hollow"]["changed"] and "drain hole that leaves the figure cleanly" in steps["hollow"]["message"]
    with zipfile.ZipFile(out) as zf:
        model = ElementTree.fromstring(zf.read("3D/3dmodel.model"))
    ns = {"m": "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"}
    assert model.get("unit") == "millimeter"
    v = np.array([[float(e.get(k)) for k in "xyz"] for e in model.iterfind(".//m:vertex", ns)])
    t = np.array([[int(e.get(k)) for k in ("v1", "v2", "v3")] for e in model.iterfind(".//m:triangle", ns)])
    tm = TriMesh(v, t)
    assert len(t) == result["final"]["triangles"]
    assert watertight(tm) and shell_count(tm) == 1
    assert tm.size()[2] == pytest.approx(32.0 + 3.0 - 0.4, abs=0.1)
    assert tm.size()[:2] == pytest.approx([25.0, 25.0], abs=0.05)


def test_repair_refuses_bad_input_with_exit_code_2(broken_stl, tmp_path):
    nan = cube(10.0)
    nan.vertices[1] = np.nan
    nan_path = tmp_path / "nan.stl"
    write_stl(nan_path, nan)
    existing = tmp_path / "exists.stl"
    existing.write_bytes(b"keep me")
    cases = [
        ((nan_path, "--out", tmp_path / "a.stl"), "NaN or infinite"),
        ((broken_stl, "--out", existing), "already exists"),
        ((broken_stl, "--out", tmp_path / "b.stl", "--base", "triangle9"), "unknown base"),
        ((broken_stl, "--out", tmp_path / "c.usdz"), "cannot export"),
        ((tmp_path / "missing.stl", "--out", tmp_path / "d.stl"), "missing.stl"),
    ]
    for args, message in cases:
        proc = run_cli("repair", *args, "--json")
        assert proc.returncode == 2, (args, proc.stderr)
        result = last_json(proc.stdout)
        assert not result["ok"] and message in result["error"], (message, result["error"])
        assert "Traceback" not in proc.stderr
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "c.usdz").exists() and not (tmp_path / "a.stl").exists()


def test_repair_refuses_meshes_above_the_triangle_limit(broken_stl, tmp_path):
    proc = run_cli("repair", broken_stl, "--out", tmp_path / "x.stl", "--json",
                   env={"FIGURINE_MAX_TRIANGLES": "500"})
    assert proc.returncode == 2
    assert "more than the 500 the repair handles" in last_json(proc.stdout)["error"]
