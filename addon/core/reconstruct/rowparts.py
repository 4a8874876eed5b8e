# SPDX-License-Identifier: GPL-3.0-or-later
"""The separate parts a silhouette shows on each row (two legs, an arm beside the body),
counted the same way by the ambiguity report (:mod:`.ambiguity`) and the leg placement
(:mod:`.legs`)."""

from __future__ import annotations

import numpy as np

# Parts narrower than this share of the figure's height are noise, not a leg (a few pixels
# of matte fringe between two legs).
MIN_PART = 0.012
# Gaps narrower than this share of the height do not separate parts (a crease in the matte).
MIN_GAP = 0.008


def part_runs(mask: np.ndarray, min_part: int, min_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The separate parts of every row of ``mask`` (rows, n): (row, first, end) arrays, one
    entry per part in row-major order (end exclusive). Gaps shorter than ``min_gap`` cells do
    not separate parts; parts shorter than ``min_part`` cells are dropped."""
    rows, n = mask.shape
    padded = np.zeros((rows, n + 2), bool)
    padded[:, 1:-1] = mask
    edges = np.diff(padded.astype(np.int8), axis=1)
    r_start, c_start = np.nonzero(edges == 1)
    _, c_end = np.nonzero(edges == -1)  # row-major: the ends pair with the starts
    # A run joins the one before it in the same row when the gap between them is short.
    gap = c_start[1:] - c_end[:-1]
    joined = np.concatenate([[False], (r_start[1:] == r_start[:-1]) & (gap < min_gap)])
    group = np.cumsum(~joined) - 1
    first = np.flatnonzero(~joined)
    end = np.zeros(len(first), np.int64)
    np.maximum.at(end, group, c_end)
    keep = end - c_start[first] >= min_part
    return r_start[first][keep], c_start[first][keep], end[keep]


def part_sizes(resolution: int) -> tuple[int, int]:
    """(min_part, min_gap) in cells for silhouettes ``resolution`` cells tall."""
    return max(2, round(MIN_PART * resolution)), max(1, round(MIN_GAP * resolution))


# A band of legs starts this close to the feet (share of the figure's height).
FEET = 0.1
# Rows without crossings shorter than this share of the height inside a band do not split it.
BAND_GAP = 0.03


def bands(flags: np.ndarray, height_rows: float) -> list[tuple[int, int]]:
    """Runs of True rows in ``flags`` as (first, end) pairs, stretches of False rows shorter
    than ``BAND_GAP`` of ``height_rows`` not splitting them."""
    rows = np.flatnonzero(flags)
    if not len(rows):
        return []
    split = np.flatnonzero(np.diff(rows) > max(2, round(BAND_GAP * height_rows))) + 1
    return [(int(b[0]), int(b[-1]) + 1) for b in np.split(rows, split)]
