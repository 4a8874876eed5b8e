# SPDX-License-Identifier: GPL-3.0-or-later
"""One placement of a walking figure's legs, when the user asks for it.

A four-legged figure mid-stride shows 2 leg columns from the front (its left and right legs)
and 4 from the side (front and hind legs apart). The hull holds every crossing: 8 legs,
of which 4 are real, and front and side silhouettes cannot say which
(:mod:`.ambiguity`). Keeping all of them is the better guess for the shape's volume (the
default); a user who wants a four-legged figure picks one placement instead:

- ``outer-left``: the front-most and the hind-most legs are on the figure's own left side
  (+X: the figure faces -Y, so its left is the viewer's right in the front view), the two
  between them on its right. A walk and a trot both look like this at most moments;
- ``outer-right``: the mirror image, for when the result's gait looks mirrored.

Only rows that show exactly 2 leg columns from the front and 4 from the side are changed;
the other rows keep every crossing."""

from __future__ import annotations

import numpy as np

from ..errors import BadInputError
from .rowparts import FEET, bands, part_runs, part_sizes

LEG_PLACEMENTS = ("every", "outer-left", "outer-right")
LEGS_HELP = ("a walking four-legged figure seen from front and side only: every = keep every leg the views "
             "allow (the default; may show 8 legs), outer-left = one placement, the front-most and hind-most "
             "legs on the figure's own left, outer-right = the mirror of that")
MARGIN = 2  # cells added around a dropped crossing so no sliver of it is left


def check_placement(legs: str) -> str:
    if legs not in LEG_PLACEMENTS:
        raise BadInputError(f"unknown leg placement '{legs}'", hint=f"use one of {', '.join(LEG_PLACEMENTS)}")
    return legs


def place_legs(hull: np.ndarray, front: np.ndarray, side: np.ndarray, legs: str) -> np.ndarray:
    """``hull`` (Z, X, Y) signed field, > 0 inside, with the crossings of the other placement
    made outside. ``front`` (Z, X) and ``side`` (Z, Y) are the silhouettes on the same grid."""
    if check_placement(legs) == "every":
        return hull
    outer_on_left = legs == "outer-left"
    sizes = part_sizes(hull.shape[0])
    f_row, f_first, f_end = part_runs(front, *sizes)
    s_row, s_first, s_end = part_runs(side, *sizes)
    f_count = np.bincount(f_row, minlength=hull.shape[0])
    s_count = np.bincount(s_row, minlength=hull.shape[0])
    # Legs: the band of rows with crossings that starts at the feet; a head turned aside with
    # its ears (2 x 3 parts high up) is no walk.
    solid = np.flatnonzero(front.any(axis=1))
    if not len(solid):
        return hull
    feet, height = int(solid[0]), int(solid[-1]) - int(solid[0]) + 1
    crossing = (f_count >= 2) & (s_count >= 2)
    legs_band = next(((lo, hi) for lo, hi in bands(crossing, height) if lo < feet + FEET * height), None)
    if legs_band is None:
        return hull
    # Only rows where the side shows each leg apart: where two legs merge into one side run
    # (near the hips) the run may hold a left and a right leg, and dropping either would cut
    # a real leg off the body. Crossings there stay: short stubs under the belly at most.
    placeable = (f_count == 2) & (s_count == 4)
    rows = np.flatnonzero(placeable[legs_band[0]:legs_band[1]]) + legs_band[0]
    out = hull.copy()
    # A loop over the rows that change (at most the grid's height), a handful of parts each.
    for z in rows:
        f_runs = np.flatnonzero(f_row == z)  # sorted by X: [right side (-X), left side (+X)]
        s_runs = np.flatnonzero(s_row == z)  # sorted by Y: front-most first
        outer = {0, 3}
        for j, s in enumerate(s_runs):
            on_left = (j in outer) == outer_on_left
            drop = f_runs[0] if on_left else f_runs[1]  # the front column this leg is not in
            # The margin reaches into the gaps only, never into a neighbouring part.
            lo_x = f_end[f_runs[0]] if drop == f_runs[1] else 0
            hi_x = f_first[f_runs[1]] if drop == f_runs[0] else hull.shape[1]
            lo_y = s_end[s_runs[j - 1]] if j > 0 else 0
            hi_y = s_first[s_runs[j + 1]] if j + 1 < len(s_runs) else hull.shape[2]
            xs = slice(max(lo_x, f_first[drop] - MARGIN), min(hi_x, f_end[drop] + MARGIN))
            ys = slice(max(lo_y, s_first[s] - MARGIN), min(hi_y, s_end[s] + MARGIN))
            out[z, xs, ys] = np.minimum(out[z, xs, ys], -1.0)
    return out
