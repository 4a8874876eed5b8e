# SPDX-License-Identifier: GPL-3.0-or-later
"""Edge table and connectivity over triangle arrays: one sort of the half-edges serves every
edge-based check (non-manifold, flipped, holes, sharp edges, face neighbours)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..unionfind import label_components  # noqa: F401  (re-exported: callers use topology.label_components)


@dataclass
class EdgeTable:
    edges: np.ndarray  # (E, 2) vertex pairs, low index first, sorted
    counts: np.ndarray  # (E,) faces using each edge
    first: np.ndarray  # (E,) position of the edge's first half-edge in ``he_face``/``he_forward``
    he_face: np.ndarray  # (3M,) face of each half-edge, grouped by edge
    he_forward: np.ndarray  # (3M,) True when the half-edge runs low -> high vertex
    he_first: np.ndarray  # (E,) each edge's first half-edge, in face order (3f + corner)

    @property
    def boundary(self) -> np.ndarray:
        return self.counts == 1

    @property
    def manifold(self) -> np.ndarray:
        return self.counts == 2


BLOCK = 1 << 17


def blocks(n: int, size: int = BLOCK):
    """(start, end) of consecutive blocks covering ``range(n)``: elementwise work over millions
    of items runs block by block, so that its temporaries stay small enough for the allocator
    to reuse (full-length ones are fresh memory every time, and fresh pages cost more than the
    arithmetic on them)."""
    for start in range(0, n, size):
        yield start, min(n, start + size)


def sort_keys(keys: np.ndarray, *, consume: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort of non-negative int64 keys: (sorted keys, permutation).

    When the keys leave room, each is packed with its position into one int64 and sorted by
    value: a plain sort is about twice as fast as an argsort and the packing keeps it stable.
    ``consume``: the caller no longer needs ``keys`` (int64), so they are packed and sorted in
    their own memory. The permutation is int32 when it fits. (No full-length temporary: each
    is fresh memory, which costs more than the arithmetic on it.)"""
    n = len(keys)
    index = np.int32 if n < (1 << 31) else np.int64
    if n == 0:
        return keys.copy(), np.zeros(0, dtype=index)
    idx_bits = max(1, int(n - 1).bit_length())
    top = int(keys.max())
    if top >= 0 and top.bit_length() + idx_bits <= 62:
        packed = keys if consume and keys.dtype == np.int64 else keys.astype(np.int64)
        packed <<= idx_bits
        for s, e in blocks(n):
            packed[s:e] |= np.arange(s, e, dtype=np.int64)
        # (The packed keys are distinct: any sort gives the same result. Timsort runs several
        # times faster than quicksort on them: keys from a mesh come in long ascending runs,
        # neighbouring faces or cells, which it merges instead of partitioning; 1M-face edge
        # table: 0.10 s against 0.56 s.)
        packed.sort(kind="stable")
        order = np.empty(n, dtype=index)
        mask = (1 << idx_bits) - 1
        for s, e in blocks(n):
            order[s:e] = packed[s:e] & mask
        packed >>= idx_bits
        return packed, order
    order = np.argsort(keys, kind="stable")
    return keys[order], order


def edge_table(n_vertices: int, tris: np.ndarray) -> EdgeTable:
    m = len(tris)
    # (Vertex ids as int32 when they fit: half the memory for the 3M-long temporaries.)
    top = max(n_vertices, int(tris.max()) + 1 if m else 1)
    ids: np.ndarray = np.asarray(tris, dtype=np.int32 if top < (1 << 31) else np.int64)
    a = ids.reshape(-1)  # half-edge k of face f starts at corner k ...
    b = ids[:, [1, 2, 0]].reshape(-1)  # ... and ends at the next corner
    n = np.int64(top)
    key = np.minimum(a, b).astype(np.int64)
    key *= n
    key += np.maximum(a, b)
    skey, order = sort_keys(key, consume=True)
    del key
    start = np.ones(len(skey), dtype=bool)
    start[1:] = skey[1:] != skey[:-1]
    # Positions, counts and face ids as int32 when they fit (the vertex pairs stay int64:
    # callers combine them into keys).
    index = np.int32 if 3 * m < (1 << 31) else np.int64
    first = np.flatnonzero(start).astype(index)
    del start
    counts = np.diff(np.append(first, len(skey))).astype(index)
    ek = skey[first]
    del skey
    edges = np.stack([ek // n, ek % n], axis=1) if len(first) else np.zeros((0, 2), np.int64)
    he_face = (order // 3).astype(index)
    return EdgeTable(edges=edges, counts=counts, first=first, he_face=he_face,
                     he_forward=(a < b)[order], he_first=order[first].astype(index))


def undirected_edges(tris: np.ndarray, n_vertices: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected edges (E, 2), low index first, sorted, and how many triangles use each."""
    tris = np.asarray(tris, dtype=np.int64).reshape(-1, 3)
    if len(tris) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    a = tris.reshape(-1)
    b = tris[:, [1, 2, 0]].reshape(-1)
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    n = np.int64(max(int(n_vertices or 0), int(hi.max()) + 1))
    key = lo * n + hi
    key.sort()
    start = np.ones(len(key), dtype=bool)
    start[1:] = key[1:] != key[:-1]
    first = np.flatnonzero(start)
    counts = np.diff(np.append(first, len(key)))
    ek = key[first]
    return np.stack([ek // n, ek % n], axis=1), counts


def directed_edges_unique(tris: np.ndarray) -> bool:
    """True when no directed edge occurs twice (neighbouring faces agree on winding)."""
    tris = np.asarray(tris, dtype=np.int64).reshape(-1, 3)
    if len(tris) == 0:
        return True
    a = tris.reshape(-1)
    b = tris[:, [1, 2, 0]].reshape(-1)
    n = np.int64(int(max(a.max(), b.max())) + 1)
    key = a * n + b
    key.sort()
    return bool(np.all(key[1:] != key[:-1]))


def used_vertices(n_vertices: int, tris: np.ndarray) -> np.ndarray:
    """Boolean mask of the vertices some triangle uses (no sort, unlike np.unique)."""
    used = np.zeros(n_vertices, dtype=bool)
    used[np.asarray(tris).reshape(-1)] = True
    return used


def manifold_face_pairs(et: EdgeTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For edges used by exactly two faces: (edge ids, face a, face b)."""
    e = np.flatnonzero(et.manifold)
    f = et.first[e]
    return e, et.he_face[f], et.he_face[f + 1]


def flipped_edges(et: EdgeTable) -> np.ndarray:
    """Manifold edges whose two faces run them the same way: one of the faces is wound
    against its neighbour (its normal points the other way)."""
    e = np.flatnonzero(et.manifold)
    f = et.first[e]
    return e[et.he_forward[f] == et.he_forward[f + 1]]


def compact_labels(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel to 0..k-1 (in order of the smallest member)."""
    uniq, inv = np.unique(labels, return_inverse=True)
    return inv.reshape(-1), len(uniq)


def face_parts(vertex_labels: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, int]:
    """Loose part of each face (0..k-1, in order of the part's smallest vertex) and k, from
    :func:`label_components` vertex labels; vertices no face uses do not make parts."""
    lab = vertex_labels[tris[:, 0]]
    has_face = np.zeros(len(vertex_labels), dtype=bool)
    has_face[lab] = True
    new_id = np.cumsum(has_face) - 1
    return new_id[lab], int(np.count_nonzero(has_face))


def boundary_loops(et: EdgeTable, n_vertices: int) -> tuple[int, np.ndarray]:
    """Number of holes (connected rings of boundary edges) and each boundary edge's loop."""
    e = np.flatnonzero(et.boundary)
    if len(e) == 0:
        return 0, np.zeros(0, dtype=np.int64)
    ev = et.edges[e]
    labels = label_components(n_vertices, ev[:, 0], ev[:, 1])
    loop, count = compact_labels(labels[ev[:, 0]])
    return count, loop


def face_components(n_faces: int, fa: np.ndarray, fb: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected regions of the faces flagged in ``member`` (neighbours share an edge).

    Returns a region id per face (-1 outside) and the number of regions."""
    region = np.full(n_faces, -1, dtype=np.int64)
    idx = np.flatnonzero(member)
    if len(idx) == 0:
        return region, 0
    keep = member[fa] & member[fb]
    # Label the flagged faces only (numbered in face order, so the regions keep the order of
    # their smallest face): the union-find's rounds then run over a few thousand nodes, not
    # over every face of the mesh.
    local = np.full(n_faces, -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    labels = label_components(len(idx), local[fa[keep]], local[fb[keep]])
    comp, count = compact_labels(labels)
    region[idx] = comp
    return region, count
