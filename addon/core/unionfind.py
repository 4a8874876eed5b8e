# SPDX-License-Identifier: GPL-3.0-or-later
"""Connected components of a graph given as pairs, vectorised (no per-node Python loop).

Shared by mesh topology (parts, regions) and image labelling (components of pixel runs).
"""

from __future__ import annotations

import numpy as np


def label_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label (the smallest member) of each of ``n`` nodes joined by pairs (a, b).

    Vectorised union-find: each round hooks the larger root of every still-split pair onto
    the smaller, then compresses paths by pointer jumping; pairs already joined are dropped,
    so rounds get cheaper and their number stays small (logarithmic in practice)."""
    # (int32 when it fits: half the memory traffic of every gather below.)
    index = np.int32 if n < (1 << 31) else np.int64
    parent = np.arange(n, dtype=index)
    a = np.asarray(a, dtype=index)
    b = np.asarray(b, dtype=index)
    while len(a):
        ra = parent[a]
        rb = parent[b]
        split = ra != rb
        if not split.any():
            break
        a, b, ra, rb = a[split], b[split], ra[split], rb[split]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
    return parent.astype(np.int64, copy=False)

