# SPDX-License-Identifier: GPL-3.0-or-later
"""The core repair pipeline and `figurine repair` on models as generators deliver them.

Core parts run without Blender (nearest-point grid, winding volumes, faithfulness, solver
choice, degenerate refusal); the CLI runs the whole chain on the generator corpus (textured
split-vertex GLBs in metres, Y up) and on constructed failures. Outputs are read back with
plain numpy edge counting, never with Blender's view of them."""

from __future__ import annotations

import numpy as np
import pytest

from figurine_forge.core.errors import BadInputError, FigurineError
from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.repair import faithful, pipeline
from figurine_forge.core.repair.nearest import SurfaceGrid, point_triangle_sq_distance, sample_surface
from figurine_forge.core.mesh.stl import read_stl, write_stl
from helpers import cube, last_json, run_cli
from repair_meshes import combine, cylinder, ellipsoid, figure


def numpy_watertight(tm: TriMesh) -> bool:
    """An independent reader's verdict: every undirected edge used by exactly two triangles,
    each direction once (consistent winding), positive volume."""
    t = tm.triangles
    a = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    b = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    n = len(tm.vertices)
    undirected = np.minimum(a, b) * n + np.maximum(a, b)
    _, counts = np.unique(undirected, return_counts=True)
    directed = a * n + b
    return bool((counts == 2).all() and len(np.unique(directed)) == len(directed) and tm.volume() > 0)


def welded(tm: TriMesh) -> TriMesh:
    _, first, inverse = np.unique(tm.vertices, axis=0, return_index=True, return_inverse=True)
    return TriMesh(tm.vertices[first], inverse.reshape(-1)[tm.triangles])


def parts(tm: TriMesh) -> int:
    from figurine_forge.core.mesh.trimesh import shell_count

    return shell_count(tm)


# -- core: nearest points, volumes, faithfulness --------------------------------------------
def test_surface_grid_is_exact_against_brute_force():
    mesh = combine(ellipsoid((7, 5, 16), (0, 0, 16), 64, 32), cube(4.0, (9, 0, 4)))
    rng = np.random.default_rng(5)
    near = sample_surface(mesh, 300, seed=2) + rng.normal(0, 0.05, (300, 3))
    far = rng.uniform(-25, 40, (60, 3))
    points = np.concatenate([near, far])
    d, tri = SurfaceGrid(mesh).nearest(points)
    c = mesh.triangle_corners()
    brute = np.array([np.sqrt(point_triangle_sq_distance(np.repeat(p[None], len(c), 0), c[:, 0], c[:, 1], c[:, 2]).min())
                      for p in points])
    assert np.allclose(d, brute, atol=1e-9)
    again = np.sqrt(point_triangle_sq_distance(points, c[tri, 0], c[tri, 1], c[tri, 2]))
    assert np.allclose(again, d, atol=1e-9)
    capped, _ = SurfaceGrid(mesh).nearest(points, max_distance=0.5)
    assert np.array_equal(np.isinf(capped), brute > 0.5) and np.allclose(capped[brute <= 0.5], brute[brute <= 0.5])


def test_winding_volume_counts_overlapping_shells_once():
    union = combine(cube(10.0, (0, 0, 5)), cube(10.0, (5, 0, 5)))  # two shells overlapping by half
    occ = faithful.winding_occupancy(union, np.array([-6.0, -6.0, -1.0]), 0.25, (70, 50, 50))
    assert occ.sum() * 0.25 ** 3 == pytest.approx(1500.0, rel=0.01)


def test_faithfulness_names_a_lost_limb_and_where():
    body = figure(32.0)
    arm = cylinder(0.8, 14.0, 26.0, (7.0, 0.0), 24)  # a raised arm on the figure's +X side
    with_arm = combine(body, arm)
    report = faithful.measure(with_arm, body)
    assert not report["ok"]
    region = report["largest_lost_region"]
    assert region["area_mm2"] > 30 and "right" in region["where"] and "z 14-26 mm" in region["where"]
    with pytest.raises(faithful.RepairLossError, match="missing region is near the"):
        faithful.judge(report)
    same = faithful.measure(body, body)
    assert same["ok"] and same["deviation"]["mean_mm"] == 0 and same["volume_change_percent"] == 0


def test_volume_loss_is_named():
    body = ellipsoid((6, 5, 16), (0, 0, 16), 48, 24)
    thinner = TriMesh(body.vertices * [0.9, 0.9, 1.0], body.triangles)
    report = faithful.measure(body, thinner)
    assert not report["ok"] and any("lost" in p and "% of the volume" in p for p in report["problems"])
    assert report["volume_change_percent"] == pytest.approx(-19.0, abs=1.0)


# -- core: the boolean solver the host offers -----------------------------------------------
def test_boolean_solver_choice_follows_what_blender_offers():
    assert pipeline.preferred_solvers(("FAST", "EXACT")) == ["EXACT"]  # Blender 4.2-4.4
    assert pipeline.preferred_solvers(("FAST", "EXACT", "MANIFOLD")) == ["MANIFOLD", "EXACT"]  # 4.5+
    with pytest.raises(FigurineError, match="no usable boolean solver"):
        pipeline.preferred_solvers(("FAST",))


class _OldBlender:
    """An engine like Blender 4.3's: no MANIFOLD solver; setting it would raise TypeError."""

    def __init__(self):
        self.asked: list[str] = []

    def boolean_solvers(self):
        return ["FAST", "EXACT"]

    def boolean(self, a, b, operation, solver):
        if solver not in self.boolean_solvers():
            raise TypeError(f'enum "{solver}" not found in (\'FAST\', \'EXACT\')')
        self.asked.append(solver)
        return TriMesh(np.concatenate([a.vertices, b.vertices]), np.concatenate([a.triangles, b.triangles + len(a.vertices)]))


def test_union_on_an_old_blender_asks_only_for_solvers_it_has():
    engine = _OldBlender()
    a, b = cube(2.0, (0, 0, 1)), cube(2.0, (10, 0, 1))
    with pytest.raises(FigurineError, match="did not give one clean shell"):
        pipeline._union(engine, a, b, 0.1, "BOOLEAN")  # two apart: never one shell, but no TypeError
    assert engine.asked and set(engine.asked) == {"EXACT"}


# -- core: degenerate input -----------------------------------------------------------------
@pytest.mark.parametrize("mesh, message", [
    (TriMesh([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]]), "flat"),
    (TriMesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], [[0, 1, 2], [1, 3, 2]]), "flat"),
    (TriMesh([[0, 0, 0], [1, 0.3, 0.35], [0, 1, 0.5], [1, 1, 0.7]], [[0, 1, 2], [1, 3, 2]]), "flat"),
    (TriMesh(np.zeros((0, 3)), np.zeros((0, 3), int)), "no faces"),
])
def test_degenerate_meshes_are_refused(mesh, message):
    with pytest.raises(BadInputError, match=message):
        pipeline.refuse_degenerate(mesh, "the mesh")


def test_specks_are_judged_after_the_weld():
    """A split-vertex mesh (every triangle its own 'part' before welding) keeps its figure."""
    body = ellipsoid((6, 5, 16), (0, 0, 16), 32, 16)
    speck = ellipsoid((0.2, 0.2, 0.2), (12, 0, 20), 8, 4)
    soup = combine(body, speck)
    soup = TriMesh(soup.vertices[soup.triangles].reshape(-1, 3), np.arange(len(soup.triangles) * 3).reshape(-1, 3))
    mesh, _ = pipeline.weld(soup)
    kept, info = pipeline.remove_specks(mesh)
    assert info["removed_parts"] == 1 and len(kept.triangles) == len(body.triangles)


def test_voxel_size_fits_the_triangle_budget():
    fig = figure(32.0)
    assert pipeline.voxel_size_for(fig, 32.0, max_triangles=5_000_000)[0] == pytest.approx(0.04)
    vs, reason = pipeline.voxel_size_for(fig, 32.0, max_triangles=20_000)
    area = fig.face_areas().sum()
    assert vs == pytest.approx(np.sqrt(2.4 * area / 18_000)) and "fits 20,000 triangles" in reason


# -- the CLI on the generator corpus --------------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import generator_corpus

    folder = tmp_path_factory.mktemp("corpus")
    return {name: generator_corpus.write_member(name, folder)["glb"] for name in generator_corpus.MEMBERS}


CORPUS = ("figure", "on_base", "chibi", "quadruped", "raised_arms", "bust", "lying", "speck", "holes",
          "interpenetrating")


@pytest.mark.parametrize("name", CORPUS)
def test_repair_of_each_generator_glb_is_one_faithful_watertight_shell(corpus, tmp_path, name):
    out = tmp_path / f"{name}.stl"
    proc = run_cli("repair", corpus[name], "--out", out, "--height", 32, "--base", "round25", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = last_json(proc.stdout)
    assert result["ok"] and result["final"]["watertight"] and result["final"]["parts"] == 1
    faith = result["faithfulness"]
    assert result["deviation"]["mean_mm"] <= 0.05 and abs(faith["volume_change_percent"]) <= 3.0
    assert min(faith["silhouette_agreement"].values()) >= 0.95 and faith["lost_area_mm2"] <= 1.0
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["add_base"]["after"]["parts"] == 1
    tm = welded(read_stl(out))  # the file, read by numpy alone
    assert len(tm.triangles) <= 1_200_000 and len(tm.triangles) == result["final"]["triangles"]
    assert numpy_watertight(tm) and parts(tm) == 1
    size = tm.size()
    assert size[2] == pytest.approx(32.0 + 3.0 - 0.4, abs=0.1)  # figure 32 mm, base 3 mm, sunk 0.4 mm
    # Upright figures stay upright (the lying one is stood up): taller than wide, feet on the base.
    assert size[2] > size[:2].max() or name == "quadruped"
    assert steps["orient"]["rotated"] == (name == "lying")


# -- the CLI: constructed loss and degenerate files -----------------------------------------
def test_a_repair_that_erases_a_thin_limb_fails_and_writes_nothing(tmp_path):
    body = figure(32.0)
    wand = cylinder(0.12, 30.0, 38.0, (0.0, 0.0), 12)  # a 0.24 mm antenna a 0.6 mm voxel cannot keep
    src = tmp_path / "wand.stl"
    write_stl(src, combine(body, wand))
    before = src.read_bytes()
    out = tmp_path / "out.stl"
    proc = run_cli("repair", src, "--out", out, "--voxel", 0.6, "--mode", "voxel", "--json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    result = last_json(proc.stdout)
    assert not result["ok"] and result["written"] is False
    # What is lost is named with its place: erased (a missing region) or cut off (a loose piece).
    assert "not faithful" in result["error"] and "near the top" in result["error"]
    assert "missing region is near the top" in result["error"] or "came loose is near the top" in result["error"]
    assert not out.exists() and src.read_bytes() == before


def test_degenerate_files_are_refused_with_exit_2(tmp_path):
    tri = tmp_path / "one.stl"
    write_stl(tri, TriMesh([[0, 0, 0], [10, 0, 0], [0, 10, 3]], [[0, 1, 2]]))
    flat = tmp_path / "flat.stl"
    write_stl(flat, TriMesh([[0, 0, 0], [10, 0, 0], [0, 10, 0], [10, 10, 0]], [[0, 1, 2], [1, 3, 2]]))
    obj = tmp_path / "broken.obj"  # indices past the end: Blender's importer kept one triangle
    obj.write_text("v 0 0 0\nv 10 0 0\nv 0 10 0\nf 1 2 3\nf 1 7 9\nf 2 8 3\n")
    for src, why in ((tri, "flat"), (flat, "flat"), (obj, "points at a vertex it does not have")):
        out = tmp_path / f"{src.stem}-out.stl"
        proc = run_cli("repair", src, "--out", out, "--height", 32, "--json")
        assert proc.returncode == 2, (src.name, proc.stderr[-1500:])
        result = last_json(proc.stdout)
        assert not result["ok"] and why in result["error"], result["error"]
        assert not out.exists()


def test_a_cube_with_a_sphere_above_stays_small(tmp_path):
    parts_ = combine(cube(20.0, (0, 0, 10)), ellipsoid((3, 3, 3), (0, 0, 22.5), 32, 16))  # overlapping
    src = tmp_path / "cube_sphere.stl"
    write_stl(src, parts_)
    out = tmp_path / "out.stl"
    proc = run_cli("repair", src, "--out", out, "--height", 32, "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = last_json(proc.stdout)
    assert result["final"]["triangles"] <= 1_000_000 and result["final"]["watertight"]
    assert numpy_watertight(welded(read_stl(out)))


def test_add_base_in_blender_4_3_fuses_with_the_solver_it_has(tmp_path):
    """Debian's Blender 4.3 has no MANIFOLD solver: the adapter reads the enum and uses EXACT
    (it used to raise TypeError there and never reach its fallback)."""
    import subprocess

    from helpers import REAL_BLENDER, REPO

    assert REAL_BLENDER.is_file(), f"{REAL_BLENDER} is missing: set $BLENDER, put blender on PATH, or let scripts/real_blender.sh provision it"
    src = tmp_path / "fig.stl"
    write_stl(src, figure(10.0))
    out = tmp_path / "based.stl"
    proc = subprocess.run(["flock", "/tmp/real-blender.run.lock", str(REAL_BLENDER), "-b", "-P",
                           str(REPO / "scripts" / "figurine.py"), "--", "repair", str(src), "--out", str(out),
                           "--height", "32", "--voxel", "0.2", "--base", "round25", "--json"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = last_json(proc.stdout)
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["add_base"]["method"] == "boolean (exact)" and result["final"]["watertight"]
    tm = welded(read_stl(out))
    assert numpy_watertight(tm) and parts(tm) == 1


def test_a_repair_that_cuts_a_piece_loose_is_named():
    body = figure(32.0)
    antenna = cylinder(0.3, 30.0, 38.0, (0.0, 0.0), 12)
    loose = TriMesh(antenna.vertices + [0, 0, 2.5], antenna.triangles)  # the same antenna, cut off the head
    report = faithful.measure(combine(body, antenna), combine(body, loose))
    assert report["pieces_before"] == 1 and report["pieces_after"] == 2 and not report["ok"]
    assert any("came loose is near the top (z 32-40 mm)" in p or "came loose is near the top (z 33-40 mm)" in p
               for p in report["problems"]), report["problems"]


def test_a_small_figure_on_a_large_base_is_never_a_speck():
    """A 5 mm figure standing on a 100 mm diorama base: a fraction of a percent of the base's
    volume and area, and still the figure."""
    from figurine_forge.core.repair import drop_floating_bits

    base = cylinder(50.0, 0.0, 3.0, (0.0, 0.0), 96)
    little = ellipsoid((1.0, 0.8, 2.5), (10.0, 0.0, 5.5), 16, 8)  # standing on the base top
    crumb = ellipsoid((0.3, 0.3, 0.3), (-20.0, 5.0, 8.0), 8, 4)  # a real speck in the air
    kept, removed = drop_floating_bits(combine(base, little, crumb))  # not even the touch rule needed
    assert removed == 1 and len(kept.triangles) == len(base.triangles) + len(little.triangles)
