# SPDX-License-Identifier: GPL-3.0-or-later
"""The weld's grouping: the same groups as an exact sort of the rows, also when the packed
keys collide (every row given one key) and across the blocks its passes run in."""

from __future__ import annotations

import numpy as np

from figurine_forge.core.mesh import weld


def _exact(cols):
    _u, first, inverse = np.unique(cols, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(first)  # number groups by first occurrence, as group_rows does
    renumber = np.empty(len(rank), np.int64)
    renumber[rank] = np.arange(len(rank))
    return first[rank], renumber[inverse.reshape(-1)]


def _corners(n_positions=70_000, n_rows=400_000, seed=3):
    # Over three blocks of rows, each position repeated at random places (as STL corners are).
    rng = np.random.default_rng(seed)
    positions = rng.integers(0, 1 << 32, (n_positions, 3), dtype=np.uint64).astype(np.uint32)
    return positions[rng.integers(0, n_positions, n_rows)]


def test_group_rows_matches_an_exact_sort():
    cols = _corners()
    first, inverse = weld.group_rows(cols)
    want_first, want_inverse = _exact(cols)
    assert np.array_equal(first, want_first)
    assert np.array_equal(inverse, want_inverse)
    assert np.array_equal(cols[first][inverse], cols)


def test_group_rows_with_colliding_keys_falls_back_to_exact(monkeypatch):
    cols = _corners(n_positions=5_000, n_rows=300_000)
    monkeypatch.setattr(weld, "_mix", lambda c: np.zeros(len(c), np.uint64))  # every key equal
    first, inverse = weld.group_rows(cols)
    want_first, want_inverse = _exact(cols)
    assert np.array_equal(first, want_first)
    assert np.array_equal(inverse, want_inverse)


def test_weld_map_merges_minus_zero_and_keeps_float64_detail():
    v = np.array([[0.0, 1.0, 2.0], [-0.0, 1.0, 2.0], [0.1, 0.2, 0.3], [0.1 + 1e-12, 0.2, 0.3]])
    first, inverse = weld.weld_map(v)
    assert first.tolist() == [0, 2, 3]
    assert inverse.tolist() == [0, 0, 1, 2]


def test_split_sort_is_the_stable_argsort(monkeypatch):
    # The two-thread sort of big key arrays gives numpy's stable permutation (ties in order).
    rng = np.random.default_rng(5)
    key = rng.integers(0, 1 << 64, 50_000, dtype=np.uint64)
    key = key[rng.integers(0, len(key), 200_000)]  # repeated keys, across both halves
    monkeypatch.setattr(weld, "SPLIT_SORT_ROWS", 1000)
    assert np.array_equal(weld._stable_argsort(key), np.argsort(key, kind="stable"))
    cols = _corners(n_positions=20_000, n_rows=150_000)
    first, inverse = weld.group_rows(cols)
    want_first, want_inverse = _exact(cols)
    assert np.array_equal(first, want_first) and np.array_equal(inverse, want_inverse)
