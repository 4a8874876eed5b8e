# SPDX-License-Identifier: GPL-3.0-or-later
"""The accelerated spatial queries against plain brute force on small random meshes.

The references below test every pair / every triangle with straightforward per-element Python
(fine at this size) and a different formulation (segment-triangle intersection by
Moller-Trumbore), so a broad-phase bug in the grid shows up as a mismatch."""

from __future__ import annotations

import numpy as np

from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.printcheck import checks, spatial, topology
from printcheck_meshes import join, uv_sphere


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _ray_triangle(p, d, tri):
    """Moller-Trumbore in plain floats: (t, u, v) or None when parallel."""
    e1 = _sub(tri[1], tri[0])
    e2 = _sub(tri[2], tri[0])
    h = _cross(d, e2)
    det = _dot(e1, h)
    if abs(det) < 1e-15:
        return None
    s = _sub(p, tri[0])
    u = _dot(s, h) / det
    q = _cross(s, e1)
    return _dot(e2, q) / det, u, _dot(d, q) / det


def _segment_hits_triangle(p, q, tri, eps=1e-12):
    """Does the closed segment p-q meet triangle ``tri`` (not parallel)?"""
    r = _ray_triangle(p, _sub(q, p), tri)
    if r is None:
        return False
    t, u, v = r
    return u >= -eps and v >= -eps and u + v <= 1 + eps and -eps <= t <= 1 + eps


def brute_force_pairs(v, f):
    pts = [tuple(map(float, x)) for x in v]
    tris = [[pts[i] for i in row] for row in f.tolist()]
    out = set()
    for i in range(len(f)):
        fi = set(f[i].tolist())
        for j in range(i + 1, len(f)):
            if fi.intersection(f[j].tolist()):
                continue
            A, B = tris[i], tris[j]
            hit = any(_segment_hits_triangle(A[k], A[(k + 1) % 3], B) for k in range(3)) or \
                any(_segment_hits_triangle(B[k], B[(k + 1) % 3], A) for k in range(3))
            if hit:
                out.add((i, j))
    return out


def test_self_intersections_match_brute_force_on_random_soup():
    rng = np.random.default_rng(7)
    v = rng.uniform(0.0, 10.0, size=(60, 3))
    f = np.array([rng.choice(60, size=3, replace=False) for _ in range(160)])
    got = set(map(tuple, spatial.self_intersections(v, f).tolist()))
    want = brute_force_pairs(v, f)
    assert len(want) > 100  # the soup really is tangled
    assert got == want


def test_self_intersections_match_brute_force_on_mixed_sizes():
    # Many small triangles crowded into one spot plus large ones across it: exercises the
    # crowded-cell refinement.
    rng = np.random.default_rng(11)
    small_c = rng.uniform(4.9, 5.1, size=(200, 1, 3))
    small = small_c + rng.normal(scale=0.03, size=(200, 3, 3))
    large = rng.uniform(0.0, 10.0, size=(10, 3, 3))
    corners = np.concatenate([small, large]).reshape(-1, 3)
    f = np.arange(len(corners)).reshape(-1, 3)
    got = set(map(tuple, spatial.self_intersections(corners, f).tolist()))
    want = brute_force_pairs(corners, f)
    assert len(want) > 50
    assert got == want


def brute_force_thickness(v, f, normals, centroids, probe):
    pts = [tuple(map(float, x)) for x in v]
    tris = [[pts[i] for i in row] for row in f.tolist()]
    nrm = [tuple(map(float, n)) for n in normals]
    out = np.full(len(f), np.inf)
    for i in range(len(f)):
        if not any(nrm[i]):
            continue
        p = tuple(map(float, centroids[i]))
        d = (-nrm[i][0], -nrm[i][1], -nrm[i][2])
        for j in range(len(f)):
            if _dot(nrm[j], d) <= 0:  # only the far wall (faces looking along the ray)
                continue
            r = _ray_triangle(p, d, tris[j])
            if r is None:
                continue
            t, u, w = r
            if u >= 0 and w >= 0 and u + w <= 1 and 0 < t <= probe:
                out[i] = min(out[i], t)
    return out


def test_thickness_matches_brute_force_on_bumpy_shells():
    rng = np.random.default_rng(3)
    a = uv_sphere((0, 0, 0), 0.45, segments=14, rings=9)
    b = uv_sphere((0.5, 0.2, 0.1), 0.35, segments=12, rings=7)
    m = join(a, b)
    v = m.vertices + rng.normal(scale=0.02, size=m.vertices.shape)
    f = m.triangles
    _, normals, _, centroids, _ = checks.face_geometry(v, f)
    got = checks.face_thickness(v, f, normals, centroids, 1.2)
    want = brute_force_thickness(v, f, normals, centroids, 1.2)
    assert np.isfinite(want).sum() > 0.8 * len(f)
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    assert np.allclose(got[fin], want[fin], rtol=0, atol=1e-9)


def test_ray_caster_reports_the_hit_triangle():
    m = uv_sphere((0, 0, 0), 1.0, segments=24, rings=12)
    _, normals, _, centroids, _ = checks.face_geometry(m.vertices, m.triangles)
    caster = spatial.RayCaster(m.vertices, m.triangles, normals, 3.0)
    dist, face = caster.cast(centroids, -normals)
    assert np.all(np.isfinite(dist)) and np.all(face >= 0)
    # The far wall is across the sphere: the hit triangle faces along the ray.
    assert np.all(np.einsum("ij,ij->i", normals[face], -normals) > 0)
    assert np.all((dist > 1.8) & (dist <= 2.0))


def test_components_match_reference():
    rng = np.random.default_rng(5)
    n = 500
    a = rng.integers(0, n, 300)
    b = rng.integers(0, n, 300)
    labels = topology.label_components(n, a, b)
    # Reference: plain union-find.
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    ref = np.array([find(x) for x in range(n)])
    # Same partition, and both label each group by its smallest member.
    assert np.array_equal(labels, ref)



def test_face_regions_match_a_reference_over_all_faces():
    # Regions of flagged faces (labelled on the flagged faces only) against a plain flood fill
    # over the whole mesh: same regions, numbered in order of their smallest face.
    m = uv_sphere((0, 0, 0), 1.0, segments=40, rings=20)
    et = topology.edge_table(len(m.vertices), m.triangles)
    _, fa, fb = topology.manifold_face_pairs(et)
    rng = np.random.default_rng(11)
    member = rng.random(len(m.triangles)) < 0.4
    region, count = topology.face_components(len(m.triangles), fa, fb, member)
    neighbours = {f: set() for f in range(len(m.triangles))}
    for x, y in zip(fa.tolist(), fb.tolist()):
        neighbours[x].add(y)
        neighbours[y].add(x)
    ref = np.full(len(m.triangles), -1)
    next_id = 0
    for f in range(len(m.triangles)):
        if member[f] and ref[f] < 0:
            stack = [f]
            ref[f] = next_id
            while stack:
                g = stack.pop()
                for h in neighbours[g]:
                    if member[h] and ref[h] < 0:
                        ref[h] = next_id
                        stack.append(h)
            next_id += 1
    assert count == next_id > 5
    assert np.array_equal(region, ref)


def test_degenerate_edges_read_the_face_lengths_like_the_vertex_lengths():
    m = uv_sphere((0, 0, 0), 1.0, segments=24, rings=12)
    rng = np.random.default_rng(3)
    v = m.vertices + rng.normal(scale=0.05, size=m.vertices.shape)
    et = topology.edge_table(len(v), m.triangles)
    fa = checks.FaceArrays(v, m.triangles)
    direct = np.linalg.norm(v[et.edges[:, 1]] - v[et.edges[:, 0]], axis=1)
    limit = float(np.median(direct))
    by_faces = checks.degenerate_edges(et, fa.lengths, limit)
    assert np.array_equal(by_faces, np.flatnonzero(direct < limit)) and len(by_faces) > 10


# -- the shared topology helpers and determinism --------------------------------------------------
def test_sort_keys_is_a_stable_argsort_on_both_paths():
    rng = np.random.default_rng(17)
    small = rng.integers(0, 50, 5000)  # packed path: key and position share one int64
    big = rng.integers(0, 1 << 61, 5000)  # no room to pack: falls back to a stable argsort
    big[::7] = big[0]
    for keys in (small, big):
        sk, order = topology.sort_keys(keys)
        assert np.array_equal(order, np.argsort(keys, kind="stable"))
        assert np.array_equal(sk, keys[order])


def test_meshdata_topology_uses_the_fast_helpers_and_agrees_with_reference():
    from figurine_forge.core.mesh import trimesh as meshdata

    rng = np.random.default_rng(23)
    m = join(uv_sphere((0, 0, 0), 1.0), uv_sphere((5, 0, 0), 1.0), uv_sphere((0, 5, 0), 0.5, segments=6, rings=4))
    tris = m.triangles
    edges, counts = meshdata.edge_face_counts(tris)
    e = np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1)
    ref_edges, ref_counts = np.unique(e, axis=0, return_counts=True)
    assert np.array_equal(edges, ref_edges) and np.array_equal(counts, ref_counts)
    assert meshdata.non_manifold_edge_count(tris) == 0
    assert meshdata.shell_count(m) == 3
    assert meshdata.is_consistently_oriented(tris)
    assert not meshdata.is_consistently_oriented(np.concatenate([tris[:1, ::-1], tris[1:]]))
    # Labels are the smallest vertex of each part, as a plain union-find gives.
    labels = meshdata.connected_components(len(m.vertices), tris)
    parent = list(range(len(m.vertices)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in ref_edges.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    assert labels.tolist() == [find(x) for x in range(len(m.vertices))]
    # Part ids per face: compact, in order of the part's smallest vertex; unused vertices ignored.
    extra = np.vstack([m.vertices, rng.normal(size=(4, 3))])
    part, n = topology.face_parts(meshdata.connected_components(len(extra), tris), tris)
    assert n == 3 and part[0] == 0 and part[-1] == 2 and sorted(set(part.tolist())) == [0, 1, 2]


def test_analysis_is_deterministic_and_thread_independent():
    rng = np.random.default_rng(9)
    a = uv_sphere((0, 0, 5), 4.0, segments=40, rings=20)
    b = uv_sphere((3.5, 0, 5), 1.0, segments=16, rings=8)  # pokes through a's wall
    m = join(a, b)
    m = TriMesh(m.vertices + rng.normal(scale=0.01, size=m.vertices.shape), m.triangles)
    from figurine_forge.core import printcheck

    runs = [printcheck.analyze(m, threads=k) for k in (1, 2, 2)]
    first = runs[0]
    assert first.report["checks"]["intersecting_faces"] > 0 and first.report["checks"]["thin_faces"] >= 0
    for other in runs[1:]:
        assert other.report == first.report
        assert np.array_equal(other.face_thickness, first.face_thickness)
        for k in first.elements:
            assert np.array_equal(other.elements[k], first.elements[k])
    # Per-check CPU time is reported beside the wall time.
    assert set(first.cpu_timings) >= {"thickness", "intersecting_faces", "total"}


def test_rays_from_outside_the_grid_and_along_axes():
    # A box 10 x 10 x 0.5: rays cast straight down from above it (outside the grid), along an
    # axis (two direction components zero), must find the top at the right distance.
    from printcheck_meshes import box

    m = box((0, 0, 0), (10, 10, 0.5))
    _, normals, _, _, _ = checks.face_geometry(m.vertices, m.triangles)
    caster = spatial.RayCaster(m.vertices, m.triangles, normals, 3.0)
    xy = np.stack(np.meshgrid(np.linspace(0.5, 9.5, 7), np.linspace(0.5, 9.5, 7)), axis=-1).reshape(-1, 2)
    origins = np.column_stack([xy, np.full(len(xy), 2.0)])
    down = np.tile([0.0, 0.0, -1.0], (len(xy), 1))
    # Facing only: the top looks up, against the ray, and is skipped; the bottom (faces 0, 1)
    # looks down, along the ray, 2.0 below.
    dist, face = caster.cast(origins, down)
    assert np.allclose(dist, 2.0) and np.all(np.isin(face, [0, 1]))
    # Any facing: the top, 1.5 below.
    dist, face = caster.cast(origins, down, facing_only=False)
    assert np.allclose(dist, 1.5) and np.all(np.isin(face, [2, 3]))
    # From farther out the rays (3.0 long) reach the top only.
    dist, _ = caster.cast(origins + [0.0, 0.0, 1.2], down, facing_only=False)
    assert np.allclose(dist, 2.7)
    dist, _ = caster.cast(origins + [0.0, 0.0, 1.2], down)
    assert np.all(np.isinf(dist))
