# SPDX-License-Identifier: GPL-3.0-or-later
"""Batched spatial queries over a triangle mesh with numpy: ray casts and triangle overlaps.

Why not Blender's BVHTree: the checks must run without Blender, and measured on the
1,007,616-triangle Suzanne ``BVHTree.FromPolygons`` alone took 2.5 s and ``overlap`` 1.7 s,
while a ray cast is one Python call per ray. A uniform grid fits the queries we need, which are
all *short* (a wall-thickness probe a few millimetres long, a triangle against its
neighbours): every query touches a handful of cells, and each step below is one numpy operation
over all queries of a batch.

Ray casts (:class:`RayCaster`):

* Triangles are listed in every cell their bounding box overlaps (a hair wider, for rounding),
  and rays are walked cell by cell with a 3-D DDA run for all rays of a batch at once: about
  1.6 entries per triangle and ~8 cells per ray, where sampling points along the ray would need
  boxes grown by a quarter cell (three times the entries).
* Each occupied cell's triangles are grouped by facing class, and in clusters of up to 8 with a
  box and a box of their unit normals. A ray that looks for the *far side* of a wall only
  accepts triangles facing along the ray (``n . d > 0``); a group whose normal box cannot hold
  such a normal is skipped before its triangles are expanded. That drops the ray's own surface,
  the biggest source of candidates.

Self-intersections: see :func:`self_intersections`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .topology import BLOCK, blocks, sort_keys

# Memory per batch is roughly proportional to these; they keep the 1M-triangle suite well under
# 2 GB while the batches stay large enough for numpy to run at full speed.
RAY_BATCH = 1 << 14
_MAX_CELLS = 1 << 24  # dense cell -> slot table: 64 MB of int32 at most
# Grid cells at most this many median triangle extents wide. Thickness CPU (one thread, on a
# busy machine): the sample figure read as 2 mm tall, no cap (45 cells in all) 8 GB and a
# MemoryError; ratio 12 / 6 / 4.5 / 3 / 2: 10.7 (wall) / 1.35-1.39 / 1.20 / 0.78-0.87 / 0.83 s.
# The 1M-triangle Suzanne at 32 mm (ratio 5.4, a third of the probe) with ratio 6 / 4.5 / 3:
# 0.93-0.98 / 0.94-0.96 / 1.02-1.09 s. 6 keeps Suzanne's grid (and speed) as it was.
_CELL_PER_EXTENT = 6.0
# The walk hands over its (ray, cell) pairs every WALK_SEGMENT steps; rays whose nearest hit
# lies before the cells still ahead stop there. Thickness CPU with 16 / 8 / 6: the sample read
# as 2 mm (79-step walks) 1.22-1.26 / 0.94-0.96 / 0.84-0.95 s, the 1M Suzanne (13 steps)
# 0.86-0.92 / 0.88-1.00 (median 0.88) / 0.88-0.91 s.
WALK_SEGMENT = 8
# At most this many (ray, cluster) or (ray, triangle) candidates are expanded at once: the hard
# memory budget of a batch (~100 bytes each), whatever the triangles per cell. Measured: 200
# overlapping spheroids (118k triangles) peak at 667 / 515 / 361 MB with 2M / 1M / 512k and
# the same CPU; the 1M Suzanne's thickness CPU 0.89-0.96 / 0.87-0.91 / 0.87-0.88 s.
PAIR_BUDGET = 1 << 19


@dataclass
class TriangleSoA:
    """Per-triangle arrays, split per component: numpy runs faster on 1-D arrays than on (K, 3).
    Views of the :class:`checks.FaceArrays` columns when given (no copies); the edge vectors
    are formed per candidate, from gathered corners, rather than kept (48 MB per million)."""

    ax: np.ndarray
    ay: np.ndarray
    az: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    bz: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    cz: np.ndarray
    nx: np.ndarray  # unit normal (zero for degenerate triangles)
    ny: np.ndarray
    nz: np.ndarray
    bmin: np.ndarray  # (M, 3)
    bmax: np.ndarray

    @classmethod
    def from_arrays(cls, vertices: np.ndarray, triangles: np.ndarray, normals: np.ndarray,
                    faces=None) -> "TriangleSoA":
        if faces is not None:
            a, b, c = faces.a, faces.b, faces.c
            bmin, bmax = faces.bmin, faces.bmax
        else:
            a = vertices[triangles[:, 0]]
            b = vertices[triangles[:, 1]]
            c = vertices[triangles[:, 2]]
            bmin = np.minimum(np.minimum(a, b), c)
            bmax = np.maximum(np.maximum(a, b), c)
        col = [np.ascontiguousarray(x[:, k]) for x in (a, b, c, normals) for k in range(3)]
        return cls(ax=col[0], ay=col[1], az=col[2], bx=col[3], by=col[4], bz=col[5],
                   cx=col[6], cy=col[7], cz=col[8], nx=col[9], ny=col[10], nz=col[11], bmin=bmin, bmax=bmax)


def facing_class(nx: np.ndarray, ny: np.ndarray, nz: np.ndarray) -> np.ndarray:
    """0..5: the dominant axis of a normal and its sign (+x, -x, +y, -y, +z, -z)."""
    ax, ay, az = np.abs(nx), np.abs(ny), np.abs(nz)
    axis = np.where((ax >= ay) & (ax >= az), 0, np.where(ay >= az, 1, 2))
    comp = np.where(axis == 0, nx, np.where(axis == 1, ny, nz))
    return axis * 2 + (comp < 0)


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups (start, count): the group index of each element, and the element positions."""
    total = int(counts.sum())
    group = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - np.repeat(first - starts, counts)
    return group, pos


def _median_extent(bmin: np.ndarray, bmax: np.ndarray) -> float:
    if len(bmin) == 0:
        return 1.0
    # A deterministic subsample is plenty to size grid cells.
    idx = np.arange(0, len(bmin), max(1, len(bmin) // 50000))
    ext = (bmax[idx] - bmin[idx]).max(axis=1)
    med = float(np.median(ext))
    return med if med > 0 else float(ext.max() or 1.0)


def _box_cells(lo: np.ndarray, n: np.ndarray, small: int = 2):
    """Cells of integer boxes: box ``i`` covers ``lo[i] .. lo[i] + n[i] - 1`` per axis.

    Returns (box index, i, j, k) per covered cell. Boxes at most ``small`` cells wide on every
    axis (nearly all) are expanded offset by offset, without integer divisions."""
    objs, cells = [], []
    fits = np.all(n <= small, axis=1)
    for off in np.ndindex(small, small, small):
        sel = np.flatnonzero(fits & (n[:, 0] > off[0]) & (n[:, 1] > off[1]) & (n[:, 2] > off[2]))
        objs.append(sel)
        cells.append(lo[sel] + np.asarray(off, dtype=np.int64))
    big = np.flatnonzero(~fits)
    if len(big):
        nb = n[big]
        per = nb[:, 0] * nb[:, 1] * nb[:, 2]
        grp, local = _expand(np.zeros(len(big), dtype=np.int64), per)
        nyz = nb[grp, 1] * nb[grp, 2]
        rem = local % nyz
        objs.append(big[grp])
        cells.append(lo[big[grp]] + np.stack([local // nyz, rem // nb[grp, 2], rem % nb[grp, 2]], axis=1))
    obj = np.concatenate(objs)
    ijk = np.concatenate(cells) if cells else np.zeros((0, 3), np.int64)
    return obj, ijk


def _entry_count(bmin: np.ndarray, bmax: np.ndarray, lo: np.ndarray, cell: float) -> int:
    """How many grid entries the boxes make with cells of this size (at most: the padding of
    the real listing is ignored, the clip to the grid is not), counted in blocks."""
    total = 0
    pad = 2e-6 * cell
    for s, e in blocks(len(bmin)):
        n = None
        for k in range(3):
            a = np.floor((bmin[s:e, k] - pad - lo[k]) / cell)
            b = np.floor((bmax[s:e, k] + pad - lo[k]) / cell)
            b -= a
            b += 1
            n = b if n is None else n * b
        total += int(n.sum()) if n is not None else 0
    return total


def _col_reduce(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(x[:, k]) for k in range(x.shape[1])])


def _cell_keys(lo: np.ndarray, n: np.ndarray, fine: np.ndarray, cls: np.ndarray, strides: np.ndarray,
               small: int = 2):
    """Grid entries of integer boxes (box ``i`` covers ``lo[i] .. lo[i] + n[i] - 1`` per axis),
    with their sort keys: (cell, facing class, Z-order of the quarter-cell of the box's centre
    ``fine`` inside the cell). Returns (box index, key) per covered cell, in the order of
    :func:`_box_cells` (offset by offset, then the big boxes). Small boxes are handled on 1-D
    per-box arrays: the key is the box's base key plus per-offset constants, no (K, 3) arrays."""
    base_lin = lo @ strides
    fits = (n[:, 0] <= small) & (n[:, 1] <= small) & (n[:, 2] <= small)
    # shape bits: axis a may take offset 1 when n[a] == 2 (only small == 2 is handled here)
    assert small == 2
    shape = ((n[:, 0] == 2).astype(np.uint8) << 2) | ((n[:, 1] == 2).astype(np.uint8) << 1) | \
        (n[:, 2] == 2).astype(np.uint8)
    shape[~fits] = 255  # never selected by the mask below (bit 3 set)
    rel = [fine[:, a] - 4 * lo[:, a] for a in range(3)]  # quarter-cell offset from the box's first cell
    objs, keys = [], []
    for off in np.ndindex(small, small, small):
        oc = (off[0] << 2) | (off[1] << 1) | off[2]
        sel = np.flatnonzero((shape & np.uint8(oc | 8)) == oc)
        objs.append(sel)
        sub = [np.clip(rel[a][sel] - 4 * off[a], 0, 3) for a in range(3)]
        code = ((sub[0] >> 1) << 5) | ((sub[1] >> 1) << 4) | ((sub[2] >> 1) << 3) | \
            ((sub[0] & 1) << 2) | ((sub[1] & 1) << 1) | (sub[2] & 1)
        lin = base_lin[sel] + int(np.dot(off, strides))
        keys.append(((lin * 6 + cls[sel]) << 6) | code)
    big = np.flatnonzero(~fits)
    if len(big):
        ob, ijk = _box_cells(lo[big], n[big], small=0)  # all by the general path
        o = big[ob]
        objs.append(o)
        sub = np.clip(fine[o] - 4 * ijk, 0, 3)
        code = ((sub[:, 0] >> 1) << 5) | ((sub[:, 1] >> 1) << 4) | ((sub[:, 2] >> 1) << 3) | \
            ((sub[:, 0] & 1) << 2) | ((sub[:, 1] & 1) << 1) | (sub[:, 2] & 1)
        keys.append((((ijk @ strides) * 6 + cls[o]) << 6) | code)
    return np.concatenate(objs), np.concatenate(keys)


def _ray_hits(tris: TriangleSoA, tri: np.ndarray, ox, oy, oz, dx, dy, dz, t_min: float, t_max: float):
    """Moller-Trumbore on candidate (ray, triangle) pairs; returns a mask and the ray parameter."""
    ax, ay, az = tris.ax[tri], tris.ay[tri], tris.az[tri]
    e1x, e1y, e1z = tris.bx[tri] - ax, tris.by[tri] - ay, tris.bz[tri] - az
    e2x, e2y, e2z = tris.cx[tri] - ax, tris.cy[tri] - ay, tris.cz[tri] - az
    px = dy * e2z - dz * e2y
    py = dz * e2x - dx * e2z
    pz = dx * e2y - dy * e2x
    det = e1x * px + e1y * py + e1z * pz
    ok = np.abs(det) > 1e-30
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    tx = ox - ax
    ty = oy - ay
    tz = oz - az
    u = (tx * px + ty * py + tz * pz) * inv
    qx = ty * e1z - tz * e1y
    qy = tz * e1x - tx * e1z
    qz = tx * e1y - ty * e1x
    v = (dx * qx + dy * qy + dz * qz) * inv
    t = (e2x * qx + e2y * qy + e2z * qz) * inv
    # A small tolerance on the barycentric bounds keeps rays through a shared edge from slipping
    # between its two triangles.
    eps = 1e-9
    ok &= (u >= -eps) & (v >= -eps) & (u + v <= 1.0 + eps) & (t > t_min) & (t <= t_max)
    return ok, t


GROUP = 8  # triangles per cluster inside a bin


def _joined(rays: list, slots: list) -> tuple[np.ndarray, np.ndarray]:
    if not rays:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rays), np.concatenate(slots).astype(np.int64)


def budget_chunks(counts: np.ndarray, budget: int):
    """(start, end) runs of consecutive items whose ``counts`` sum to at most ``budget``
    (an item over the budget alone makes its own run); one run when everything fits."""
    n = len(counts)
    if n == 0:
        return
    cum = np.cumsum(counts, dtype=np.int64)
    if int(cum[-1]) <= budget:
        yield 0, n
        return
    start = 0
    while start < n:
        base = int(cum[start - 1]) if start else 0
        stop = max(int(np.searchsorted(cum, base + budget, side="right")), start + 1)
        yield start, stop
        start = stop


class RayCaster:
    """Short rays (at most ``max_dist`` long) against one triangle mesh, in batches.

    ``cast(origins, dirs) -> (distance, triangle)`` is the whole protocol the checks rely on.
    Structure: uniform grid -> bins (cell x facing class) -> clusters of up to 8 triangles
    (ordered by sub-cell inside the bin) with their box and normal box -> triangles. Clusters
    keep densely tessellated spots (Suzanne's eyes put 1,400 triangles in one cell) from costing
    one test per triangle."""

    def __init__(self, vertices: np.ndarray, triangles: np.ndarray, normals: np.ndarray, max_dist: float,
                 faces=None):
        self.max_dist = float(max_dist)
        m = len(triangles)
        self.tris = t = TriangleSoA.from_arrays(vertices, triangles, normals, faces)
        # (Per column: numpy reduces a contiguous 1-D array several times faster than axis 0.)
        self.lo = lo = (_col_reduce(np.min, t.bmin) if m else np.zeros(3)) - 1e-9
        hi = (_col_reduce(np.max, t.bmax) if m else np.ones(3)) + 1e-9
        extent = np.maximum(hi - lo, 1e-9)
        # A third of the probe length: ~6 cells per ray; much smaller cells mean more cells per
        # ray and more entries, much larger ones more clusters per cell. But never more than
        # _CELL_PER_EXTENT typical triangles wide: when the probe is long next to the triangles
        # (a figure read in the wrong units, a dense mesh), coarse cells would hold thousands of
        # triangles each and every ray would meet all of them (205k triangles in 45 cells took
        # 8 GB); finer cells make the walk longer instead, and the walk stops at the first wall.
        median = _median_extent(t.bmin, t.bmax)
        cell = max(min(self.max_dist / 3.0, _CELL_PER_EXTENT * median), median, float(extent.max()) * 1e-6)
        # Hard budgets: the cell table, and the entries (a few huge triangles, such as a ground
        # plane beside a fine figure, would otherwise be listed in millions of small cells).
        entry_budget = 8 * m + (1 << 22)
        while True:
            dims = np.floor(extent / cell).astype(np.int64) + 1
            if np.prod(dims + 2) <= _MAX_CELLS and _entry_count(t.bmin, t.bmax, lo, cell) <= entry_budget:
                break
            cell *= 1.25
        self.cell = cell
        self.dims = dims
        self.strides = np.array([dims[1] * dims[2], dims[2], 1], dtype=np.int64)
        # Boxes a hair wider than the triangles: a hit computed on a cell boundary still lands
        # in a cell the walk visits, whatever the rounding.
        pad = 1e-6 * cell
        # Entries and their sort keys, in blocks of triangles (small temporaries; see blocks).
        objs, keys_parts = [], []
        for s, e in blocks(m):
            cmin = np.empty((e - s, 3), dtype=np.int64)
            cmax = np.empty((e - s, 3), dtype=np.int64)
            for k in range(3):
                q = t.bmin[s:e, k] - pad
                q -= lo[k]
                q /= cell
                cmin[:, k] = np.clip(np.floor(q, out=q).astype(np.int64), 0, dims[k] - 1)
                q = t.bmax[s:e, k] + pad
                q -= lo[k]
                q /= cell
                cmax[:, k] = np.clip(np.floor(q, out=q).astype(np.int64), 0, dims[k] - 1)
            cls = facing_class(t.nx[s:e], t.ny[s:e], t.nz[s:e])
            # Order inside a bin: by the quarter-cell the triangle's centre falls in (Z-order),
            # so a cluster of 8 consecutive triangles is compact.
            fine = np.floor(((t.bmin[s:e] + t.bmax[s:e]) * 0.5 - lo) * (4.0 / cell)).astype(np.int64)
            o, k_ = _cell_keys(cmin, cmax - cmin + 1, fine, cls, self.strides)
            objs.append(o + s)
            keys_parts.append(k_)
        obj = np.concatenate(objs) if objs else np.zeros(0, np.int64)
        keys = np.concatenate(keys_parts) if keys_parts else np.zeros(0, np.int64)
        del objs, keys_parts
        key, perm = sort_keys(keys, consume=True)
        del keys
        self.objects = obj = obj[perm]
        bin_key = key >> 6
        del key, perm
        if len(bin_key):
            starts = np.flatnonzero(np.r_[True, bin_key[1:] != bin_key[:-1]])
        else:
            starts = np.zeros(0, dtype=np.int64)
        counts = np.diff(np.append(starts, len(bin_key)))
        bin_cell = bin_key[starts] // 6
        cstart = np.flatnonzero(np.r_[True, bin_cell[1:] != bin_cell[:-1]]) if len(bin_cell) else starts
        self.cell_bin_start = cstart
        self.cell_bin_count = np.diff(np.append(cstart, len(bin_cell)))
        # Cell -> slot (index among occupied cells), on a table padded by one empty cell per side.
        pdims = dims + 2
        self.pad_strides = np.array([pdims[1] * pdims[2], pdims[2], 1], dtype=np.int64)
        occupied = bin_cell[cstart]
        oi = occupied // self.strides[0]
        rem = occupied - oi * self.strides[0]
        oj = rem // self.strides[1]
        ok = rem - oj * self.strides[1]
        slot = np.full(int(np.prod(pdims)), -1, dtype=np.int32)
        slot[(oi + 1) * self.pad_strides[0] + (oj + 1) * self.pad_strides[1] + (ok + 1)] = \
            np.arange(len(cstart), dtype=np.int32)
        self.pad_slot = slot
        # Cells a walk can visit: the start, then one per boundary crossed on each axis.
        self.max_steps = 1 + 3 * (int(np.ceil(self.max_dist / cell)) + 1)
        # Clusters: consecutive runs of GROUP entries inside each bin.
        per_bin = (counts + GROUP - 1) // GROUP
        self.bin_cluster_start = np.cumsum(per_bin) - per_bin
        self.bin_cluster_count = per_bin
        cbin, cpos = _expand(np.zeros(len(per_bin), np.int64), per_bin)
        self.cluster_start = starts[cbin] + cpos * GROUP
        self.cluster_count = np.minimum(GROUP, counts[cbin] - cpos * GROUP)
        # Per cluster, one array per component: the triangles' box (padded for the slab cull)
        # and the box of their unit normals (for the facing culls); per bin, its normal box.
        # Every cluster is read as GROUP slots (a short one repeats its last triangle, which
        # changes neither a minimum nor a maximum): a reduction is then GROUP - 1 elementwise
        # steps over strided slots, about twice as fast as ``reduceat`` over the runs. In
        # blocks of clusters, like the entries above.
        n_clusters = len(self.cluster_start)
        pad = 1e-9 * cell
        boxes = [(t.bmin[:, k], np.minimum, -pad) for k in range(3)] + \
            [(t.bmax[:, k], np.maximum, pad) for k in range(3)] + \
            [(x, np.minimum, 0.0) for x in (t.nx, t.ny, t.nz)] + [(x, np.maximum, 0.0) for x in (t.nx, t.ny, t.nz)]
        out = [np.empty(n_clusters) for _ in boxes]
        for s, e in blocks(n_clusters, BLOCK // GROUP):
            slots = self.cluster_start[s:e, None] + np.minimum(np.arange(GROUP), self.cluster_count[s:e, None] - 1)
            slot_tri = obj[slots.reshape(-1)]
            for (values, ufunc, grow), dest in zip(boxes, out):
                x = values[slot_tri].reshape(-1, GROUP)
                r = dest[s:e]
                r[:] = x[:, 0]
                for j in range(1, GROUP):
                    ufunc(r, x[:, j], out=r)
                if grow:
                    r += grow
        self.c_bmin_lo, self.c_bmax_hi = out[0:3], out[3:6]  # (padded for the slab cull)
        self.c_nlo_s, self.c_nhi_s = out[6:9], out[9:12]
        bs = self.bin_cluster_start
        if len(bs):
            self.b_nlo_s = [np.minimum.reduceat(x, bs) for x in self.c_nlo_s]
            self.b_nhi_s = [np.maximum.reduceat(x, bs) for x in self.c_nhi_s]
        else:
            self.b_nlo_s = [np.zeros(0) for _ in range(3)]
            self.b_nhi_s = [np.zeros(0) for _ in range(3)]

    def cast(self, origins: np.ndarray, dirs: np.ndarray, *, facing_only: bool = True,
             t_min: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Nearest hit within ``max_dist`` per ray: (distance or inf, input triangle index or -1).

        ``facing_only`` accepts only triangles whose normal points along the ray: the far wall
        when casting inward from the surface of a closed, outward-wound mesh."""
        r = len(origins)
        dist = np.full(r, np.inf)
        face = np.full(r, -1, dtype=np.int64)
        if len(self.objects) == 0:
            return dist, face
        for s, e in blocks(r, RAY_BATCH):
            d, f = self._cast_batch(np.ascontiguousarray(origins[s:e], dtype=np.float64),
                                    np.ascontiguousarray(dirs[s:e], dtype=np.float64), facing_only, t_min)
            dist[s:e] = d
            face[s:e] = f
        return dist, face

    def _walk(self, o: list[np.ndarray], d: list[np.ndarray], finished: np.ndarray):
        """3-D DDA of every ray of the batch over the grid: (ray, cell slot) pairs for the
        occupied cells a segment ``[0, max_dist]`` passes through (clipped to the grid). All rays
        step together; a finished ray stays in the arrays, masked, which is cheaper than
        compacting a dozen arrays at every step. ``o``, ``d``: per-component arrays (numpy runs
        much faster on 1-D arrays than on columns of (R, 3) ones).

        A generator: every :data:`WALK_SEGMENT` steps it yields ``(rays, slots, reached)``, the
        pairs of those steps and per ray the parameter up to which every cell has been visited
        (inf once its walk is over); the last yield has ``reached`` None (all visited). Rays the
        caller marks in ``finished`` meanwhile (their nearest hit lies before ``reached``) walk
        no further: with short cells a long probe costs only the cells up to the first wall."""
        r = len(o[0])
        lo, cell, dims = self.lo, self.cell, self.dims
        t0 = np.zeros(r)
        t1 = np.full(r, self.max_dist)
        inv, clipped = [], False
        with np.errstate(divide="ignore", invalid="ignore"):
            for k in range(3):
                # Clip the segment to the grid box (slabs); a ray along the slab's planes
                # (zero component) is inside it or misses the grid.
                ik = 1.0 / d[k]
                ta = (lo[k] - o[k]) * ik
                tb = (lo[k] + dims[k] * cell - o[k]) * ik
                near, far = np.minimum(ta, tb), np.maximum(ta, tb)
                zero = d[k] == 0.0
                if zero.any():
                    inside = (o[k] >= lo[k]) & (o[k] <= lo[k] + dims[k] * cell)
                    near[zero] = np.where(inside[zero], -np.inf, np.inf)
                    far[zero] = np.where(inside[zero], np.inf, -np.inf)
                if (near > 0.0).any():  # some origin outside the grid box on this axis
                    clipped = True
                    np.maximum(t0, near, out=t0)
                np.minimum(t1, far, out=t1)
                inv.append(ik)
        live = np.flatnonzero(t0 <= t1)
        if len(live) < r:
            o = [x[live] for x in o]
            d = [x[live] for x in d]
            inv = [x[live] for x in inv]
            t0, t1 = t0[live], t1[live]
        # Per axis: the start cell, the parameter of the next boundary crossed, the parameter
        # between crossings (inf along an axis the ray never crosses), the linear step.
        ps = self.pad_strides
        lin = np.zeros(len(live), dtype=np.int64)
        tnext, tstep, sl = [], [], []
        with np.errstate(invalid="ignore"):
            for k in range(3):
                p = o[k] + d[k] * t0 if clipped else o[k]
                c = np.floor((p - lo[k]) / cell).astype(np.int64)
                np.clip(c, 0, dims[k] - 1, out=c)
                pos = d[k] > 0.0
                tn = (lo[k] + (c + pos) * cell - o[k]) * inv[k]
                tn[d[k] == 0.0] = np.inf
                tnext.append(tn)
                tstep.append(cell * np.abs(inv[k]))
                sl.append(np.where(pos, ps[k], np.where(d[k] < 0.0, -ps[k], 0)))
                c += 1
                c *= ps[k]
                lin += c
        tx, ty, tz = tnext
        dx, dy, dz = tstep
        # The walk runs on the slot table padded with one empty cell on every side, on linear
        # indices: a step adds a per-axis stride. A ray ends when its next cell starts beyond
        # t1; rounding at the grid's exit can take it one cell out, onto the empty border.
        table = self.pad_slot
        active = np.ones(len(live), dtype=bool)  # t0 <= t1 for every live ray
        rays, slots = [], []
        for step in range(self.max_steps):
            # (mode="clip": a finished ray may have stepped off the table; it is masked below.)
            sl_here = table.take(lin, mode="clip")
            hit = np.flatnonzero((sl_here >= 0) & active)
            rays.append(live[hit])
            slots.append(sl_here[hit])
            mx = (tx <= ty) & (tx <= tz)
            my = ty <= tz
            my &= ~mx
            mz = ~(mx | my)
            tcur = np.minimum(tx, ty)
            np.minimum(tcur, tz, out=tcur)
            active = tcur <= t1
            n_active = int(np.count_nonzero(active))
            if n_active == 0:
                break
            lin += np.where(mx, sl[0], np.where(my, sl[1], sl[2]))
            # (dx may be inf for an axis the ray never crosses)
            np.add(tx, dx, out=tx, where=mx)
            np.add(ty, dy, out=ty, where=my)
            np.add(tz, dz, out=tz, where=mz)
            if (step + 1) % WALK_SEGMENT == 0:
                reached = np.full(r, np.inf)
                reached[live[active]] = tcur[active]  # the next cell starts there
                yield _joined(rays, slots), reached
                rays, slots = [], []
                stop = finished[live]
                if stop.any():
                    t1[stop] = -np.inf  # (never active again)
                    active &= ~stop
                    n_active = int(np.count_nonzero(active))
                    if n_active == 0:
                        return
            if n_active * 2 < len(active):
                # Most rays are done: drop them (short rays end after a few cells, the longest
                # run to max_steps). Pairs keep their order: rays ascending within a step.
                a = np.flatnonzero(active)
                lin, tx, ty, tz, dx, dy, dz, t1, live = (x[a] for x in (lin, tx, ty, tz, dx, dy, dz, t1, live))
                sl = [x[a] for x in sl]
                active = active[a]
        yield _joined(rays, slots), None

    def _cast_batch(self, o: np.ndarray, d: np.ndarray, facing_only: bool, t_min: float):
        r = len(o)
        dsoa = [np.ascontiguousarray(d[:, k]) for k in range(3)]
        osoa = [np.ascontiguousarray(o[:, k]) for k in range(3)]
        dist = np.full(r, np.inf)
        face = np.full(r, -1, dtype=np.int64)
        finished = np.zeros(r, dtype=bool)
        margin = 1e-6 * self.cell  # (as the boxes' padding: a hit on a cell boundary is in both)
        for (ray, slot), reached in self._walk(osoa, dsoa, finished):
            if len(ray):
                self._test_cells(ray, slot, osoa, dsoa, facing_only, t_min, dist, face)
            if reached is not None:
                # A hit before every cell still ahead is the nearest one.
                finished |= dist + margin < reached
        return dist, face

    def _test_cells(self, ray, slot, osoa, dsoa, facing_only: bool, t_min: float, dist, face) -> None:
        """Test rays against the triangles of the cells (ray, slot); keep in ``dist``/``face``
        each ray's nearest hit so far (ties to the lower triangle index, for determinism).
        Expanded in chunks of at most :data:`PAIR_BUDGET` candidates: a cell holding thousands
        of triangles costs time, never unbounded memory (one chunk on ordinary meshes)."""
        grp, b = _expand(self.cell_bin_start[slot], self.cell_bin_count[slot])
        ray = ray[grp]
        if facing_only:
            b, ray = self._facing_cull(b, ray, dsoa, self.b_nlo_s, self.b_nhi_s)
        per_bin = self.bin_cluster_count[b]
        for s, e in budget_chunks(per_bin, PAIR_BUDGET):
            grp, c = _expand(self.bin_cluster_start[b[s:e]], per_bin[s:e])
            cray = ray[s:e][grp]
            # The box test first: it drops ~87% of the (ray, cluster) pairs, the facing test ~27%.
            c, cray = self._slab_cull(c, cray, osoa, dsoa, t_min)
            if facing_only:
                c, cray = self._facing_cull(c, cray, dsoa, self.c_nlo_s, self.c_nhi_s)
            per_cluster = self.cluster_count[c]
            for s2, e2 in budget_chunks(per_cluster, PAIR_BUDGET):
                self._test_triangles(c[s2:e2], per_cluster[s2:e2], cray[s2:e2], osoa, dsoa, facing_only,
                                     t_min, dist, face)

    def _test_triangles(self, c, per_cluster, ray, osoa, dsoa, facing_only: bool, t_min: float, dist,
                        face) -> None:
        if len(c) == 0:
            return
        grp, pos = _expand(self.cluster_start[c], per_cluster)
        ray = ray[grp]
        tri = self.objects[pos]
        del grp, pos
        if facing_only:
            m = (self.tris.nx[tri] * dsoa[0][ray] + self.tris.ny[tri] * dsoa[1][ray] +
                 self.tris.nz[tri] * dsoa[2][ray]) > 0.0
            ray, tri = ray[m], tri[m]
        dx, dy, dz = dsoa[0][ray], dsoa[1][ray], dsoa[2][ray]
        ok, t = _ray_hits(self.tris, tri, osoa[0][ray], osoa[1][ray], osoa[2][ray], dx, dy, dz, t_min,
                          self.max_dist)
        ray, tri, t = ray[ok], tri[ok], t[ok]
        if len(ray) == 0:
            return
        # Nearest hit per ray (ties to the lower triangle index). A triangle listed in several
        # cells of one ray is the same hit, so repeats do not matter.
        order = np.lexsort((tri, t, ray))
        ray, tri, t = ray[order], tri[order], t[order]
        first = np.ones(len(ray), dtype=bool)
        first[1:] = ray[1:] != ray[:-1]
        ray, tri, t = ray[first], tri[first], t[first]
        old_t = dist[ray]
        better = (t < old_t) | ((t == old_t) & (tri < face[ray]))
        dist[ray[better]] = t[better]
        face[ray[better]] = tri[better]

    @staticmethod
    def _facing_cull(idx, ray, d, nlo, nhi):
        """Keep (ray, item) pairs whose normal box may hold a normal with n . d > 0.
        ``d``, ``nlo``, ``nhi``: per-component arrays."""
        if len(idx) == 0:
            return idx, ray
        ub = None
        for k in range(3):
            dk = d[k][ray]
            term = np.maximum(nlo[k][idx] * dk, nhi[k][idx] * dk)
            ub = term if ub is None else ub + term
        m = ub > 0.0
        return idx[m], ray[m]

    def _slab_cull(self, c, ray, o, d, t_min):
        """Keep (ray, cluster) pairs whose segment [t_min, max_dist] meets the cluster's box.
        ``o``, ``d``: per-component arrays of the batch's rays."""
        if len(c) == 0:
            return c, ray
        t0 = np.full(len(c), t_min)
        t1 = np.full(len(c), self.max_dist)
        pad = 1e-9 * self.cell
        for axis in range(3):
            oa = o[axis][ray]
            # Replacing a zero component by a tiny one keeps the slab maths finite; the huge
            # parameters it yields still order correctly. One division per ray, gathered.
            da = d[axis]
            inv = (1.0 / np.where(np.abs(da) < 1e-300, 1e-300, da))[ray]
            ta = self.c_bmin_lo[axis][c] - oa
            ta *= inv
            tb = self.c_bmax_hi[axis][c] - oa
            tb *= inv
            np.maximum(t0, np.minimum(ta, tb), out=t0)
            np.minimum(t1, np.maximum(ta, tb), out=t1)
        m = t0 <= t1
        return c[m], ray[m]


class SharedJob:
    """A job split into batches that several threads can work on: :meth:`run` (one thread)
    prepares the batches and works on them; :meth:`help` (any other thread, any time) waits
    for the preparation and takes batches not yet taken; :meth:`run` returns the result once
    every batch is done. Each batch's output is kept in its own slot, so the result does not
    depend on which thread did what. On two cores, the threads that finish their own checks
    first shorten the longest check's tail instead of idling (numpy releases the GIL)."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._n = 0  # batches
        self._next = 0  # next batch to hand out
        self._busy = 0  # batches being worked on
        self._done = 0  # batches finished
        self._error: BaseException | None = None

    def _prepare(self) -> int:
        """Set up; return the number of batches."""
        raise NotImplementedError

    def _batch(self, i: int) -> None:
        raise NotImplementedError

    def _result(self):
        raise NotImplementedError

    def run(self):
        try:
            self._n = self._prepare()
        finally:
            self._ready.set()
        self._work()
        with self._idle:
            while self._busy:
                self._idle.wait()
            if self._error is not None:
                raise self._error
        return self._result()

    def help(self, after_batch=None) -> None:
        """Work on batches not yet taken; ``after_batch()`` (if given) is called in this thread
        after each batch it finished (progress reports)."""
        self._ready.wait()
        self._work(after_batch)

    def progress(self) -> tuple[int, int]:
        """(batches finished, batches in all; 0 before the batches are prepared)."""
        return self._done, self._n

    def _work(self, after_batch=None) -> None:
        while True:
            with self._lock:
                i = self._next
                if i >= self._n or self._error is not None:
                    return
                self._next += 1
                self._busy += 1
            try:
                self._batch(i)
            except BaseException as exc:
                with self._lock:
                    self._error = exc
                raise
            finally:
                with self._idle:
                    self._busy -= 1
                    self._done += 1
                    self._idle.notify_all()
            if after_batch is not None:
                after_batch()


# -- self-intersections ---------------------------------------------------------------------------
# Broad phase: sort-and-sweep in columns. The mesh's longest axis is the sweep axis; the other
# two are cut into square columns a few triangles wide, and every triangle is listed in each
# column its box crosses. Inside a column, entries are sorted by where their box starts along
# the sweep axis, so the boxes a box overlaps along that axis are the entries right after it,
# up to where its own box ends (a binary search). A pair sharing several columns is kept only
# in the column holding the low corner of the two boxes' overlap (integer flags, no floats), then
# boxes are compared on the other axes. On the 1M-triangle Suzanne: 1.6 entries per triangle,
# 17M window slots, 6.6M overlapping boxes, of which 6M are neighbours sharing a vertex,
# leaving ~0.5M pairs for the exact test (first a plane-side rejection on precomputed planes,
# then the full test).
PAIR_BATCH_SWEEP = 1 << 18
# Column side in median triangle extents. Wider columns: fewer entries (a box crosses fewer
# columns) but longer windows. Measured on the 1M-triangle Suzanne, set-up + pairs: 2.0 1.43 s,
# 2.5 1.13-1.21 s, 3.5 0.99-1.15 s, 5.0 1.11 s, 6.0 1.21 s (since the box test runs on packed
# lanes, a window slot costs less than an entry).
_COLUMN_FACTOR = 3.5


def self_intersections(vertices: np.ndarray, triangles: np.ndarray, bmin: np.ndarray | None = None,
                       bmax: np.ndarray | None = None, faces=None) -> np.ndarray:
    """Pairs (i < j) of triangles that cross each other; triangles sharing a vertex never count.

    Touching without crossing (a vertex resting on a face, faces meeting along a line) is not
    an intersection. Coplanar triangles count when their interiors overlap (duplicated faces).
    ``bmin``/``bmax``: the triangles' bounding boxes when already computed; ``faces``: a
    ``checks.FaceArrays`` of the same mesh (corners and unit normals), likewise.
    """
    return SelfIntersections(vertices, triangles, bmin, bmax, faces).run()


class SelfIntersections(SharedJob):
    """:func:`self_intersections` as a :class:`SharedJob`: a batch is one chunk of sweep
    candidates and its exact test."""

    def __init__(self, vertices: np.ndarray, triangles: np.ndarray, bmin: np.ndarray | None = None,
                 bmax: np.ndarray | None = None, faces=None):
        super().__init__()
        self._args = (vertices, triangles, bmin, bmax, faces)
        self._out: list = []

    def _prepare(self) -> int:
        vertices, triangles, bmin, bmax, faces = self._args
        m = len(triangles)
        if m < 2:
            return 0
        self._tri = tri = np.ascontiguousarray(triangles, dtype=np.int64)
        if bmin is None or bmax is None:
            corners = vertices[tri]
            bmin, bmax = corners.min(axis=1), corners.max(axis=1)
        scale = float(np.abs(vertices).max()) or 1.0
        self._planes = _PlaneSoA(vertices, tri, scale, faces)
        self._sweep = _Sweep(bmin, bmax, tri)
        self._out = [None] * len(self._sweep.batches)
        return len(self._out)

    def _batch(self, i: int) -> None:
        a, b = self._sweep.pairs(i)
        if len(a):
            self._out[i] = self._planes.cross(a, b, self._args[0], self._tri)

    def _result(self) -> np.ndarray:
        out = [x for x in self._out if x is not None and len(x)]
        if not out:
            return np.zeros((0, 2), dtype=np.int64)
        found = np.concatenate(out).astype(np.int64)
        pairs = np.stack([found.min(axis=1), found.max(axis=1)], axis=1)
        return np.unique(pairs, axis=0)


class _PlaneSoA:
    """Per triangle: corners and unit normal, one array per component (numpy is much faster on
    1-D arrays than on (K, 3, 3) blocks). :meth:`cross` is :func:`triangles_cross` for many
    pairs: the same planes, tolerances and tests, run on the pairs each step leaves."""

    def __init__(self, vertices: np.ndarray, tri: np.ndarray, scale: float, faces=None):
        if faces is not None:
            p, n = [faces.a, faces.b, faces.c], faces.unit
        else:
            p = [vertices[tri[:, k]] for k in range(3)]
            n = np.cross(p[1] - p[0], p[2] - p[0])
            length = np.linalg.norm(n, axis=1, keepdims=True)
            n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
        # c[3 * corner + axis]
        self.c = [np.ascontiguousarray(p[k][:, ax]) for k in range(3) for ax in range(3)]
        self.n = [np.ascontiguousarray(n[:, ax]) for ax in range(3)]
        self.eps = 1e-10 * max(scale, 1.0)  # as in triangles_cross
        self.scale = scale

    def corners(self, idx: np.ndarray) -> list[np.ndarray]:
        return [c[idx] for c in self.c]

    def distances(self, corners: list[np.ndarray], i: np.ndarray) -> list[np.ndarray]:
        """Signed distances of the gathered corners to the planes of triangles ``i``."""
        c = self.c
        nx, ny, nz = self.n[0][i], self.n[1][i], self.n[2][i]
        ox, oy, oz = c[0][i], c[1][i], c[2][i]
        return [(corners[3 * k] - ox) * nx + (corners[3 * k + 1] - oy) * ny + (corners[3 * k + 2] - oz) * nz
                for k in range(3)]

    def _signs(self, d: list[np.ndarray]):
        eps = self.eps
        pos = (d[0] > eps) | (d[1] > eps) | (d[2] > eps)
        neg = (d[0] < -eps) | (d[1] < -eps) | (d[2] < -eps)
        return pos, neg

    def cross(self, a: np.ndarray, b: np.ndarray, vertices: np.ndarray, tri: np.ndarray) -> np.ndarray:
        """Pairs (K, 2) among (a, b) whose triangles cross."""
        cb = self.corners(b)
        db = self.distances(cb, a)  # b's corners against a's plane
        pos_b, neg_b = self._signs(db)
        flat_b = ~pos_b & ~neg_b
        keep = (pos_b & neg_b) | flat_b
        a, b, cb, db, flat_b = a[keep], b[keep], [x[keep] for x in cb], [x[keep] for x in db], flat_b[keep]
        ca = self.corners(a)
        da = self.distances(ca, b)  # a's corners against b's plane
        pos_a, neg_a = self._signs(da)
        flat_a = ~pos_a & ~neg_a
        straddle = pos_a & neg_a & ~flat_b
        found = []
        idx = np.flatnonzero(straddle)
        if len(idx):
            sel = [x[idx] for x in ca], [x[idx] for x in cb], [x[idx] for x in da], [x[idx] for x in db]
            hit = self._pierce(sel[0], sel[1], sel[2], b[idx]) | self._pierce(sel[1], sel[0], sel[3], a[idx])
            found.append(np.stack([a[idx[hit]], b[idx[hit]]], axis=1))
        # Coplanar candidates (rare): the general test.
        idx = np.flatnonzero(flat_a | flat_b)
        if len(idx):
            hit = triangles_cross(vertices[tri[a[idx]]], vertices[tri[b[idx]]], self.scale)
            found.append(np.stack([a[idx[hit]], b[idx[hit]]], axis=1))
        return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)

    def _pierce(self, P: list, Q: list, dp: list, q_tri: np.ndarray) -> np.ndarray:
        """Does an edge of P cross the plane of Q (its triangle ``q_tri``) at a point inside Q?
        As :func:`_edges_pierce`, one component array at a time."""
        eps = self.eps
        sp = [np.where(d > eps, 1, np.where(d < -eps, -1, 0)) for d in dp]
        hit = np.zeros(len(dp[0]), dtype=bool)
        nq = [n[q_tri] for n in self.n]
        for i, j in ((0, 1), (1, 2), (2, 0)):
            k = np.flatnonzero(sp[i] * sp[j] < 0)
            if len(k) == 0:
                continue
            w = dp[i][k] / (dp[i][k] - dp[j][k])
            x = [P[3 * i + ax][k] + (P[3 * j + ax][k] - P[3 * i + ax][k]) * w for ax in range(3)]
            n = [v[k] for v in nq]
            inside = np.ones(len(k), dtype=bool)
            for qa, qb in ((0, 1), (1, 2), (2, 0)):
                e = [Q[3 * qb + ax][k] - Q[3 * qa + ax][k] for ax in range(3)]
                r = [x[ax] - Q[3 * qa + ax][k] for ax in range(3)]
                c0 = e[1] * r[2] - e[2] * r[1]
                c1 = e[2] * r[0] - e[0] * r[2]
                c2 = e[0] * r[1] - e[1] * r[0]
                elen = np.sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2])
                # Inclusive bound: a crossing exactly on Q's edge belongs to Q (and its neighbour).
                inside &= c0 * n[0] + c1 * n[1] + c2 * n[2] >= -eps * elen
            hit[k] |= inside
        return hit


def _column_entries(ylo, zlo, ny, nz, small: int = 3):
    """Entries (triangle, column y, column z), one per column a box crosses. Boxes crossing
    at most ``small`` columns per axis (nearly all) are expanded offset by offset, without the
    integer divisions a general expansion needs."""
    objs, ys, zs = [], [], []
    for dy in range(small):
        for dz in range(small):
            sel = np.flatnonzero((ny > dy) & (nz > dz) & (ny <= small) & (nz <= small))
            objs.append(sel)
            ys.append(ylo[sel] + dy)
            zs.append(zlo[sel] + dz)
    big = np.flatnonzero((ny > small) | (nz > small))
    if len(big):
        per = ny[big] * nz[big]
        grp, local = _expand(np.zeros(len(big), dtype=np.int64), per)
        o = big[grp]
        objs.append(o)
        ys.append(ylo[o] + local // nz[o])
        zs.append(zlo[o] + local % nz[o])
    return np.concatenate(objs), np.concatenate(ys), np.concatenate(zs)


class _Sweep:
    """The sweep's entries, and its candidates cut into batches: :meth:`pairs` gives batch
    ``i``'s pairs of triangles whose boxes overlap and which share no vertex; every pair is in
    exactly one batch. Batches are independent (threads may take them in any order).

    The box test on the two column axes runs on packed integers: each box's extent on those
    axes is quantised outward to 15 bits (a box can only grow, so no overlap is missed) and
    packed as four 16-bit lanes, lows in one word and highs in another, so that one
    subtraction compares all four bounds at once (see :func:`_pack_boxes`)."""

    def __init__(self, bmin: np.ndarray, bmax: np.ndarray, tri: np.ndarray):
        m = len(bmin)
        lo = _col_reduce(np.min, bmin)
        hi = _col_reduce(np.max, bmax)
        extent = np.maximum(hi - lo, 1e-12)
        sx = int(np.argmax(extent))  # sweep axis
        cy, cz = [ax for ax in range(3) if ax != sx]
        side = _median_extent(bmin[:, [cy, cz]], bmax[:, [cy, cz]]) * _COLUMN_FACTOR
        side = max(side, float(extent.max()) * 1e-6)
        budget = 4 * m + (1 << 20)
        # Per box, in blocks: its first column on each axis and how many columns it crosses;
        # columns grow until the entries fit the budget.
        ylo, zlo = np.empty(m, np.int32), np.empty(m, np.int32)
        ny, nz = np.empty(m, np.int32), np.empty(m, np.int32)
        while True:
            total = 0
            for s, e in blocks(m):
                for first, count, axis in ((ylo, ny, cy), (zlo, nz, cz)):
                    a = np.floor((bmin[s:e, axis] - lo[axis]) / side)
                    b = np.floor((bmax[s:e, axis] - lo[axis]) / side)
                    first[s:e] = a
                    b -= a
                    b += 1
                    count[s:e] = b
                total += int(np.dot(ny[s:e].astype(np.int64), nz[s:e]))
            if total <= budget:
                break
            side *= 1.5
        # (The highest column on an axis is the one of the mesh's highest point.)
        dim_y = int(np.floor((hi[cy] - lo[cy]) / side)) + 1
        dim_z = int(np.floor((hi[cz] - lo[cz]) / side)) + 1
        # Position along the sweep axis quantised to integers (floor is monotone, so comparisons
        # stay conservative), packed under the column id: one integer sort orders the entries.
        col_bits = max(1, (dim_y * dim_z - 1).bit_length())
        idx_bits = max(1, (total - 1).bit_length())
        q_bits = max(12, min(24, 62 - col_bits - idx_bits))
        qscale = ((1 << q_bits) - 1) / extent[sx]
        # Entries (one per column a box crosses) and their keys, in blocks of triangles.
        objs, keys = [], []
        for s, e in blocks(m):
            o, ey, ez = _column_entries(ylo[s:e], zlo[s:e], ny[s:e], nz[s:e])
            key = ey.astype(np.int64)
            key *= dim_z  # the column id
            key += ez
            key <<= q_bits
            key |= np.floor((bmin[s:e, sx][o] - lo[sx]) * qscale).astype(np.int64)
            o += s
            objs.append(o)
            keys.append(key)
        del ny, nz
        obj = np.concatenate(objs) if objs else np.zeros(0, np.int64)
        key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        del objs, keys
        skey, perm = sort_keys(key, consume=True)
        del key
        obj = obj[perm]
        del perm
        n = len(skey)
        index_type = np.int32 if n < (1 << 31) else np.int64
        # Per entry, in sort order and in blocks (small temporaries, which malloc reuses):
        # * owner flags: bit 0 when the column is the box's first along the first column axis,
        #   bit 1 along the second;
        # * the box on the column axes, packed in its column's own frame (see _pack_boxes);
        # * the window end: its window is the following entries of its column starting before
        #   its box ends (the sort order is the window order).
        flags = np.empty(n, dtype=np.uint8)
        low = np.empty(n, dtype=np.uint64)
        high = np.empty(n, dtype=np.uint64)
        end = np.empty(n, dtype=index_type)
        for s, e in blocks(n):
            o = obj[s:e]
            col = skey[s:e] >> q_bits
            ey = col // dim_z
            ez = col - ey * dim_z
            f = (ylo[o] == ey).astype(np.uint8)
            f |= (zlo[o] == ez).astype(np.uint8) << 1
            flags[s:e] = f
            cy0 = lo[cy] + ey * side
            cz0 = lo[cz] + ez * side
            low[s:e], high[s:e] = _pack_boxes(bmin[:, cy][o] - cy0, bmax[:, cy][o] - cy0,
                                              bmin[:, cz][o] - cz0, bmax[:, cz][o] - cz0, side)
            qmax = np.floor((bmax[:, sx][o] - lo[sx]) * qscale).astype(np.int64)
            end[s:e] = np.searchsorted(skey, (col << q_bits) | qmax, side="right")
        del skey
        # A pair belongs to the column where each flag bit is set by one of the two boxes, so
        # the candidates are enumerated per flag class, never generated then dropped: flags 3
        # pair with every entry of the window, 1 only with entries having bit 1 (2, 3), 2 with
        # entries having bit 0 (1, 3), 0 with entries having both (3).
        # Corner vertex ids per entry: the sharing test gathers near p and q, not across the mesh.
        vtype = np.int32 if int(tri.max()) < (1 << 31) else np.int64
        self.ev = [np.take(tri[:, k].astype(vtype), obj) for k in range(3)]
        self.box = [low, high]
        self.obj = obj.astype(index_type)
        del obj
        self.index_type = index_type
        # Batches: (flag class, first own entry, end) over runs of own entries holding about
        # PAIR_BATCH_SWEEP window slots. A class pairing with some entries only counts them with
        # a running total over the sort order: its window starts after the members before the
        # entry and ends after those before its end.
        self.classes: list[tuple] = []
        self.batches: list[tuple[int, int, int]] = []
        for cls, partner in ((3, None), (1, flags >= 2), (2, (flags & 1) == 1), (0, flags == 3)):
            own: np.ndarray = np.flatnonzero(flags == cls).astype(index_type)
            if len(own) == 0:
                continue
            if partner is None:  # pairs with every entry: the window right after it
                members = None
                first = own + 1
                last = end[own]
            else:
                members = np.flatnonzero(partner).astype(index_type)  # ranks it may pair with
                before: np.ndarray = np.zeros(n + 1, dtype=index_type)  # members at positions < i
                np.cumsum(partner, dtype=index_type, out=before[1:])  # (int32: 5x faster than int64)
                first = before[own]  # (an entry is never its own class's member)
                last = before[end[own]]
                del before
            count = last
            count -= first
            np.maximum(count, 0, out=count)
            del last
            slots = np.cumsum(count, dtype=np.int64)
            c = len(self.classes)
            self.classes.append((own, members, first, count))
            start = 0
            while start < len(own):
                base = int(slots[start - 1]) if start else 0
                stop = max(int(np.searchsorted(slots, base + PAIR_BATCH_SWEEP, side="right")), start + 1)
                if int(slots[stop - 1]) > base:
                    self.batches.append((c, start, stop))
                start = stop

    def pairs(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        c, start, stop = self.batches[i]
        own, members, first, count = self.classes[c]
        index_type = self.index_type
        low, high = self.box
        ev = self.ev
        cnt = count[start:stop]
        k = int(cnt.sum())
        # p repeated per window slot; q runs through each window.
        p = np.repeat(own[start:stop].astype(index_type), cnt)
        shift = (np.cumsum(cnt) - cnt - first[start:stop]).astype(index_type)
        q = np.arange(k, dtype=index_type) - np.repeat(shift, cnt)
        del shift
        if members is not None:
            q = members[q]
        # Boxes overlap on both column axes: every lane of low[p] <= high[q] (see _pack_boxes).
        keep = (high[q] | _LANE_GUARDS) - low[p]
        keep &= _LANE_GUARDS
        keep = keep == _LANE_GUARDS
        p, q = p[keep], q[keep]
        # Neighbours sharing a vertex only touch: most candidates end here.
        a0, a1, a2 = ev[0][p], ev[1][p], ev[2][p]
        keep = np.ones(len(p), dtype=bool)
        for e in ev:
            vb = e[q]
            keep &= a0 != vb
            keep &= a1 != vb
            keep &= a2 != vb
        p, q = p[keep], q[keep]
        return self.obj[p], self.obj[q]


_LANE_GUARDS = np.uint64(0x8000_8000_8000_8000)
_LANE_MAX = (1 << 15) - 1


def _pack_boxes(y0, y1, z0, z1, span: float):
    """Boxes on two axes as two words of four 16-bit lanes, for :meth:`_Sweep.pairs`:
    ``low = [y0, z0, M - y1, M - z1]`` and ``high = [y1, z1, M - y0, M - z0]`` (M = 2^15 - 1),
    bounds given in their column's frame (0 .. ``span``) and quantised to 0 .. M.

    Two boxes p, q overlap on both axes when y0p <= y1q, z0p <= z1q, y0q <= y1p and z0q <= z1p,
    that is when every lane of low[p] is at most the same lane of high[q]. With the top bit of
    each lane set in high[q] beforehand, ``(high[q] | guards) - low[p]`` keeps that bit in
    exactly the lanes where low <= high, and no lane borrows from the next.

    Never misses: the quantisation (floor for lows, ceil for highs, after the same monotone
    float maths for every entry of a column) and the clip to the column keep every ``<=``.
    Clipping loses nothing either: both boxes of a pair cross the column, and two intervals
    that both meet the column and each other meet each other inside it. Boxes that miss by
    under 1/32767 of a column (a few hundred-thousandths of a triangle) pass; the exact test
    after this one settles them."""
    scale = _LANE_MAX / max(float(span), 1e-300)
    lanes = []
    for x, rnd in ((y0, np.floor), (z0, np.floor), (y1, np.ceil), (z1, np.ceil)):
        q = rnd(x * scale)
        np.clip(q, 0, _LANE_MAX, out=q)
        lanes.append(q.astype(np.uint64))
    ya, za, yb, zb = lanes
    m = np.uint64(_LANE_MAX)
    low = ya | (za << np.uint64(16)) | ((m - yb) << np.uint64(32)) | ((m - zb) << np.uint64(48))
    high = yb | (zb << np.uint64(16)) | ((m - ya) << np.uint64(32)) | ((m - za) << np.uint64(48))
    return low, high


def _plane_distances(p: np.ndarray, tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed distances (K, 3) of points ``p`` (K, 3, 3) to the planes of ``tri``; unit normals."""
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
    return np.einsum("kij,kj->ki", p - tri[:, None, 0], n), n


def triangles_cross(A: np.ndarray, B: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """For pairs of triangles (K, 3, 3) each: do they cross (not merely touch)?"""
    eps = 1e-10 * max(scale, 1.0)
    da, nb = _plane_distances(A, B)
    db, na = _plane_distances(B, A)
    sa = np.where(da > eps, 1, np.where(da < -eps, -1, 0))
    sb = np.where(db > eps, 1, np.where(db < -eps, -1, 0))
    # A proper crossing needs each triangle to have corners strictly on both sides of the
    # other's plane; this rejects almost every candidate before any division.
    straddle = ((sa.max(axis=1) > 0) & (sa.min(axis=1) < 0)) & ((sb.max(axis=1) > 0) & (sb.min(axis=1) < 0))
    coplanar = np.all(sa == 0, axis=1) | np.all(sb == 0, axis=1)
    result = np.zeros(len(A), dtype=bool)
    idx = np.flatnonzero(straddle)
    if len(idx):
        result[idx] = _edges_pierce(A[idx], B[idx], da[idx], sa[idx], nb[idx], eps) | \
            _edges_pierce(B[idx], A[idx], db[idx], sb[idx], na[idx], eps)
    idx = np.flatnonzero(coplanar & (np.linalg.norm(na, axis=1) > 0) & (np.linalg.norm(nb, axis=1) > 0))
    if len(idx):
        result[idx] = _coplanar_overlap(A[idx], B[idx], nb[idx], eps)
    return result


def _edges_pierce(P, Q, dp, sp, nq, eps):
    """Does an edge of triangle P cross the plane of Q at a point inside Q?"""
    hit = np.zeros(len(P), dtype=bool)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        cross = sp[:, i] * sp[:, j] < 0
        if not cross.any():
            continue
        k = np.flatnonzero(cross)
        w = dp[k, i] / (dp[k, i] - dp[k, j])
        x = P[k, i] + (P[k, j] - P[k, i]) * w[:, None]
        inside = np.ones(len(k), dtype=bool)
        for a, b in ((0, 1), (1, 2), (2, 0)):
            e = Q[k, b] - Q[k, a]
            c = np.cross(e, x - Q[k, a])
            # Inclusive bound: a crossing exactly on Q's edge belongs to Q (and its neighbour).
            inside &= np.einsum("ij,ij->i", c, nq[k]) >= -eps * np.linalg.norm(e, axis=1)
        hit[k] |= inside
    return hit


def _coplanar_overlap(A, B, n, eps):
    """Coplanar pairs: do the interiors overlap? Projected to the plane's dominant axis."""
    drop = np.argmax(np.abs(n), axis=1)
    keep = np.array([[1, 2], [0, 2], [0, 1]])[drop]
    sel = np.broadcast_to(keep[:, None, :], (len(A), 3, 2))
    a2 = np.take_along_axis(A, sel, axis=2)
    b2 = np.take_along_axis(B, sel, axis=2)

    def orient(p, q, r):
        return (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])

    def strictly_inside(pt, t):
        s = np.sign(orient(t[:, 0], t[:, 1], t[:, 2]))
        o = [orient(t[:, i], t[:, (i + 1) % 3], pt) * s for i in range(3)]
        return (o[0] > eps) & (o[1] > eps) & (o[2] > eps)

    hit = np.zeros(len(A), dtype=bool)
    for i in range(3):
        for j in range(3):
            p, q = a2[:, i], a2[:, (i + 1) % 3]
            r, s = b2[:, j], b2[:, (j + 1) % 3]
            d1, d2 = orient(p, q, r), orient(p, q, s)
            d3, d4 = orient(r, s, p), orient(r, s, q)
            hit |= (d1 * d2 < -eps * eps) & (d3 * d4 < -eps * eps)
    # One inside the other (identical or nested): a centroid strictly inside the other.
    hit |= strictly_inside(a2.mean(axis=1), b2) | strictly_inside(b2.mean(axis=1), a2)
    return hit
