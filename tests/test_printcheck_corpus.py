# SPDX-License-Identifier: GPL-3.0-or-later
"""The small members of the print-check corpus (bench/printcheck_corpus.py) through the whole
`figurine check` process under a memory cap (RLIMIT_AS: the issue's budget of 1.5 GB + 1 GB per
million triangles), so that a check whose memory grows with the ratio of thresholds to
features instead of with the mesh fails here with a MemoryError; and the one triangle limit,
refused before any work, by every command."""

from __future__ import annotations

import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import SCRIPT, last_json, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import printcheck_corpus as corpus  # noqa: E402


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def memory_capped_check(path: Path, triangles: int) -> subprocess.CompletedProcess:
    """`figurine check PATH --json` with its address space capped at the issue's budget."""
    cap = int((1.5 + triangles / 1e6) * 2 ** 30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return subprocess.run([sys.executable, str(SCRIPT), "check", str(path), "--json"], preexec_fn=limit,
                          capture_output=True, text=True, timeout=600)


def test_soup_of_20k_loose_triangles_is_checked_whole(corpus_dir):
    proc = memory_capped_check(corpus.write_member("soup_20k", corpus_dir), 20_000)
    assert proc.returncode == 1, proc.stderr  # (a check failed: the soup is no printable solid)
    r = last_json(proc.stdout)
    assert r["counts"]["triangles"] == 20_000
    assert r["checks"]["loose_parts"] == 20_000  # every triangle its own part, each judged
    assert r["checks"]["non_manifold_edges"] == 60_000
    assert r["checks"]["intersecting_faces"] > 1000  # they overlap: found, not skipped
    assert r["notices"] == []  # 32 mm: a plausible size


def test_sample_figure_at_a_thousandth_says_the_check_means_nothing(corpus_dir):
    proc = memory_capped_check(corpus.write_member("sample_milli", corpus_dir), 204_772)
    assert proc.returncode == 1, proc.stderr
    r = last_json(proc.stdout)
    assert r["counts"]["triangles"] > 200_000
    assert r["size_mm"][2] == pytest.approx(0.032, rel=1e-3)
    (note,) = r["notices"]
    assert "less than the 0.6 mm wall limit" in note and "mean nothing" in note and "--height 32" in note


def test_sample_figure_a_thousand_times_too_big_is_checked_and_flagged(corpus_dir):
    proc = memory_capped_check(corpus.write_member("sample_kilo", corpus_dir), 204_772)
    assert proc.returncode == 0, proc.stderr
    r = last_json(proc.stdout)
    assert r["size_mm"][2] == pytest.approx(32_000, rel=1e-3)
    assert r["checks"]["thin_faces"] == 0 and r["checks"]["min_thickness_capped"]
    (note,) = r["notices"]
    assert "large for a figurine" in note and "--height 32" in note


def test_thin_plate_is_thin_everywhere(corpus_dir):
    proc = memory_capped_check(corpus.write_member("thin_plate", corpus_dir), 133_480)
    assert proc.returncode == 1, proc.stderr
    r = last_json(proc.stdout)
    assert r["failures"] == ["thin_faces"]
    # The two broad sides are 0.3 mm apart; the rim faces look along the plate (no wall within
    # reach), so every face but the rim's is thin.
    rim = 2 * 2 * (220 + 150)
    assert r["checks"]["thin_faces"] == r["counts"]["triangles"] - rim
    assert r["checks"]["min_thickness_mm"] == pytest.approx(0.3, abs=1e-4)


def test_textured_glb_with_split_vertices_is_checked(corpus_dir):
    path = corpus.write_member("textured_glb", corpus_dir)
    proc = memory_capped_check(path, 204_772)
    assert proc.returncode in (0, 1), proc.stderr
    r = last_json(proc.stdout)
    assert r["counts"]["triangles"] == len(corpus.sample_scaled(1.0).triangles)
    assert r["size_mm"][2] == pytest.approx(32.0, rel=1e-3)
    assert r["notices"] == []


def _sparse_binary_stl(path: Path, triangles: int) -> Path:
    """A binary STL whose header declares ``triangles`` (all-zero records, a sparse file)."""
    with open(path, "wb") as fh:
        fh.write(b"\0" * 80 + struct.pack("<I", triangles))
        fh.truncate(84 + 50 * triangles)
    return path


def test_check_refuses_a_5m_triangle_stl_from_its_header(tmp_path):
    proc = run_cli("check", _sparse_binary_stl(tmp_path / "huge.stl", 5_000_000), "--json")
    assert proc.returncode == 2, proc.stderr
    assert last_json(proc.stdout)["error"] == (
        "huge.stl has 5,000,000 triangles, more than the 3,000,000 the print check handles — "
        "decimate it first (Decimate modifier) or raise FIGURINE_MAX_TRIANGLES")


def test_the_same_limit_for_export_and_repair(tmp_path):
    path = _sparse_binary_stl(tmp_path / "big.stl", 600)
    env = {"FIGURINE_MAX_TRIANGLES": "500"}
    for args, task in ((("export", path, "--out", tmp_path / "x.stl"), "the export"),
                       (("repair", path, "--out", tmp_path / "y.stl"), "the repair"),
                       (("check", path), "the print check")):
        proc = run_cli(*args, "--json", env=env)
        assert proc.returncode == 2, (task, proc.stderr)
        assert f"big.stl has 600 triangles, more than the 500 {task} handles" in last_json(proc.stdout)["error"]
    assert not (tmp_path / "x.stl").exists() and not (tmp_path / "y.stl").exists()


def test_ascii_stl_triangles_are_counted_without_parsing(tmp_path):
    from figurine_forge.core.mesh.limits import stl_triangle_count

    facet = "facet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex 0 1 0\n endloop\nendfacet\n"
    path = tmp_path / "a.stl"
    path.write_text("solid a\n" + facet * 7 + "endsolid a\n")
    assert stl_triangle_count(path) == 7
    proc = run_cli("check", path, "--json", env={"FIGURINE_MAX_TRIANGLES": "6"})
    assert proc.returncode == 2
    assert "a.stl has 7 triangles, more than the 6 the print check handles" in last_json(proc.stdout)["error"]
