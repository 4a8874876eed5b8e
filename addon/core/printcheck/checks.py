# SPDX-License-Identifier: GPL-3.0-or-later
"""The individual checks: each takes arrays (mm) and returns element indices plus numbers.

No Python loop runs over faces, edges or vertices; loops below run over a fixed handful of
items (corners of a triangle, directions of a hull) or over result regions.
"""

from __future__ import annotations

import math

import numpy as np

from . import spatial
from .topology import EdgeTable, blocks, face_components, manifold_face_pairs, sort_keys, used_vertices


# -- geometry ---------------------------------------------------------------------------------
def cross3(u: np.ndarray, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise cross product of (K, 3) arrays (several times faster than ``np.cross``);
    column-major, like :class:`FaceArrays`, unless written into ``out``."""
    if out is None:
        out = np.empty((3,) + np.broadcast_shapes(u.shape, v.shape)[:1], dtype=np.result_type(u, v)).T
    out[:, 0] = u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1]
    out[:, 1] = u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2]
    out[:, 2] = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    return out


def row_norm(x: np.ndarray) -> np.ndarray:
    """Length of each row of an (N, 3) array, summed in one fixed order whatever the layout
    (einsum's order depends on it, which moved results in the last bits)."""
    out = x[:, 0] * x[:, 0]
    out += x[:, 1] * x[:, 1]
    out += x[:, 2] * x[:, 2]
    return np.sqrt(out, out=out)


def column_major(rows: int) -> np.ndarray:
    """An empty (rows, 3) float array stored column by column: each ``x[:, k]`` is contiguous."""
    return np.empty((3, rows)).T


class FaceArrays:
    """Per-face arrays every check draws on, computed once: corners, unit normals, areas,
    centroids, edge lengths, bounding boxes.

    The (M, 3) arrays are stored column by column: the spatial checks work on one component
    at a time (numpy runs several times faster on contiguous 1-D arrays), and this way they
    take views of these columns instead of copies (about 150 MB less on a million faces).
    Gather rows per column (``gather_rows``): a row of such an array spans three cache lines."""

    def __init__(self, vertices: np.ndarray, tris: np.ndarray, pool=None):
        """``pool``: an executor to compute half of the faces on while this thread computes the
        other half (every value is computed per face, so the split changes no bit)."""
        m = len(tris)
        self._vcols = [np.ascontiguousarray(vertices[:, k]) for k in range(3)]
        self._tris = tris
        self.a, self.b, self.c = column_major(m), column_major(m), column_major(m)
        self.unit = column_major(m)
        self.areas = np.empty(m)
        self.centroids = column_major(m)
        self.lengths = np.empty((m, 3))
        self.bmin, self.bmax = column_major(m), column_major(m)
        if pool is not None and m >= 100_000:
            half = m // 2
            other = pool.submit(self._fill, half, m)
            self._fill(0, half)
            other.result()
        else:
            self._fill(0, m)
        del self._vcols, self._tris

    def _fill(self, start: int, end: int) -> None:
        for s, e in blocks(end - start):  # (in blocks: small temporaries)
            self._fill_block(slice(start + s, start + e))

    def _fill_block(self, rows: slice) -> None:
        for x, j in ((self.a, 0), (self.b, 1), (self.c, 2)):
            idx = self._tris[rows, j]
            for k in range(3):
                np.take(self._vcols[k], idx, out=x[rows, k])
        a, b, c = self.a[rows], self.b[rows], self.c[rows]
        ab = b - a
        ac = c - a
        unit = cross3(ab, ac, out=self.unit[rows])
        dbl = row_norm(unit)
        # Normalised in place (the unnormalised normal is not kept: 24 MB per million faces).
        np.divide(unit, dbl[:, None], out=unit, where=dbl[:, None] > 0)
        unit[dbl == 0] = 0.0  # (components may underflow to a zero length without being zero)
        np.multiply(dbl, 0.5, out=self.areas[rows])
        centroids = self.centroids[rows]
        np.add(a, b, out=centroids)
        centroids += c
        centroids /= 3.0
        self.lengths[rows, 0] = row_norm(ab)
        self.lengths[rows, 1] = row_norm(c - b)
        self.lengths[rows, 2] = row_norm(ac)
        for out, fn in ((self.bmin[rows], np.minimum), (self.bmax[rows], np.maximum)):
            fn(a, b, out=out)
            fn(out, c, out=out)


def gather_rows(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[idx]`` for an (N, 3) array, gathered column by column (fast on column-major ones)."""
    out = column_major(len(idx))
    for k in range(3):
        np.take(x[:, k], idx, out=out[:, k])
    return out


def face_geometry(vertices: np.ndarray, tris: np.ndarray):
    """Unnormalised normals (2 x area), unit normals, areas, centroids, edge lengths (M, 3)."""
    f = FaceArrays(vertices, tris)
    return cross3(f.b - f.a, f.c - f.a), f.unit, f.areas, f.centroids, f.lengths


def degenerate_faces(areas: np.ndarray, lengths: np.ndarray, min_mm: float) -> np.ndarray:
    """Faces whose smallest height is under ``min_mm``: zero-area slivers (three corners on a
    line) as well as specks, judged in mm at print size."""
    longest = np.maximum(np.maximum(lengths[:, 0], lengths[:, 1]), lengths[:, 2])
    height = np.divide(2.0 * areas, longest, out=np.zeros_like(areas), where=longest > 0)
    return np.flatnonzero(height < min_mm)


def degenerate_edges(et: EdgeTable, face_lengths: np.ndarray, min_mm: float) -> np.ndarray:
    """Edges shorter than ``min_mm``. ``face_lengths``: the faces' (M, 3) edge lengths in
    half-edge order (:attr:`FaceArrays.lengths`): each edge reads its first half-edge's."""
    return np.flatnonzero(face_lengths.reshape(-1)[et.he_first] < min_mm)


def distorted_polygons(normals: np.ndarray, polygon_of_triangle: np.ndarray | None,
                       angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Polygons (of the source mesh) bent by more than ``angle_deg``: the angle between each of
    its triangles and its first triangle (for a quad, exactly the fold). Triangles are always
    flat, so without the polygon map nothing is distorted. Returns (polygon ids, triangles)."""
    if polygon_of_triangle is None or len(normals) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    poly = np.asarray(polygon_of_triangle, dtype=np.int64)
    order = np.argsort(poly, kind="stable")
    sp = poly[order]
    start = np.ones(len(sp), dtype=bool)
    start[1:] = sp[1:] != sp[:-1]
    head = order[np.flatnonzero(start)][np.cumsum(start) - 1]  # first triangle of each one's polygon
    ref = gather_rows(normals, head)
    n = gather_rows(normals, order)
    valid = (np.abs(ref).sum(axis=1) > 0) & (np.abs(n).sum(axis=1) > 0)
    cosang = np.einsum("ij,ij->i", ref, n)
    bent = valid & (cosang < math.cos(math.radians(angle_deg)))
    polys = np.unique(sp[bent])
    return polys, np.flatnonzero(np.isin(poly, polys))


def sharp_edges(et: EdgeTable, normals: np.ndarray, angle_deg: float, flipped: np.ndarray,
                pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Manifold edges whose faces turn by more than ``angle_deg`` (knife ridges, slots).
    Flipped edges are reported as flipped, not as sharp. ``pairs``: ``manifold_face_pairs(et)``
    when already computed."""
    e, fa, fb = pairs if pairs is not None else manifold_face_pairs(et)
    limit = math.cos(math.radians(angle_deg))
    keep = np.empty(len(e), dtype=bool)
    for s, t in blocks(len(e)):
        na, nb = gather_rows(normals, fa[s:t]), gather_rows(normals, fb[s:t])
        dot = na[:, 0] * nb[:, 0] + na[:, 1] * nb[:, 1] + na[:, 2] * nb[:, 2]
        # A face without a normal (zero area) has all-zero components: its dot is 0 and it is
        # never sharp unless the limit is below 90 degrees, so check it explicitly.
        ok = ((na[:, 0] != 0) | (na[:, 1] != 0) | (na[:, 2] != 0)) & \
            ((nb[:, 0] != 0) | (nb[:, 1] != 0) | (nb[:, 2] != 0))
        keep[s:t] = ok & (dot < limit)
    sharp = e[keep]
    if len(flipped) == 0 or len(sharp) == 0:
        return sharp
    is_flipped = np.zeros(len(et.counts), dtype=bool)
    is_flipped[flipped] = True
    return sharp[~is_flipped[sharp]]


def overhang_faces(vertices: np.ndarray, tris: np.ndarray, normals: np.ndarray, angle_deg: float,
                   plate_mm: float, face_zmin: np.ndarray | None = None,
                   face_zmax: np.ndarray | None = None) -> np.ndarray:
    """Faces leaning more than ``angle_deg`` past vertical towards the plate (build along +Z),
    except faces lying on the plate, which are the print's base. ``face_zmin``/``face_zmax``:
    each face's lowest and highest corner, when already known."""
    if len(tris) == 0:
        return np.zeros(0, np.int64)
    if face_zmin is None or face_zmax is None:
        z = vertices[tris, 2]
        face_zmin, face_zmax = z.min(axis=1), z.max(axis=1)
    zmin = float(face_zmin.min())
    on_plate = face_zmax <= zmin + plate_mm
    down = -normals[:, 2] > math.sin(math.radians(angle_deg))
    return np.flatnonzero(down & ~on_plate)


# -- volume, parts, stability -------------------------------------------------------------------
def signed_volumes(vertices: np.ndarray, tris: np.ndarray, origin: np.ndarray,
                   faces: FaceArrays | None = None) -> np.ndarray:
    out = np.empty(len(tris))
    for s, t in blocks(len(tris)):  # (in blocks: small temporaries)
        if faces is not None:
            a, b, c = faces.a[s:t] - origin, faces.b[s:t] - origin, faces.c[s:t] - origin
        else:
            a = vertices[tris[s:t, 0]] - origin
            b = vertices[tris[s:t, 1]] - origin
            c = vertices[tris[s:t, 2]] - origin
        out[s:t] = np.einsum("ij,ij->i", a, cross3(b, c)) / 6.0
    return out


def parts(vertices: np.ndarray, tris: np.ndarray, face_part: np.ndarray, n_parts: int, tet_vol: np.ndarray,
          min_part_mm: float, contact_mm: float, bmin: np.ndarray | None = None,
          bmax: np.ndarray | None = None) -> "Rows":
    """Per loose part: faces, size, volume, whether tiny or floating (arrays ``faces``,
    ``tiny``, ``floating``; a report row on demand). ``bmin``/``bmax``: the faces' bounding
    boxes, when already known."""
    if n_parts == 0:
        return Rows(0, dict, faces=np.zeros(0, np.int64), tiny=np.zeros(0, bool), floating=np.zeros(0, bool))
    if bmin is None or bmax is None:
        corners = vertices[tris]
        bmin, bmax = corners.min(axis=1), corners.max(axis=1)
    if n_parts == 1:
        lo, hi = bmin.min(axis=0)[None, :], bmax.max(axis=0)[None, :]
        faces = np.array([len(tris)])
    else:
        sp, order = sort_keys(face_part)
        starts = np.flatnonzero(np.r_[True, sp[1:] != sp[:-1]])
        lo = np.stack([np.minimum.reduceat(bmin[:, k][order], starts) for k in range(3)], axis=1)
        hi = np.stack([np.maximum.reduceat(bmax[:, k][order], starts) for k in range(3)], axis=1)
        faces = np.diff(np.append(starts, len(order)))
    vol = np.bincount(face_part, weights=tet_vol, minlength=n_parts)
    zmin = lo[:, 2].min()
    # A part touching nothing else and not resting on the plate would fall off the print.
    # "Touching" is judged by bounding boxes (grown by the contact distance): cheap, and a
    # part whose box overlaps another's is at worst a near miss worth a human look.
    touching = touching_boxes(lo, hi, contact_mm)
    grounded = lo[:, 2] <= zmin + contact_mm
    size = hi - lo
    tiny = size.max(axis=1) < min_part_mm
    floating = ~touching & ~grounded

    def row(i: int) -> dict:
        return {"faces": int(faces[i]), "size_mm": [round(float(x), 4) for x in size[i]],
                "volume_ml": round(abs(float(vol[i])) / 1000.0, 6), "tiny": bool(tiny[i]),
                "floating": bool(floating[i]), "index": i}

    return Rows(n_parts, row, faces=faces, tiny=tiny, floating=floating)


class Rows:
    """One row per part or region: the arrays every check needs (attributes) and the report
    dict of a row built only when it is listed (a soup of 100k parts would otherwise build
    100k dicts, one Python call each)."""

    def __init__(self, n: int, make_row, **arrays: np.ndarray):
        self.n = n
        self._make_row = make_row
        self.arrays = arrays

    def __len__(self) -> int:
        return self.n

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def rows(self, idx) -> list[dict]:
        return [self._make_row(int(i)) for i in idx]


def smallest_rounded(values: np.ndarray, k: int, digits: int = 4) -> np.ndarray:
    """Indices of the ``k`` smallest ``round(value, digits)``, ties to the lower index: what
    ``sorted(rows, key=rounded value)[:k]`` lists, computing Python's rounding only for the few
    values that can make it (rounding is monotone, so they are within one unit of the k-th)."""
    n = len(values)
    if n <= k:
        cand = np.arange(n)
    else:
        kth = float(np.partition(values, k - 1)[k - 1])
        cand = np.flatnonzero(values <= kth + 1.0001 * 10.0 ** -digits + abs(kth) * 1e-12)
    keys = [round(float(values[i]), digits) for i in cand]
    order = sorted(range(len(cand)), key=keys.__getitem__)
    return cand[np.asarray(order[:k], dtype=np.int64)]


def touching_boxes(lo: np.ndarray, hi: np.ndarray, margin: float) -> np.ndarray:
    """Per box (rows of ``lo``/``hi``, (K, 3)): does it overlap another box, either grown by
    ``margin``? Candidates come from the self-intersection sweep (columns on two axes, a sort
    along the third) over the boxes grown by ``margin`` on every side (a superset), then the
    exact test: a soup of 100k loose triangles costs a few candidates each, not the 100k x 100k
    comparisons of all pairs (which took 30 s for 20k parts)."""
    n = len(lo)
    touching = np.zeros(n, dtype=bool)
    if n < 2:
        return touching
    ids = np.arange(3 * n, dtype=np.int64).reshape(n, 3)  # no two boxes "share a vertex"
    sweep = spatial._Sweep(lo - margin, hi + margin, ids)
    for b in range(len(sweep.batches)):
        i, j = sweep.pairs(b)
        open_pair = ~(touching[i] & touching[j])  # (both known to touch: nothing to learn)
        i, j = i[open_pair].astype(np.int64), j[open_pair].astype(np.int64)
        ok = np.all((lo[i] <= hi[j] + margin) & (hi[i] + margin >= lo[j]), axis=1)
        touching[i[ok]] = True
        touching[j[ok]] = True
    return touching


def _hull_candidates(points: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the points that may lie on the convex hull of ``points`` (K, 2):
    all but those strictly inside the octagon of the extreme points in eight directions. A
    point strictly inside is never extreme in any direction, so the support polygon is the
    same with or without it (and its ties resolve the same way: the order is kept)."""
    k = len(points)
    if k < 4096:
        return np.arange(k)
    x, y = points[:, 0], points[:, 1]
    keys = (x, x + y, y, y - x, -x, -x - y, -y, x - y)  # counter-clockwise directions
    corners = points[[int(np.argmax(v)) for v in keys]]
    keep = np.r_[True, np.any(corners[1:] != corners[:-1], axis=1)]
    poly = corners[keep]
    if len(poly) > 1 and np.all(poly[0] == poly[-1]):
        poly = poly[:-1]
    if len(poly) < 3:
        return np.arange(k)
    span = float(np.ptp(points, axis=0).max()) or 1.0
    tol = 1e-9 * span * span  # far above the rounding of a cross product, far below a real gap
    inside = np.ones(k, dtype=bool)
    for a, b in zip(poly, np.roll(poly, -1, axis=0)):
        inside &= (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]) > tol
    return np.flatnonzero(~inside)


def _support_polygon(points: np.ndarray, directions: int = 720) -> np.ndarray:
    """Convex polygon (counter-clockwise) through the extreme points of ``points`` (K, 2) in
    ``directions`` evenly spaced directions: an inscribed approximation of the convex hull whose
    vertices are exact hull vertices."""
    points = points[_hull_candidates(points)]
    ang = np.linspace(0.0, 2.0 * math.pi, directions, endpoint=False)
    u = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    best = np.full(directions, -np.inf)
    arg = np.zeros(directions, dtype=np.int64)
    for s, e in blocks(len(points), 4096):
        proj = points[s:e] @ u.T
        i = proj.argmax(axis=0)
        v = proj[i, np.arange(directions)]
        better = v > best
        best[better] = v[better]
        arg[better] = i[better] + s
    keep = np.r_[True, arg[1:] != arg[:-1]]
    poly = arg[keep]
    if len(poly) > 1 and poly[0] == poly[-1]:
        poly = poly[:-1]
    return points[poly]


def _signed_distance_inside(p: np.ndarray, poly: np.ndarray) -> float:
    """Distance from ``p`` to the polygon's boundary, positive inside, negative outside."""
    if len(poly) == 1:
        return -float(np.linalg.norm(p - poly[0]))
    a = poly
    b = np.roll(poly, -1, axis=0)
    e = b - a
    length = np.linalg.norm(e, axis=1)
    t = np.clip(np.einsum("ij,ij->i", p - a, e) / np.maximum(length ** 2, 1e-300), 0.0, 1.0)
    dist = float(np.linalg.norm(a + e * t[:, None] - p, axis=1).min())
    if len(poly) < 3:
        return -dist
    cross = e[:, 0] * (p[1] - a[:, 1]) - e[:, 1] * (p[0] - a[:, 0])
    return dist if np.all(cross >= 0) else -dist


def stability(vertices: np.ndarray, tris: np.ndarray, tet_vol: np.ndarray, areas: np.ndarray,
              centroids: np.ndarray, origin: np.ndarray, contact_mm: float) -> dict:
    """Does the centre of mass project inside the footprint the figure stands on (+Z up)?"""
    total = float(tet_vol.sum())
    if abs(total) > 1e-9:
        # Each tetrahedron (origin, a, b, c) weighs its signed volume at (origin + a + b + c) / 4,
        # i.e. at origin + 3/4 (centroid - origin).
        com = 0.75 * (tet_vol @ (centroids - origin)) / total + origin
    else:  # open or flat: use the surface as the mass
        com = (areas @ centroids) / max(float(areas.sum()), 1e-300)
    used = np.flatnonzero(used_vertices(len(vertices), tris))
    z = vertices[used, 2]
    feet = vertices[used[z <= z.min() + contact_mm], :2]
    poly = _support_polygon(feet)
    margin = _signed_distance_inside(com[:2], poly)
    return {"center_of_mass_mm": [round(float(x), 4) for x in com], "margin_mm": round(margin, 4),
            "contact_vertices": int(len(feet)), "footprint_mm": [[round(float(x), 4) for x in p] for p in poly]}


# -- thickness --------------------------------------------------------------------------------
def face_thickness(vertices: np.ndarray, tris: np.ndarray, normals: np.ndarray, centroids: np.ndarray,
                   probe_mm: float, *, faces: FaceArrays | None = None) -> np.ndarray:
    """Wall thickness at each face: distance from its centre, straight inward, to the far wall
    of the mesh; ``inf`` when no wall lies within ``probe_mm`` (or the face has no normal).

    Deterministic: one ray per face, no sampling. (Sampling was measured on the 1M-triangle
    Suzanne: a seeded sample of one face per 0.3 mm cell and facing class, refined around every
    wall it met, still missed 6-12 thin faces in narrow strips where rays graze a neighbouring
    surface, while saving only a quarter of the casting time: not worth a wrong answer.)"""
    return FaceThickness(vertices, tris, normals, centroids, probe_mm, faces=faces).run()


class FaceThickness(spatial.SharedJob):
    """:func:`face_thickness` as a :class:`spatial.SharedJob`: the preparation builds the ray
    caster, a batch casts ``spatial.RAY_BATCH`` rays into its own slice of the result."""

    def __init__(self, vertices: np.ndarray, tris: np.ndarray, normals: np.ndarray, centroids: np.ndarray,
                 probe_mm: float, *, faces: FaceArrays | None = None):
        super().__init__()
        self._args = (vertices, tris, normals, probe_mm, faces)
        self._centroids = centroids
        self.thick = np.full(len(tris), np.inf)
        self._caster: spatial.RayCaster | None = None
        self._valid = np.zeros(0, np.int64)

    def _prepare(self) -> int:
        vertices, tris, normals, probe_mm, faces = self._args
        self._valid = valid = np.flatnonzero(np.abs(normals).sum(axis=1) > 0)
        if len(valid) == 0:
            return 0
        self._caster = spatial.RayCaster(vertices, tris, normals, probe_mm, faces)
        return -(-len(valid) // spatial.RAY_BATCH)

    def _batch(self, i: int) -> None:
        assert self._caster is not None
        idx = self._valid[i * spatial.RAY_BATCH:(i + 1) * spatial.RAY_BATCH]
        dist, _ = self._caster.cast(gather_rows(self._centroids, idx), -gather_rows(self._args[2], idx))
        self.thick[idx] = dist

    def _result(self) -> np.ndarray:
        return self.thick


def vertex_thickness(n_vertices: int, tris: np.ndarray, face_thick: np.ndarray, cap: float) -> np.ndarray:
    """Per vertex, the thinnest of its faces, capped at ``cap`` (= "at least this thick")."""
    out = np.full(n_vertices, np.inf)
    np.minimum.at(out, tris.reshape(-1), np.repeat(face_thick, 3))
    return np.minimum(out, cap)


def regions(face_mask: np.ndarray, et: EdgeTable, values: np.ndarray, centroids: np.ndarray,
            areas: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
            ) -> tuple[np.ndarray, Rows]:
    """Connected regions of flagged faces with their thinnest/median value (arrays ``vmin``,
    ``median``), extent and centre (in the report rows). ``pairs``: ``manifold_face_pairs(et)``
    when already computed."""
    _, fa, fb = pairs if pairs is not None else manifold_face_pairs(et)
    region, count = face_components(len(face_mask), fa, fb, face_mask)
    if count == 0:
        return region, Rows(0, dict, vmin=np.zeros(0), median=np.zeros(0), lo=np.zeros((0, 3)),
                            hi=np.zeros((0, 3)))
    idx = np.flatnonzero(region >= 0)
    order = idx[np.argsort(region[idx], kind="stable")]
    starts = np.flatnonzero(np.r_[True, np.diff(region[order]) != 0])
    vals = values[order]
    vmin = np.minimum.reduceat(vals, starts)
    lo = np.minimum.reduceat(centroids[order], starts, axis=0)
    hi = np.maximum.reduceat(centroids[order], starts, axis=0)
    area = np.add.reduceat(areas[order], starts)
    w = areas[order]
    centre = np.add.reduceat(centroids[order] * w[:, None], starts, axis=0) / np.maximum(area, 1e-300)[:, None]
    counts = np.diff(np.append(starts, len(order)))
    # Median per region via one global sort by (region, value).
    o2 = np.lexsort((vals, region[order]))
    sv = vals[o2]
    median = sv[starts + (counts - 1) // 2]

    def row(i: int) -> dict:
        return {"faces": int(counts[i]), "min_thickness_mm": round(float(vmin[i]), 4),
                "median_thickness_mm": round(float(median[i]), 4), "length_mm": region_length(lo, hi, i),
                "area_mm2": round(float(area[i]), 4), "center_mm": [round(float(x), 4) for x in centre[i]]}

    return region, Rows(count, row, vmin=vmin, median=median, lo=lo, hi=hi)


def region_length(lo: np.ndarray, hi: np.ndarray, i: int) -> float:
    """A region's reported length: the diagonal of its centroids' box, rounded to 0.1 um."""
    return round(float(np.linalg.norm(hi[i] - lo[i])), 4)


def long_for_thickness(table: Rows, ratio: float) -> np.ndarray:
    """Per region: is its reported length at least ``ratio`` times its reported median
    thickness (both rounded as in the report)? Vectorised; the rows within rounding distance of
    the limit are settled with the report's own numbers."""
    if len(table) == 0:
        return np.zeros(0, dtype=bool)
    length = np.sqrt(((table.hi - table.lo) ** 2).sum(axis=1))
    limit = ratio * np.maximum(table.median, 1e-9)
    out = length >= limit
    for i in np.flatnonzero(np.abs(length - limit) <= 1e-3 * (1.0 + ratio) + 1e-9 * np.abs(limit)):
        out[i] = region_length(table.lo, table.hi, int(i)) >= ratio * max(round(float(table.median[i]), 4), 1e-9)
    return out
