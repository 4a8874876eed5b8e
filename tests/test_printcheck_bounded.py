# SPDX-License-Identifier: GPL-3.0-or-later
"""The bounded engine gives the exact answers: the ray caster with walks cut into short
segments and candidates expanded in tiny chunks finds the same hit per ray as in one piece;
the sweep's touching parts and the listed rows match the brute-force definitions; the
report says when the size makes the check meaningless."""

from __future__ import annotations

import numpy as np
import pytest

from figurine_forge.core import printcheck
from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.printcheck import checks, spatial
from printcheck_meshes import join, uv_sphere


def _shells() -> TriMesh:
    """Nested and overlapping spheres: rays inside cross several walls."""
    return join(uv_sphere((0, 0, 0), 3.0, 48, 24), uv_sphere((0.5, 0, 0), 1.4, 32, 16),
                uv_sphere((2.5, 0.3, 0.2), 1.0, 24, 12), uv_sphere((-1.0, 0.5, 0.0), 0.25, 12, 6))


def _cast(mesh: TriMesh, probe: float):
    fa = checks.FaceArrays(mesh.vertices, mesh.triangles)
    caster = spatial.RayCaster(mesh.vertices, mesh.triangles, fa.unit, probe, fa)
    return caster.cast(fa.centroids, -fa.unit), caster


def test_segmented_walk_and_chunked_candidates_find_the_same_hits(monkeypatch):
    mesh = _shells()
    (dist, face), caster = _cast(mesh, 4.0)
    assert caster.max_steps > 3 and np.isfinite(dist).sum() > len(dist) // 2
    monkeypatch.setattr(spatial, "WALK_SEGMENT", 1)  # stop and test after every cell
    monkeypatch.setattr(spatial, "PAIR_BUDGET", 7)  # a handful of candidates at a time
    (dist2, face2), _ = _cast(mesh, 4.0)
    np.testing.assert_array_equal(dist, dist2)
    np.testing.assert_array_equal(face, face2)


def test_cells_stay_a_few_triangles_wide_whatever_the_probe():
    mesh = _shells()
    fa = checks.FaceArrays(mesh.vertices, mesh.triangles)
    median = spatial._median_extent(fa.bmin, fa.bmax)
    # A probe as long as the whole mesh (a figure read 1000x too small): the cells follow the
    # triangles, not the probe, so no cell holds the whole mesh.
    caster = spatial.RayCaster(mesh.vertices, mesh.triangles, fa.unit, 100.0, fa)
    assert caster.cell <= spatial._CELL_PER_EXTENT * median * 1.0001
    assert len(caster.cell_bin_start) > 20  # occupied cells (a third of the probe: one cell for all)
    (dist, face), _ = _cast(mesh, 100.0)
    (near, _f), _ = _cast(mesh, 7.0)  # every wall is within 7: a longer probe changes nothing
    np.testing.assert_array_equal(dist, near)


def test_budget_chunks_cover_everything_once():
    counts = np.array([3, 0, 9, 1, 1, 1, 30, 2])
    runs = list(spatial.budget_chunks(counts, 5))
    assert runs[0][0] == 0 and runs[-1][1] == len(counts)
    assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
    assert all(counts[s:e].sum() <= 5 or e - s == 1 for s, e in runs)
    assert list(spatial.budget_chunks(counts, 1000)) == [(0, len(counts))]


def test_touching_boxes_match_all_pairs():
    rng = np.random.default_rng(5)
    lo = rng.uniform(0, 50, (400, 3))
    hi = lo + rng.uniform(0.1, 4.0, (400, 3)) * rng.uniform(0.2, 1.0, (400, 1))
    hi[:5] += 20  # a few big boxes crossing many columns
    margin = 0.3
    ov = np.all((lo[:, None] <= hi[None] + margin) & (hi[:, None] + margin >= lo[None]), axis=2)
    np.fill_diagonal(ov, False)
    expected = ov.any(axis=1)
    assert 0 < expected.sum() < len(lo)
    np.testing.assert_array_equal(checks.touching_boxes(lo, hi, margin), expected)


def test_smallest_rounded_lists_what_a_sort_of_the_rounded_values_lists():
    rng = np.random.default_rng(9)
    values = np.round(rng.uniform(0, 0.01, 5000), 6)  # many ties once rounded to 4 digits
    expected = sorted(range(len(values)), key=lambda i: round(float(values[i]), 4))[:20]
    assert checks.smallest_rounded(values, 20).tolist() == expected
    assert checks.smallest_rounded(values[:7], 20).tolist() == sorted(range(7), key=lambda i: round(float(values[i]), 4))


def test_soup_parts_are_judged_without_comparing_every_pair():
    rng = np.random.default_rng(3)
    n = 3000
    corners = rng.uniform(0, 40, (n, 1, 3)) + rng.uniform(-0.4, 0.4, (n, 3, 3))
    soup = TriMesh(corners.reshape(-1, 3), np.arange(3 * n).reshape(-1, 3))
    r = printcheck.analyze(soup).report
    assert r["checks"]["loose_parts"] == n
    # Brute force over the parts' boxes, as the check defines floating: touching nothing
    # (boxes grown by the contact distance) and not resting on the plate.
    lo, hi = corners.min(axis=1), corners.max(axis=1)
    c = printcheck.PRESETS["resin"].contact_mm
    ov = np.all((lo[:, None] <= hi[None] + c) & (hi[:, None] + c >= lo[None]), axis=2)
    np.fill_diagonal(ov, False)
    floating = ~ov.any(axis=1) & (lo[:, 2] > lo[:, 2].min() + c)
    assert r["checks"]["floating_parts"] == int(floating.sum()) > 0
    assert len(r["parts"]) == printcheck.MAX_LISTED


@pytest.mark.parametrize("height, expected", [(0.4, "less than the 0.6 mm wall limit"), (2.0, "small for a figurine"),
                                              (32.0, None), (5000.0, "large for a figurine")])
def test_size_notices(height, expected):
    notes = printcheck.size_notices([height / 2, height / 3, height], printcheck.PRESETS["resin"])
    if expected is None:
        assert notes == []
    else:
        (note,) = notes
        assert expected in note and "--height 32" in note and "Scale to Height" in note


def test_a_huge_ground_plane_does_not_flood_the_grid():
    """A fine sphere above eight stacked plates 4 m wide (16 triangles): the grid's entries
    stay within their budget (listing each plate triangle in every cell it covers would make
    ~40 million) and the sphere's walls are measured as without the plates."""
    ball = uv_sphere((0, 0, 0), 3.0, 96, 48)
    quad = np.array([[-2000.0, -2000, 0], [2000, -2000, 0], [2000, 2000, 0], [-2000, 2000, 0]])
    plates = [TriMesh(quad + [0, 0, -3.5 - 0.1 * i], np.array([[0, 1, 2], [0, 2, 3]])) for i in range(8)]
    mesh = join(ball, *plates)
    fa = checks.FaceArrays(mesh.vertices, mesh.triangles)
    table_cell = (float(np.prod(fa.bmax.max(axis=0) - fa.bmin.min(axis=0))) / spatial._MAX_CELLS) ** (1 / 3)
    assert spatial._entry_count(fa.bmin, fa.bmax, fa.bmin.min(axis=0), table_cell) > 8 * (1 << 22)
    (dist, _), caster = _cast(mesh, 1.2)
    assert len(caster.objects) <= 8 * len(mesh.triangles) + (1 << 22)
    (alone, _), _ = _cast(ball, 1.2)
    np.testing.assert_array_equal(dist[:len(ball.triangles)], alone)
