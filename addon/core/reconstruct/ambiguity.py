# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the front and side silhouettes cannot say which part is where.

At a height where the front view shows F separate parts (two legs) and the side view S
(four legs of a walking horse), the views allow F x S crossings; at least max(F, S) of them
are real, and which ones no silhouette from these two directions can tell (the back and the
other side only mirror them). The reconstruction keeps every crossing (keeping a cell that
is real one time in two is the better guess for the shape, see docs/reconstruction.md), so
the model may hold phantom parts there: a horse with eight legs. The diagonal views settle
it, and this module says so: to the user after a run and in the review."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hull import _profile
from .views import DIAGONAL_SLOTS

# Parts narrower than this share of the figure's height are noise, not a leg (a few pixels
# of matte fringe between two legs).
MIN_PART = 0.012
# Gaps narrower than this share of the height do not separate parts (a crease in the matte).
MIN_GAP = 0.008
# Ambiguous rows covering less than this share of the height are not reported.
MIN_SHARE = 0.03
# Clear rows shorter than this share of the height inside a band do not split it.
BAND_GAP = 0.03


@dataclass
class CrossingAmbiguity:
    """The band of heights where crossings outnumber the parts that must be real."""

    low: float  # share of the figure's height where the band starts (0 = feet)
    high: float  # and ends
    front_parts: int  # most separate parts the front view shows in the band
    side_parts: int  # most the side view shows there
    share: float  # share of the height (rows) that is ambiguous

    @property
    def phantom_places(self) -> int:
        """At most this many crossings in one slice hold no real part."""
        return self.front_parts * self.side_parts - max(self.front_parts, self.side_parts)

    def message(self) -> str:
        return (f"from {self.low:.0%} to {self.high:.0%} of the height the front view shows {self.front_parts} "
                f"separate parts and the side view {self.side_parts} (legs, most often): which goes with which "
                f"cannot be told from front and side views, so the model keeps every combination and up to "
                f"{self.phantom_places} of them may be parts that are not there; add the diagonal views "
                f"(front-left, front-right...: the Gemini presets make them) to settle it")


def _part_counts(mask: np.ndarray, min_part: int, min_gap: int) -> np.ndarray:
    """(rows,) number of runs per row of ``mask`` at least ``min_part`` cells long, after
    closing gaps shorter than ``min_gap`` cells."""
    rows, n = mask.shape
    padded = np.zeros((rows, n + 2), bool)
    padded[:, 1:-1] = mask
    edges = np.diff(padded.astype(np.int8), axis=1)
    r_start, c_start = np.nonzero(edges == 1)
    _, c_end = np.nonzero(edges == -1)  # row-major: the ends pair with the starts
    # Merge a run with the one before it in the same row when the gap between them is short.
    gap = c_start[1:] - c_end[:-1]
    joined = np.concatenate([[False], (r_start[1:] == r_start[:-1]) & (gap < min_gap)])
    group = np.cumsum(~joined) - 1
    first = np.flatnonzero(~joined)
    last_end = np.zeros(len(first), np.int64)
    np.maximum.at(last_end, group, c_end)
    length = last_end - c_start[first]
    keep = length >= min_part
    return np.bincount(r_start[first][keep], minlength=rows)


def crossing_ambiguities(viewset, resolution: int = 200, threshold: float = 0.5) -> list[CrossingAmbiguity]:
    """The bands of heights where the front and side views leave parts' places open, lowest
    first; none when a diagonal view is given (the reconstruction carves with it) or no side
    view is."""
    views = viewset.views
    if any(s in views for s in DIAGONAL_SLOTS) or "front" not in views:
        return []
    side = "left" if "left" in views else "right" if "right" in views else None
    if side is None:
        return []
    zs = (np.arange(resolution) + 0.5) / resolution  # row centres, figure height = 1
    counts = []
    for slot in ("front", side):
        prof = _profile(slot, views[slot].matte, resolution, threshold)
        half = prof.image.shape[1] / prof.cols_per_unit
        us = np.arange(-half, half, 1.0 / resolution)
        mask = prof.sample(zs, us) > threshold
        counts.append(_part_counts(mask, max(2, round(MIN_PART * resolution)), max(1, round(MIN_GAP * resolution))))
    front, sides = counts
    ambiguous = (front >= 2) & (sides >= 2)
    rows = np.flatnonzero(ambiguous)
    if not len(rows):
        return []
    # Bands: ambiguous rows, a short stretch of clear rows inside a band not splitting it.
    split = np.flatnonzero(np.diff(rows) > max(2, round(BAND_GAP * resolution))) + 1
    bands = []
    for band in np.split(rows, split):
        if len(band) < MIN_SHARE * resolution:
            continue
        lo, hi = int(band[0]), int(band[-1]) + 1
        inside = ambiguous[lo:hi]
        bands.append(CrossingAmbiguity(low=lo / resolution, high=hi / resolution,
                                       front_parts=int(front[lo:hi][inside].max()),
                                       side_parts=int(sides[lo:hi][inside].max()),
                                       share=float(inside.sum()) / resolution))
    return bands


def ambiguity_warnings(viewset) -> list[str]:
    """:func:`crossing_ambiguities` in words, one line per band (what a run and the review say)."""
    return [band.message() for band in crossing_ambiguities(viewset)]
