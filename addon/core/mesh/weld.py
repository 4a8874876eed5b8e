# SPDX-License-Identifier: GPL-3.0-or-later
"""Merge vertices that sit at the same position, by sorting one packed key per vertex.

STL stores every corner of every triangle on its own and generator GLBs split every vertex on
a UV seam or a sharp edge: the topology checks need them shared. ``np.unique(rows, axis=0)``
does that by sorting (N, 3) float64 rows as structured records, which is several times slower
than sorting one 64-bit integer per vertex. The key here mixes the three coordinates' bit
patterns (float32 when the coordinates are float32 values, as every mesh file and Blender
stores them; float64 otherwise, so no two different positions are merged) into one uint64,
sorts that, and then verifies that every group of equal keys holds equal coordinates; a key
collision (about one in 10^8 meshes of a million vertices) falls back to an exact sort of
the rows, so the result is always exact.
"""

from __future__ import annotations

import numpy as np

_MIX_X = np.uint64(0x9E3779B97F4A7C15)
_MIX_Y = np.uint64(0xC2B2AE3D27D4EB4F)


def _coordinate_bits(vertices: np.ndarray) -> np.ndarray:
    """(N, 3) bit patterns of the coordinates (uint32 for float32 values, else uint64);
    -0.0 counts as 0.0."""
    if vertices.dtype == np.float32:
        return (vertices + np.float32(0.0)).view(np.uint32)
    v = np.ascontiguousarray(vertices, dtype=np.float64)
    v32 = v.astype(np.float32)
    if np.array_equal(v32, v):  # float32 values (files, Blender): their 32-bit patterns suffice
        return (v32 + np.float32(0.0)).view(np.uint32)
    return (v + 0.0).view(np.uint64)


# Rows per block of the elementwise passes: their temporaries stay small enough for the
# allocator to reuse (full-length ones are fresh memory each time, which costs more than the
# arithmetic on them).
_BLOCK = 1 << 17


def _mix(cols: np.ndarray) -> np.ndarray:
    """One uint64 per row of three integer columns (a bijection of each column, then xor)."""
    out = np.empty(len(cols), np.uint64)
    for s in range(0, len(cols), _BLOCK):
        x, y, z = (cols[s:s + _BLOCK, i].astype(np.uint64) for i in range(3))
        rot_y = (y << np.uint64(21)) | (y >> np.uint64(43))
        with np.errstate(over="ignore"):
            x *= _MIX_X
            rot_y *= _MIX_Y
        x ^= rot_y
        np.bitwise_xor(x, z, out=out[s:s + _BLOCK])
    return out


# From this many rows on, the sort runs in two halves on two threads (numpy releases the GIL):
# the weld runs while nothing else does, so the second core is otherwise idle.
SPLIT_SORT_ROWS = 1 << 20


def _stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of uint64 keys; on big arrays, the keys with the top
    bit clear and those with it set (every one of the latter is larger) sorted on two threads
    and joined: the same permutation."""
    if len(key) < SPLIT_SORT_ROWS:
        return np.argsort(key, kind="stable")
    import threading

    high = (key >> np.uint64(63)).astype(bool)
    upper = np.flatnonzero(high)
    result: list[np.ndarray] = []

    def sort_upper() -> None:
        result.append(upper[np.argsort(key[upper], kind="stable")])

    worker = threading.Thread(target=sort_upper, name="weld-sort")
    worker.start()
    lower = np.flatnonzero(~high)
    del high
    lower = lower[np.argsort(key[lower], kind="stable")]
    worker.join()
    if not result:  # the worker failed (out of memory): sort the rest here
        result.append(upper[np.argsort(key[upper], kind="stable")])
    return np.concatenate([lower, result[0]])


def group_rows(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group identical rows of an (N, 3) integer array.

    Returns ``(first, inverse)``: ``first`` the index of each distinct row's first occurrence,
    ascending (so distinct rows keep the order they first appear in); ``inverse`` (N,) the
    group of every row, numbered like ``first``."""
    n = len(cols)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = _mix(cols)
    order = _stable_argsort(key)  # stable: a group's first entry is its first occurrence
    starts = np.empty(n, bool)
    starts[0] = True
    sorted_key = key[order]
    del key
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=starts[1:])
    del sorted_key
    first_by_key = order[starts]
    rank = np.argsort(first_by_key)  # groups in order of first occurrence
    renumber = np.empty(len(rank), np.int64)
    renumber[rank] = np.arange(len(rank))
    group_sorted = np.cumsum(starts)
    group_sorted -= 1
    inverse = np.empty(n, np.int64)
    inverse[order] = renumber[group_sorted]
    del order, group_sorted
    first = first_by_key[rank]
    # Equal keys must mean equal rows: compare every row with its group's first row (a gather
    # from the small table of distinct rows, so it stays in cache; block by block).
    distinct = cols[first]
    for s in range(0, n, _BLOCK):
        if not np.array_equal(cols[s:s + _BLOCK], distinct[inverse[s:s + _BLOCK]]):
            return _group_rows_exact(cols)  # two different rows share a key: sort the rows themselves
    return first, inverse


def _group_rows_exact(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort(cols.T[::-1])
    sorted_cols = cols[order]
    starts = np.ones(len(cols), bool)
    starts[1:] = (sorted_cols[1:] != sorted_cols[:-1]).any(axis=1)
    group_sorted = np.cumsum(starts) - 1
    firsts = np.minimum.reduceat(order, np.flatnonzero(starts))
    rank = np.argsort(firsts)
    renumber = np.empty(len(rank), np.int64)
    renumber[rank] = np.arange(len(rank))
    inverse = np.empty(len(cols), np.int64)
    inverse[order] = renumber[group_sorted]
    return firsts[rank], inverse


def weld_map(vertices: np.ndarray, tolerance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: the index of each distinct position's first vertex (ascending) and,
    for every vertex, the number of its distinct position (``vertices[first][inverse]`` is the
    welded position of each vertex). ``vertices`` may be float32, as files store them.

    ``tolerance`` 0: identical positions only. Above 0: positions in the same cell of a grid
    of that spacing merge (used with a spacing tiny against the model, e.g. 1e-6 of its
    diagonal, for files whose seams were written with rounding noise)."""
    v = np.asarray(vertices)
    v = v.reshape(-1, 3) if v.dtype == np.float32 else np.asarray(v, dtype=np.float64).reshape(-1, 3)
    if tolerance > 0:
        cols = np.round(v / tolerance).astype(np.int64).view(np.uint64)
    else:
        cols = _coordinate_bits(v)
    return group_rows(cols)


def weld_arrays(vertices: np.ndarray, triangles: np.ndarray,
                tolerance: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices float64, triangles int64)`` with coincident vertices merged (see
    ``weld_map``); triangle order and count are kept. Float32 input: only the distinct
    vertices are converted."""
    v = np.asarray(vertices).reshape(-1, 3)
    first, inverse = weld_map(v, tolerance)
    return v[first].astype(np.float64), inverse[np.asarray(triangles, dtype=np.int64).reshape(-1, 3)]


def tolerance_for(vertices: np.ndarray, relative: float = 1e-6) -> float:
    """A weld tolerance tiny against the model: ``relative`` times its bounding-box diagonal."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    if len(v) == 0:
        return 0.0
    extent = [v[:, k].max() - v[:, k].min() for k in range(3)]  # (per column: fast)
    return float(np.linalg.norm(np.array(extent)) * relative)
