# SPDX-License-Identifier: GPL-3.0-or-later
"""Slivers a remesh, a boolean or Decimate leaves (triangles narrower than the print check's
1 µm): needles (two corners nanometres apart, as OpenVDB's remesh leaves them) and caps (three
corners in a line, as Decimate leaves them) are mended by Blender's bmesh operators, the
surface staying closed and in place (blender/degenerate.py); every repair engine step hands
back a mesh without them."""

from __future__ import annotations

import numpy as np

import bpy  # noqa: F401  (conftest has pointed Blender at a private user folder)

from figurine_forge.blender.degenerate import degenerate_triangles, dissolve_degenerate
from figurine_forge.blender.repair import ENGINE
from figurine_forge.core.mesh.trimesh import TriMesh, is_consistently_oriented, non_manifold_edge_count, shell_count
from figurine_forge.core.repair.nearest import surface_deviation
from repair_meshes import ellipsoid

CHECK_MM = 0.001  # the print check's width for a degenerate face


def _shared_edges(tm: TriMesh, count: int, seed: int) -> list[tuple[int, ...]]:
    """``count`` edges (a, b) with the triangles on either side, t = (a, b, c) and other =
    (b, a, d) up to rotation, as (t, other, a, b, c, d); no two share a triangle."""
    rng = np.random.default_rng(seed)
    tri_of = {}
    for t, (i, j, k) in enumerate(tm.triangles.tolist()):
        for a, b in ((i, j), (j, k), (k, i)):
            tri_of[(a, b)] = t
    used, out = set(), []
    for t in rng.permutation(len(tm.triangles)).tolist():
        i, j, k = tm.triangles[t].tolist()
        other = tri_of[(j, i)]
        if t in used or other in used:
            continue
        d = [v for v in tm.triangles[other].tolist() if v not in (i, j)][0]
        out.append((t, other, i, j, k, d))
        used |= {t, other}
        if len(out) == count:
            break
    return out


def with_slivers(tm: TriMesh, needles: int = 6, caps: int = 6) -> TriMesh:
    """``tm`` (closed) with needles and caps added, still closed and consistently wound."""
    verts, tris = list(tm.vertices), [list(t) for t in tm.triangles.tolist()]
    for n, (t, other, a, b, c, d) in enumerate(_shared_edges(tm, needles + caps, seed=3)):
        va, vb = np.asarray(verts[a]), np.asarray(verts[b])
        m = len(verts)
        if n < needles:  # a needle: the edge split a nanometre from its end
            verts.append(va + 1e-6 * (vb - va) / np.linalg.norm(vb - va))
            tris[t] = [a, m, c]
            tris.append([m, b, c])
        else:  # a cap: the edge split at its middle on one side only, the cap filling the gap
            verts.append((va + vb) / 2.0)
            tris.append([a, m, b])
        tris[other] = [b, m, d]
        tris.append([m, a, d])
    return TriMesh(np.asarray(verts), np.asarray(tris, np.int64))


def test_needles_and_caps_are_mended_in_place():
    body = ellipsoid((8.0, 6.0, 14.0), (0, 0, 14.0), 48, 24)
    damaged = with_slivers(body)
    assert non_manifold_edge_count(damaged.triangles) == 0 and is_consistently_oriented(damaged.triangles)
    assert len(degenerate_triangles(damaged, CHECK_MM)) == 18  # 2 needles per split, 1 cap each
    mended, found = dissolve_degenerate(damaged, 2 * CHECK_MM)
    assert found == 18
    assert len(degenerate_triangles(mended, CHECK_MM)) == 0
    assert non_manifold_edge_count(mended.triangles) == 0 and is_consistently_oriented(mended.triangles)
    assert shell_count(mended) == 1
    assert abs(mended.volume() - body.volume()) < 1e-6 * body.volume()
    assert surface_deviation(body, mended, samples=4000)["max_mm"] < 1e-4


def test_a_clean_mesh_comes_back_as_it_was():
    body = ellipsoid((8.0, 6.0, 14.0), (0, 0, 14.0), 48, 24)
    mended, found = dissolve_degenerate(body, 2 * CHECK_MM)
    assert found == 0 and mended is body


def test_the_engines_remesh_hands_back_no_slivers(monkeypatch):
    """The repair engine's voxel remesh mends what OpenVDB hands back: here a remesh that
    returns needles and caps, as it does now and then on a scan."""
    from figurine_forge.blender import repair

    damaged = with_slivers(ellipsoid((8.0, 6.0, 14.0), (0, 0, 14.0), 48, 24))
    monkeypatch.setattr(repair.remesh, "voxel_remesh", lambda mesh, voxel_size: damaged)
    out = ENGINE.voxel_remesh(damaged, 0.4)
    assert len(degenerate_triangles(damaged, CHECK_MM)) == 18 and len(degenerate_triangles(out, CHECK_MM)) == 0
    assert non_manifold_edge_count(out.triangles) == 0 and is_consistently_oriented(out.triangles)


def test_the_engines_decimate_hands_back_no_slivers():
    damaged = with_slivers(ellipsoid((8.0, 6.0, 14.0), (0, 0, 14.0), 48, 24))
    out = ENGINE.decimate(damaged, len(damaged.triangles))  # ratio 1: Decimate keeps every triangle
    assert len(degenerate_triangles(out, CHECK_MM)) == 0
    assert non_manifold_edge_count(out.triangles) == 0 and is_consistently_oriented(out.triangles)
