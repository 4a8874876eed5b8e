# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the print checks on Suzanne subdivided 1..5 levels (15k..1M triangles).

    .venv/bin/python bench/bench_printcheck.py [--levels 2,3,4,5] [--height 32] [--threads N]

Builds each mesh with bpy (monkey + Subdivision Surface applied), reads it with foreach_get,
scales it to the target height, runs the full suite and prints the time of each check, the
total wall time and the peak memory (resident set, from getrusage). Figures, not assertions:
the machine is shared, so run it when it is quiet.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _load_package():
    if "figurine_forge" not in sys.modules:
        spec = importlib.util.spec_from_file_location("figurine_forge", ROOT / "addon" / "__init__.py",
                                                      submodule_search_locations=[str(ROOT / "addon")])
        module = importlib.util.module_from_spec(spec)
        sys.modules["figurine_forge"] = module
        spec.loader.exec_module(module)


def suzanne(level: int):
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_monkey_add()
    obj = bpy.context.active_object
    if level:
        mod = obj.modifiers.new("subsurf", "SUBSURF")
        mod.levels = level
        mod.render_levels = level
        bpy.ops.object.modifier_apply(modifier=mod.name)
    mesh = obj.data
    mesh.calc_loop_triangles()
    co = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.vertices.foreach_get("co", co)
    tris = np.empty(len(mesh.loop_triangles) * 3, np.int32)
    mesh.loop_triangles.foreach_get("vertices", tris)
    return co.reshape(-1, 3).astype(np.float64), tris.reshape(-1, 3).astype(np.int64)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1,2,3,4,5")
    ap.add_argument("--height", type=float, default=32.0)
    ap.add_argument("--preset", default="resin")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1, help="runs per level; the best is shown")
    args = ap.parse_args(argv)
    _load_package()
    from figurine_forge.core import printcheck
    from figurine_forge.core.meshdata import TriMesh

    settings = printcheck.preset(args.preset)
    rows = []
    for level in [int(x) for x in args.levels.split(",")]:
        v, t = suzanne(level)
        mesh = printcheck.scale_to_height(TriMesh(v, t), args.height)
        rss_before = peak_rss_mb()
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            a = printcheck.analyze(mesh, settings, threads=args.threads)
            wall = time.perf_counter() - t0
            if best is None or wall < best[0]:
                best = (wall, a)
        wall, a = best
        c = a.report["checks"]
        rows.append((level, len(t), wall))
        print(f"\nSuzanne level {level}: {len(v):,} vertices, {len(t):,} triangles, {args.height:g} mm tall")
        for name, sec in sorted(a.timings.items(), key=lambda kv: -kv[1]):
            if name != "total":
                print(f"  {name:<20} {sec:7.3f} s")
        print(f"  {'TOTAL (wall)':<20} {wall:7.3f} s")
        print(f"  peak RSS {peak_rss_mb():.0f} MB (before this level: {rss_before:.0f} MB)")
        print(f"  found: intersecting {c['intersecting_faces']}, thin {c['thin_faces']} "
              f"(min {c['min_thickness_mm']} mm), non-manifold {c['non_manifold_edges']}, "
              f"parts {c['loose_parts']}, sharp {c['sharp_edges']}, overhang {c['overhang_faces']}")
    print("\nScaling (wall time per million triangles):")
    for level, m, wall in rows:
        print(f"  level {level}: {m:>9,} triangles  {wall:7.3f} s  {wall / m * 1e6:6.2f} s/M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
