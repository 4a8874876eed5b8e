# SPDX-License-Identifier: GPL-3.0-or-later
"""The rows' runs the rounding is built on (``hull._runs``, worked per run over the flattened
rows) against a plain cell-by-cell reading of what it promises, on random soft masks with
runs touching both ends of the rows, one-cell runs and one-cell gaps."""

from __future__ import annotations

import numpy as np

from figurine_forge.core.reconstruct.hull import _runs


def _reference(mask: np.ndarray, soft: np.ndarray):
    rows, n = mask.shape
    centre = np.zeros((rows, n))
    half = np.zeros((rows, n))
    w = np.clip(soft, 0.0, 1.0).astype(np.float64)
    for r in range(rows):
        runs = []
        i = 0
        while i < n:
            if mask[r, i]:
                j = i
                while j + 1 < n and mask[r, j + 1]:
                    j += 1
                lo, hi = max(i - 1, 0), min(j + 1, n - 1)
                cells = np.arange(lo, hi + 1)
                total = w[r, lo:hi + 1].sum()
                c = (w[r, lo:hi + 1] * (cells + 0.5)).sum() / total - 0.5
                runs.append((i, j, c, total / 2.0))
                i = j + 1
            else:
                i += 1
        for start, end, c, h in runs:
            centre[r, start:end + 1], half[r, start:end + 1] = c, h
        for k in np.flatnonzero(~mask[r]):
            # the nearest run within two cells; the one before on a tie
            best = None
            for start, end, c, h in runs:
                d = k - end if k > end else start - k
                if d <= 2 and (best is None or d < best[0]):
                    best = (d, c, h)
            if best is not None:
                centre[r, k], half[r, k] = best[1], best[2]
    return centre, half


def test_runs_match_the_cell_by_cell_reading():
    rng = np.random.default_rng(7)
    for trial in range(20):
        n = int(rng.integers(1, 40))
        soft = rng.random((12, n)).astype(np.float32)
        soft[:, 0] = 0.9 if trial % 2 else soft[:, 0]  # runs starting at the first cell
        soft[:, -1] = 0.9 if trial % 3 == 0 else soft[:, -1]  # and ending at the last
        mask = soft > 0.5
        got_c, got_h = _runs(mask, soft)
        want_c, want_h = _reference(mask, soft)
        assert got_c.shape == mask.shape and got_h.shape == mask.shape
        np.testing.assert_allclose(got_c, want_c, atol=1e-9)
        np.testing.assert_allclose(got_h, want_h, atol=1e-9)


def test_runs_of_an_empty_and_a_full_mask():
    soft = np.zeros((3, 5), np.float32)
    c, h = _runs(soft > 0.5, soft)
    assert not c.any() and not h.any()
    soft[:] = 1.0
    c, h = _runs(soft > 0.5, soft)
    assert np.allclose(c, 2.0) and np.allclose(h, 2.5)
