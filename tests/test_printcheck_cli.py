# SPDX-License-Identifier: GPL-3.0-or-later
"""`figurine check`: exit codes, JSON shape, presets and overrides, STL and a Blender-imported OBJ."""

from __future__ import annotations

import json

import pytest

from figurine_forge import cli
from figurine_forge.core.mesh.stl import write_stl
from printcheck_meshes import box, cube


def run(capsys, *argv):
    code = cli.main(["check", *map(str, argv), "--json", "--quiet"])
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1])


def test_clean_cube_passes(tmp_path, capsys):
    path = tmp_path / "cube.stl"
    write_stl(path, cube(10.0))
    code, r = run(capsys, path)
    assert code == 0
    assert r["passed"] is True and r["size_mm"] == [10.0, 10.0, 10.0]
    assert r["checks"]["loose_parts"] == 1 and r["volume_ml"] == pytest.approx(1.0)
    assert "elements" not in r


def test_thin_fin_fails_at_32mm_and_passes_bigger(tmp_path, capsys):
    path = tmp_path / "fin.stl"
    write_stl(path, box((0, 0, 0), (20.0 / 32, 0.3 / 32, 1.0)))
    code, r = run(capsys, path, "--height", 32)
    assert code == 1
    assert r["checks"]["thin_faces"] == 4 and r["failures"] == ["thin_faces"]
    assert r["height_mm"] == 32.0
    code, r = run(capsys, path, "--height", 100)
    assert code == 0 and r["checks"]["thin_faces"] == 0
    code, r = run(capsys, path, "--height", 100, "--preset", "fdm")
    assert code == 1 and r["thresholds"]["min_wall_mm"] == 1.0
    code, r = run(capsys, path, "--height", 32, "--min-wall", 0.2)
    assert code == 0 and r["thresholds"]["min_wall_mm"] == 0.2


def test_indices_and_report_file(tmp_path, capsys):
    path = tmp_path / "fin.stl"
    write_stl(path, box((0, 0, 0), (20.0, 0.3, 32.0)))
    report = tmp_path / "out" / "report.json"
    code, r = run(capsys, path, "--indices", "--report", report)
    assert code == 1
    assert sorted(r["elements"]["thin_faces"]["indices"]) == [4, 5, 8, 9]
    assert r["elements"]["thin_faces"]["kind"] == "face"
    assert json.loads(report.read_text())["checks"] == r["checks"]


def test_bad_input_exits_2(tmp_path, capsys):
    code, r = run(capsys, tmp_path / "missing.stl")
    assert code == 2 and r["ok"] is False and "does not exist" in r["error"]
    junk = tmp_path / "junk.stl"
    junk.write_bytes(b"this is not a mesh at all\n" * 10)
    code, r = run(capsys, junk)
    assert code == 2
    path = tmp_path / "cube.stl"
    write_stl(path, cube(10.0))
    code, r = run(capsys, path, "--min-wall", -1)
    assert code == 2 and "min wall" in r["error"]
    code, r = run(capsys, path, "--height", 0)
    assert code == 2


def test_human_summary(tmp_path, capsys):
    path = tmp_path / "cube.stl"
    write_stl(path, cube(10.0))
    assert cli.main(["check", str(path), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("PASS  cube.stl  (resin preset)")
    assert "thin faces" in text and ">= 1.2 mm" in text


def test_obj_goes_through_blender_with_its_quads(tmp_path, capsys):
    # A cube written as six quads, one of them folded along its diagonal: the polygon map from
    # Blender's import makes the fold visible as a distorted face.
    v = ["v 0 0 0", "v 10 0 0", "v 10 10 0", "v 0 10 0", "v 0 0 10", "v 10 0 10", "v 10 10 10", "v 0 10 10"]
    quads = ["f 1 4 3 2", "f 5 6 7 8", "f 1 2 6 5", "f 2 3 7 6", "f 3 4 8 7", "f 4 1 5 8"]
    path = tmp_path / "cube.obj"
    path.write_text("\n".join(v + quads) + "\n")
    code, r = run(capsys, path)
    assert code == 0, r
    assert r["checks"]["distorted_faces"] == 0 and r["checks"]["non_manifold_edges"] == 0
    assert r["size_mm"] == [10.0, 10.0, 10.0]
    folded = "\n".join(v[:6] + ["v 10 10 16"] + v[7:] + quads) + "\n"
    path.write_text(folded)
    # Lifting one top corner by 6 mm bends the top quad by 40-43 degrees (depending on the
    # diagonal the importer picks); the two sides through that corner stay planar.
    code, r = run(capsys, path, "--distort-angle", 20)
    assert r["checks"]["distorted_faces"] == 1
    code, r = run(capsys, path)
    assert r["checks"]["distorted_faces"] == 0
