# SPDX-License-Identifier: GPL-3.0-or-later
"""Weld benchmark: the 1,007,616-triangle Suzanne (level 5, as bench/bench_printcheck.py builds
it) written as a binary STL and read back as 3,022,848 unshared corners, welded by

* ``np.unique`` over float64 rows (the previous ``TriMesh.weld``), and
* one sort over a packed 64-bit key of the float32 bit patterns (``core.mesh.weld``).

    .venv/bin/python bench/bench_weld.py [--level 5] [--repeat 3]

Prints the vertex counts (they must agree: 504,482 at level 5), the best wall time of each and
the ratio. Figures, not assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))
from figurine import load_package  # noqa: E402


def unique_rows_weld(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The previous weld, kept here as the reference."""
    _, first, inverse = np.unique(vertices, axis=0, return_index=True, return_inverse=True)
    return vertices[first], inverse.reshape(-1)[triangles]


def best_of(repeat: int, fn, *args):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    load_package()
    from bench_printcheck import suzanne
    from figurine_forge.core.mesh.weld import weld_arrays
    from figurine_forge.core.meshdata import TriMesh
    from figurine_forge.core.stl import _RECORD, write_stl

    v, t = suzanne(args.level)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_stl(Path(tmp) / "suzanne.stl", TriMesh(v, t))
        records = np.frombuffer(path.read_bytes(), dtype=_RECORD, offset=84)
    corners = records["corners"].astype(np.float64).reshape(-1, 3)
    tris = np.arange(len(corners)).reshape(-1, 3)
    print(f"Suzanne level {args.level}: {len(tris):,} triangles, {len(corners):,} corners")
    old_s, (old_v, old_t) = best_of(args.repeat, unique_rows_weld, corners, tris)
    new_s, (new_v, new_t) = best_of(args.repeat, weld_arrays, corners, tris)
    same = len(old_v) == len(new_v) and np.array_equal(old_v[old_t], new_v[new_t])
    print(f"  np.unique rows   {len(old_v):>9,} vertices  {old_s:7.3f} s (best of {args.repeat})")
    print(f"  packed-key sort  {len(new_v):>9,} vertices  {new_s:7.3f} s (best of {args.repeat})")
    print(f"  speed-up {old_s / new_s:.1f}x; same triangles corner for corner: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
