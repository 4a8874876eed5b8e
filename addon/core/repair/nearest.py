# SPDX-License-Identifier: GPL-3.0-or-later
"""Distances from points to a triangle surface, and between two surfaces, with numpy.

The queries we need are mostly short: after a repair the two surfaces are a voxel or so apart.
:class:`SurfaceGrid` lists each triangle in the cells of a uniform grid its bounding box overlaps
(built once per mesh) and answers all points of a batch with numpy operations; far points are
answered on coarser grids, for those points only. No per-point Python calls.
"""

from __future__ import annotations

import numpy as np

from ..mesh.trimesh import TriMesh
from ..printcheck.spatial import budget_chunks

PAIR_BATCH = 1 << 19  # point-triangle pairs per numpy batch (~150 MB of temporaries at most)
CELL_BATCH = 1 << 18  # point-cell pairs per lookup batch
_MAX_ENTRIES = 24_000_000  # grid registrations before the cell is grown


def point_triangle_sq_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distance from each point ``p[k]`` to triangle ``(a[k], b[k], c[k])``.

    The closest point is found by the Voronoi region of the triangle the point projects into
    (vertex, edge or face), as in Ericson's *Real-Time Collision Detection*, for all pairs at
    once; regions are tested in the same priority order so ties resolve identically."""
    ab, ac, ap = b - a, c - a, p - a
    d1 = np.einsum("ij,ij->i", ab, ap)
    d2 = np.einsum("ij,ij->i", ac, ap)
    bp = p - b
    d3 = np.einsum("ij,ij->i", ab, bp)
    d4 = np.einsum("ij,ij->i", ac, bp)
    cp = p - c
    d5 = np.einsum("ij,ij->i", ab, cp)
    d6 = np.einsum("ij,ij->i", ac, cp)
    vc = d1 * d4 - d3 * d2
    vb = d5 * d2 - d1 * d6
    va = d3 * d6 - d5 * d4
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ab = np.nan_to_num(d1 / (d1 - d3))
        t_ac = np.nan_to_num(d2 / (d2 - d6))
        t_bc = np.nan_to_num((d4 - d3) / ((d4 - d3) + (d5 - d6)))
        denom = va + vb + vc
        v = np.nan_to_num(vb / denom)
        w = np.nan_to_num(vc / denom)
    in_a = (d1 <= 0) & (d2 <= 0)
    in_b = (d3 >= 0) & (d4 <= d3)
    in_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    in_c = (d6 >= 0) & (d5 <= d6)
    in_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    in_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    # Closest point as a + s*ab + t*ac, region by region (first matching region wins).
    s = np.select([in_a, in_b, in_ab, in_c, in_ac, in_bc], [0.0, 1.0, t_ab, 0.0, 0.0, 1.0 - t_bc], v)
    t = np.select([in_a, in_b, in_ab, in_c, in_ac, in_bc], [0.0, 0.0, 0.0, 1.0, t_ac, t_bc], w)
    q = a + s[:, None] * ab + t[:, None] * ac
    d = p - q
    return np.einsum("ij,ij->i", d, d)


class _Level:
    """Triangles listed in every cell of a uniform grid that their bounding box overlaps."""

    def __init__(self, bmin: np.ndarray, bmax: np.ndarray, origin: np.ndarray, top: np.ndarray, cell: float):
        extent = np.maximum(top - origin, 1e-12)
        while True:
            dims = np.floor(extent / cell).astype(np.int64) + 1
            per = np.prod(np.floor((bmax - bmin) / cell) + 2, axis=1)
            if float(per.sum()) <= _MAX_ENTRIES and float(np.prod(dims.astype(np.float64))) < 2**62:
                break
            cell *= 1.5  # a few huge triangles on a fine grid: fewer, larger cells
        self.origin, self.cell, self.dims = origin, float(cell), dims
        lo_i = self._coords(bmin)
        n = self._coords(bmax) - lo_i + 1
        per = n[:, 0] * n[:, 1] * n[:, 2]
        tri = np.repeat(np.arange(len(bmin), dtype=np.int64), per)
        key = self._linear(*_box_cells(lo_i, n, per))
        order = np.argsort(key, kind="stable")
        key = key[order]
        self.tris = tri[order]
        if len(key):
            brk = np.flatnonzero(np.diff(key)) + 1
            self.starts = np.concatenate([[0], brk]).astype(np.int64)
        else:
            self.starts = np.zeros(0, np.int64)
        self.counts = np.diff(np.append(self.starts, len(key)))
        self.keys = key[self.starts] if len(key) else np.zeros(0, np.int64)

    def _coords(self, p: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((p - self.origin) / self.cell).astype(np.int64), 0, self.dims - 1)

    def _linear(self, i, j, k):
        return (i * self.dims[1] + j) * self.dims[2] + k

    def cells_around(self, points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """First cell and cells per axis of the box ``points ± radius`` (zero when the box
        misses the grid)."""
        lo = np.floor((points - radius - self.origin) / self.cell).astype(np.int64)
        hi = np.floor((points + radius - self.origin) / self.cell).astype(np.int64)
        miss = np.any((hi < 0) | (lo > self.dims - 1), axis=1)
        lo = np.clip(lo, 0, self.dims - 1)
        n = np.clip(hi, 0, self.dims - 1) - lo + 1
        n[miss] = 0
        return lo, n


def _box_cells(lo: np.ndarray, n: np.ndarray, per: np.ndarray):
    """Every cell of each box (first cell ``lo``, ``n`` cells per axis), as i, j, k arrays."""
    local = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
    nyz = np.repeat(n[:, 1] * n[:, 2], per)
    nz = np.repeat(n[:, 2], per)
    rem = local % np.maximum(nyz, 1)
    return (np.repeat(lo[:, 0], per) + local // np.maximum(nyz, 1), np.repeat(lo[:, 1], per) + rem // np.maximum(nz, 1),
            np.repeat(lo[:, 2], per) + rem % np.maximum(nz, 1))


class SurfaceGrid:
    """Exact nearest-point queries against one triangle surface, all points of a batch at once.

    One structure per mesh, built once: triangles listed in the cells of a uniform grid their
    bounding boxes overlap (cell = a typical triangle), plus coarser grids (4x the cell each)
    made only if some points are far from the surface. A point is first searched within half
    a cell — the cells its box ``p ± r`` overlaps hold every triangle within ``r`` of it, so a
    candidate minimum ``<= r`` is exact — and the radius doubles for the points not yet
    answered only."""

    def __init__(self, mesh: TriMesh):
        if mesh.is_empty:
            raise ValueError("distance to an empty mesh")
        corners = mesh.triangle_corners()
        self.a = np.ascontiguousarray(corners[:, 0])
        self.b = np.ascontiguousarray(corners[:, 1])
        self.c = np.ascontiguousarray(corners[:, 2])
        self.bmin = corners.min(axis=1)
        self.bmax = corners.max(axis=1)
        self.centre = corners.mean(axis=1)
        self.lo = self.bmin.min(axis=0)
        self.hi = self.bmax.max(axis=0)
        self.diag = float(np.linalg.norm(self.hi - self.lo)) or 1.0
        size = float(np.median((self.bmax - self.bmin).max(axis=1)))
        self.base_cell = max(size, self.diag * 1e-5, float((self.hi - self.lo).max()) / 2048)
        self._levels: dict[int, _Level] = {}

    def level(self, k: int) -> _Level:
        if k not in self._levels:
            self._levels[k] = _Level(self.bmin, self.bmax, self.lo, self.hi, self.base_cell * 4.0 ** k)
        return self._levels[k]

    def _min_sq(self, lv: _Level, points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """Squared distance to the nearest triangle listed in the cells of ``points ± radius``
        (inf when none) and that triangle (-1)."""
        out = np.full(len(points), np.inf)
        out_tri = np.full(len(points), -1, dtype=np.int64)
        if len(points) == 0 or len(lv.keys) == 0:
            return out, out_tri
        lo, n = lv.cells_around(points, radius)
        per_point = n[:, 0] * n[:, 1] * n[:, 2]
        for start, stop in budget_chunks(per_point, CELL_BATCH):
            per = per_point[start:stop]
            owner_cell = np.repeat(np.arange(start, stop), per)
            key = lv._linear(*_box_cells(lo[start:stop], n[start:stop], per))
            slot = np.minimum(np.searchsorted(lv.keys, key), len(lv.keys) - 1)
            hit = lv.keys[slot] == key
            self._pairs(lv, points, owner_cell[hit], slot[hit], radius, out, out_tri)
        return out, out_tri

    def _pairs(self, lv: _Level, points, owner_cell, slot, radius, out, out_tri) -> None:
        counts = lv.counts[slot]
        for start, stop in budget_chunks(counts, PAIR_BATCH):
            cnt = counts[start:stop]
            owner = np.repeat(owner_cell[start:stop], cnt)
            first = np.cumsum(cnt) - cnt
            pos = np.arange(len(owner)) - np.repeat(first, cnt) + np.repeat(lv.starts[slot[start:stop]], cnt)
            tri = lv.tris[pos]
            p = points[owner]
            # Cheap bounds first: the distance to a triangle's centre bounds the point's answer
            # from above, the distance to its box bounds each candidate from below; only the
            # candidates whose box is nearer than both the bound and the radius are tested
            # exactly (typically a tenth of them).
            gap = np.maximum(np.maximum(self.bmin[tri] - p, p - self.bmax[tri]), 0.0)
            box2 = np.einsum("ij,ij->i", gap, gap)
            dc = self.centre[tri] - p
            cen2 = np.einsum("ij,ij->i", dc, dc)
            seg = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            seg_id = np.repeat(np.arange(len(seg)), np.diff(np.append(seg, len(owner))))
            bound = np.minimum(np.minimum.reduceat(cen2, seg), radius * radius)
            keep = np.flatnonzero(box2 <= bound[seg_id])
            owner, tri, p = owner[keep], tri[keep], p[keep]
            if len(owner) == 0:
                continue
            d2 = point_triangle_sq_distance(p, self.a[tri], self.b[tri], self.c[tri])
            # Pairs come grouped by point: the minimum of each group, and its triangle.
            seg = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            mins = np.minimum.reduceat(d2, seg)
            seg_id = np.repeat(np.arange(len(seg)), np.diff(np.append(seg, len(d2))))
            winner = np.flatnonzero(d2 == mins[seg_id])
            winner = winner[np.r_[True, seg_id[winner][1:] != seg_id[winner][:-1]]]
            pts = owner[seg]
            better = mins < out[pts]
            out[pts[better]] = mins[better]
            out_tri[pts[better]] = tri[winner][better]

    def nearest(self, points: np.ndarray, max_distance: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each point to the surface and the nearest triangle; points farther
        than ``max_distance`` get inf and -1 (their search stops there)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        out = np.full(len(points), np.inf)
        out_tri = np.full(len(points), -1, dtype=np.int64)
        todo = np.arange(len(points))
        k = 0
        r = 0.5 * self.base_cell
        while len(todo):
            lv = self.level(k)
            if lv.cell > 2.0 * self.diag:
                # One cell holds (nearly) everything: a radius that must reach the mesh.
                gap = np.linalg.norm(np.maximum(np.maximum(self.lo - points[todo], points[todo] - self.hi), 0.0), axis=1)
                r = max(r, float(gap.max()) + self.diag)
            r_now = min(r, max_distance)
            d2, tri = self._min_sq(lv, points[todo], r_now)
            found = d2 <= r_now * r_now
            out[todo[found]] = np.sqrt(d2[found])
            out_tri[todo[found]] = tri[found]
            todo = todo[~found]
            if r_now >= max_distance:
                break
            if r >= lv.cell:
                k += 1  # the next level's half cell is twice this radius
                r = 0.5 * self.level(k).cell
            else:
                r *= 2.0
        return out, out_tri


def typical_edge(mesh: TriMesh) -> float:
    """Median longest triangle side: the mesh's own length scale."""
    c = mesh.triangle_corners()
    step = max(1, len(c) // 100_000)  # a deterministic subsample is plenty for a median
    c = c[::step]
    sides = np.stack([np.linalg.norm(c[:, 1] - c[:, 0], axis=1), np.linalg.norm(c[:, 2] - c[:, 1], axis=1),
                      np.linalg.norm(c[:, 0] - c[:, 2], axis=1)], axis=1)
    return float(np.median(sides.max(axis=1))) if len(sides) else 1.0


def distances_within(mesh: TriMesh, points: np.ndarray, radius: float) -> np.ndarray:
    """Distance from each point to the surface where it is ``<= radius``; inf elsewhere."""
    d, _ = SurfaceGrid(mesh).nearest(points, max_distance=radius)
    d[d > radius] = np.inf
    return d


def nearest_distances(mesh: TriMesh, points: np.ndarray, radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact unsigned distance from each point to the surface of ``mesh``, and the index of
    the nearest triangle (one :class:`SurfaceGrid`, built for this call)."""
    return SurfaceGrid(mesh).nearest(points)


def sample_surface(mesh: TriMesh, count: int, seed: int = 0) -> np.ndarray:
    """``count`` points spread over the surface with uniform density (area-weighted)."""
    areas = mesh.face_areas()
    total = float(areas.sum())
    if total <= 0 or count <= 0:
        return np.zeros((0, 3))
    rng = np.random.default_rng(seed)
    tri = rng.choice(len(areas), size=count, p=areas / total)
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1.0  # fold the unit square onto the triangle
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    c = mesh.triangle_corners()[tri]
    return c[:, 0] + u[:, None] * (c[:, 1] - c[:, 0]) + v[:, None] * (c[:, 2] - c[:, 0])


def surface_deviation(original: TriMesh, result: TriMesh, *, samples: int = 60_000, seed: int = 0,
                      internal_depth: float | None = None, inside_fn=None, cap: float | None = None,
                      keep_points: bool = False) -> dict:
    """How far two surfaces are apart, in the meshes' units (mm for print meshes).

    Both directions are measured (result → original shows added material such as filled holes;
    original → result shows lost detail). ``mean_mm`` is the mean over uniformly spread surface
    samples (area-weighted, so it is the mean surface distance); ``max_mm`` also includes every
    vertex (up to ``samples``), where the largest distances usually sit.

    With ``internal_depth``, original samples lying deeper than that *inside* the (closed)
    result are left out and counted instead: they are faces buried inside other parts of a
    self-intersecting original (a leg pushed into a body), which a repair rightly removes and
    nobody sees. ``inside_fn(points) -> bool mask`` says which points are inside the result;
    without it the side is read from the nearest triangle's normal. With ``cap``, distances
    are exact up to ``cap`` and points farther away count as ``cap`` (``capped_fraction``): the
    search for far points is what costs, and beyond a cap the repair has failed anyway.
    ``keep_points`` adds the original samples and their distances (``_points``, ``_distances``,
    ``_kept``) for the caller to locate a loss."""
    out: dict = {}
    means, maxes = [], []
    rng = np.random.default_rng(seed + 1)
    limit = np.inf if cap is None else float(cap)
    for name, src, dst in (("result_to_original", result, original), ("original_to_result", original, result)):
        pts = sample_surface(src, samples, seed)
        verts = src.vertices[np.unique(src.triangles)]
        if len(verts) > samples:
            verts = verts[rng.choice(len(verts), samples, replace=False)]
        q = np.concatenate([pts, verts])
        grid = SurfaceGrid(dst)
        entry: dict = {}
        keep = np.ones(len(q), bool)
        buried = dst is result and internal_depth is not None
        depth = float(internal_depth) if internal_depth is not None else 0.0
        if buried and inside_fn is not None:
            d, tri = grid.nearest(q, max_distance=depth)
            rest = np.flatnonzero(~np.isfinite(d))
            inside = inside_fn(q[rest]) if len(rest) else np.zeros(0, bool)
            keep[rest[inside]] = False
            far = rest[~inside]
            if len(far):
                d[far], tri[far] = grid.nearest(q[far], max_distance=limit)
        else:
            d, tri = grid.nearest(q, max_distance=limit)
            if buried:
                n = result.face_normals()[np.maximum(tri, 0)]
                signed = np.einsum("ij,ij->i", q - result.vertices[result.triangles[np.maximum(tri, 0), 0]], n)
                keep = ~((signed < -depth) & (tri >= 0))
        capped = keep & ~np.isfinite(d)
        d = np.where(np.isfinite(d), d, limit)
        if buried:
            entry["internal_excluded_fraction"] = round(float(1.0 - keep[: len(pts)].mean()), 5)
        if cap is not None:
            entry["capped_fraction"] = round(float(capped[: len(pts)].mean()), 5)
        d_pts = d[: len(pts)][keep[: len(pts)]]
        d_all = d[keep]
        mean = float(d_pts.mean()) if len(d_pts) else 0.0
        mx = float(d_all.max(initial=0.0))
        entry.update({"mean_mm": round(mean, 5), "max_mm": round(mx, 5),
                      "p95_mm": round(float(np.percentile(d_pts, 95)) if len(d_pts) else 0.0, 5)})
        out[name] = entry
        means.append(mean)
        maxes.append(mx)
        if keep_points and dst is result:
            out["_points"], out["_distances"], out["_kept"] = pts, d[: len(pts)], keep[: len(pts)]
    out["mean_mm"] = round(float(np.mean(means)), 5)
    out["max_mm"] = round(float(max(maxes)), 5)
    out["samples"] = int(samples)
    return out
