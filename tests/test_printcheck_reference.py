# SPDX-License-Identifier: GPL-3.0-or-later
"""The accelerated spatial queries against plain brute force on small random meshes.

The references below test every pair / every triangle with straightforward per-element Python
(fine at this size) and a different formulation (segment-triangle intersection by
Moller-Trumbore), so a broad-phase bug in the grid shows up as a mismatch."""

from __future__ import annotations

import numpy as np

from figurine_forge.core.meshdata import TriMesh
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
