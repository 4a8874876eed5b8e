# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the front and side silhouettes cannot say which part is where.

At a height where the front view shows F separate parts (two legs) and the side view S
(four legs of a walking horse), the views allow F x S crossings; at least max(F, S) of them
are real, and which ones no silhouette from these two directions can tell (the back and the
other side only mirror them). The reconstruction keeps every crossing (keeping a cell that
is real one time in two is the better guess for the shape, see docs/reconstruction.md), so
the model may hold phantom parts there: a horse with eight legs. The diagonal views settle
it, or the user picks one placement of a walking figure's legs (:mod:`.legs`); this module
says so, to the user after a run and in the review."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hull import view_profile
from .rowparts import FEET, bands, part_runs, part_sizes
from .views import DIAGONAL_SLOTS

# Ambiguous rows covering less than this share of the height are not reported.
MIN_SHARE = 0.03


@dataclass
class CrossingAmbiguity:
    """The band of heights where crossings outnumber the parts that must be real."""

    low: float  # share of the figure's height where the band starts (0 = feet)
    high: float  # and ends
    front_parts: int  # separate parts the front view shows on most rows of the band
    side_parts: int  # and the side view
    share: float  # share of the height (rows) that is ambiguous
    walking: bool = False  # at the feet, mostly rows of 2 leg columns from the front and 4 from the side (.legs)
    legs: str = "every"  # the leg placement the reconstruction used

    @property
    def phantom_places(self) -> int:
        """At most this many crossings in one slice hold no real part."""
        return self.front_parts * self.side_parts - max(self.front_parts, self.side_parts)

    def message(self) -> str:
        where = f"from {self.low:.0%} to {self.high:.0%} of the height"
        diagonals = "the diagonal views (front-left, front-right...: the Gemini presets make them) settle it"
        if self.walking and self.legs != "every":
            other = "outer-right" if self.legs == "outer-left" else "outer-left"
            side = "left" if self.legs == "outer-left" else "right"
            return (f"{where} the legs were placed one way, as asked ({self.legs}: the front-most and hind-most "
                    f"legs on the figure's own {side}); front and side views cannot show which way is right: if "
                    f"the gait looks mirrored, choose {other}; {diagonals}")
        # At the feet they are legs; higher up ears, horns, a muzzle beside them, arms.
        what = "legs, most often" if self.low < FEET else "ears, horns or arms, most often"
        text = (f"{where} the front view shows {self.front_parts} separate parts and the side view "
                f"{self.side_parts} ({what}): which goes with which cannot be told from front and side "
                f"views, so the model keeps every combination and up to {self.phantom_places} of them may be parts "
                f"that are not there; add the diagonal views (front-left, front-right...: the Gemini presets make "
                f"them) to settle it")
        if self.walking:
            text += ", or choose one placement of the legs (legs: outer-left or outer-right)"
        return text


def crossing_ambiguities(viewset, resolution: int = 200, threshold: float = 0.5,
                         legs: str = "every") -> list[CrossingAmbiguity]:
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
        prof = view_profile(slot, views[slot].matte, resolution, threshold)
        half = prof.image.shape[1] / prof.cols_per_unit
        us = np.arange(-half, half, 1.0 / resolution)
        mask = prof.sample(zs, us) > threshold
        rows_of_parts = part_runs(mask, *part_sizes(resolution))[0]
        counts.append(np.bincount(rows_of_parts, minlength=resolution))
    front, sides = counts
    ambiguous = (front >= 2) & (sides >= 2)
    found = []
    for lo, hi in bands(ambiguous, resolution):
        if hi - lo < MIN_SHARE * resolution:
            continue
        inside = ambiguous[lo:hi]
        placeable = (front[lo:hi] == 2) & (sides[lo:hi] == 4)  # as .legs places them
        found.append(CrossingAmbiguity(low=lo / resolution, high=hi / resolution,
                                       front_parts=_most_rows(front[lo:hi][inside]),
                                       side_parts=_most_rows(sides[lo:hi][inside]),
                                       share=float(inside.sum()) / resolution,
                                       walking=bool(lo < FEET * resolution and placeable.sum() >= 0.5 * inside.sum()),
                                       legs=legs))
    return found


def _most_rows(counts: np.ndarray) -> int:
    """The number of parts most rows of a band show (the larger on a tie): a few rows where
    a tail hangs between the legs must not make 2 legs read as 3."""
    tally = np.bincount(counts)
    return int(len(tally) - 1 - np.argmax(tally[::-1]))


def ambiguity_warnings(viewset, legs: str = "every") -> list[str]:
    """:func:`crossing_ambiguities` in words, one line per band (what a run and the review
    say); ``legs``: the placement the reconstruction used (:mod:`.legs`)."""
    return [band.message() for band in crossing_ambiguities(viewset, legs=legs)]
