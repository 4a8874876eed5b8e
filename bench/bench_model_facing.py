# SPDX-License-Identifier: GPL-3.0-or-later
"""The review's facing search (core/review/facing.py) on the project's figure at generator sizes.

For the figure on its base (about 33k triangles) and the same surface subdivided to about 530k
(every triangle split in four, twice), turned by each quarter turn, prints: seconds per search,
peak RSS, the turn found and whether it undoes the turn, and the best and runner-up scores.
The views are the figure's own outlines at 512 px (as a prepared view set frames them).

    .venv/bin/python bench/bench_model_facing.py
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)

load_package()
from figurine_forge.core.mesh.trimesh import TriMesh  # noqa: E402
from figurine_forge.core.review import facing  # noqa: E402
from generator_corpus import member_mesh  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def subdivide(mesh: TriMesh) -> TriMesh:
    """Each triangle into four (midpoints not shared: a triangle soup, as scans often are)."""
    c = mesh.vertices[mesh.triangles]
    a, b, d = c[:, 0], c[:, 1], c[:, 2]
    ab, bd, da = (a + b) / 2, (b + d) / 2, (d + a) / 2
    tris = np.stack([np.stack(t, 1) for t in ((a, ab, da), (ab, b, bd), (da, bd, d), (ab, bd, da))], 1).reshape(-1, 3, 3)
    return TriMesh(tris.reshape(-1, 3), np.arange(len(tris) * 3).reshape(-1, 3))


def views_of(mesh: TriMesh) -> dict[str, np.ndarray]:
    big = facing.SEARCH_SIZE * 512 // facing.SEARCH_SIZE
    old = facing.SEARCH_SIZE, facing.FIGURE_PX
    facing.SEARCH_SIZE, facing.FIGURE_PX = big, int(big * 0.88)
    try:
        x, y = facing._close(facing.project(mesh, 0, big)), facing._close(facing.project(mesh, 1, big))
    finally:
        facing.SEARCH_SIZE, facing.FIGURE_PX = old
    return {"front": x.astype(np.float32), "back": x[:, ::-1].astype(np.float32),
            "left": y[:, ::-1].astype(np.float32), "right": y.astype(np.float32)}


def main() -> None:
    figure = member_mesh("on_base")
    mattes = views_of(figure)
    for label, mesh in (("figure", figure), ("subdivided x2", subdivide(subdivide(figure)))):
        for k in range(4):
            turned = facing.turn_about_z(mesh, 90 * k)
            t0 = time.perf_counter()
            found = facing.find_facing(turned, mattes)
            seconds = time.perf_counter() - t0
            ranked = sorted(found.scores.values(), reverse=True)
            ok = (found.turn_deg + 90 * k) % 360 == 0
            print(f"{label:>14} {len(mesh.triangles):>7} tris  turned {90 * k:>3}: found {found.turn_deg:>3} "
                  f"({'undoes it' if ok else 'WRONG'}{', ambiguous' if found.ambiguous else ''})  "
                  f"best {ranked[0]:.3f} next {ranked[1]:.3f}  {seconds:.3f} s  peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
