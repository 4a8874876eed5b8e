# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the print checks on Suzanne subdivided 1..5 levels (15k..1M triangles).

    .venv/bin/python bench/bench_printcheck.py [--levels 1,2,3,4,5] [--height 32] [--threads N]
                                               [--repeat N]
    ../shared/tools/real-blender -b -P bench/bench_printcheck.py -- [same options]

Builds each mesh with bpy (monkey + Subdivision Surface applied), reads it with foreach_get,
scales it to the target height, runs the full suite and prints, per check, the wall time and
the CPU time of the thread that ran it; then the total wall time, the CPU time of the whole
process over the run (all threads; user + system), the peak memory (resident set high-water
mark, from getrusage) and the machine's load average. With --repeat N, every run's total is
printed, the first included: it pays for memory the process has not used before (system time),
as the first check after loading a mesh in Blender may. Figures, not assertions: the machine is
shared, so the wall time depends on what else runs; the user CPU time is the steadier measure,
and wall ~ max(CPU / cores, slowest thread) on an idle machine.

Figures for the 1,007,616-triangle level, and what was tried, are in docs/printcheck.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


sys.path.insert(0, str(ROOT / "scripts"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)


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


def _cpu() -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1,2,3,4,5")
    ap.add_argument("--height", type=float, default=32.0)
    ap.add_argument("--preset", default="resin")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per level; each run's total is printed, the details of the one with the least CPU")
    if argv is None and "--" in sys.argv:  # inside Blender: blender -b -P bench/bench_printcheck.py -- ...
        argv = sys.argv[sys.argv.index("--") + 1:]
    args = ap.parse_args(argv)
    load_package()
    from figurine_forge.core import printcheck
    from figurine_forge.core.mesh.trimesh import TriMesh

    settings = printcheck.preset(args.preset)
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    rows = []
    for level in [int(x) for x in args.levels.split(",")]:
        v, t = suzanne(level)
        mesh = printcheck.scale_to_height(TriMesh(v, t), args.height)
        rss_before = peak_rss_mb()
        best = None
        runs = []
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            u0, s0 = _cpu()
            t0 = time.perf_counter()
            a = printcheck.analyze(mesh, settings, threads=args.threads)
            wall = time.perf_counter() - t0
            u1, s1 = _cpu()
            run = (u1 - u0 + s1 - s0, wall, u1 - u0, s1 - s0, load, a)
            runs.append(run)
            if best is None or run[0] < best[0]:
                best = run
        cpu, wall, user, system, load, a = best
        if args.repeat > 1:
            # Every run, the first included: it pays for fresh memory (page faults: the system
            # time), as the first check after loading a mesh in Blender may.
            print(f"\nSuzanne level {level}, each run: " + ", ".join(
                f"wall {r[1]:.3f} s (CPU {r[0]:.3f} = user {r[2]:.3f} + system {r[3]:.3f})" for r in runs))
        c = a.report["checks"]
        rows.append((level, len(t), wall, cpu, load))
        print(f"\nSuzanne level {level}: {len(v):,} vertices, {len(t):,} triangles, {args.height:g} mm tall")
        print(f"  {'check':<20} {'wall s':>8} {'CPU s':>8}")
        for name, sec in sorted(a.timings.items(), key=lambda kv: -a.cpu_timings.get(kv[0], 0.0)):
            if name != "total":
                print(f"  {name:<20} {sec:8.3f} {a.cpu_timings.get(name, 0.0):8.3f}")
        print(f"  {'TOTAL':<20} {wall:8.3f} {cpu:8.3f}   (CPU: user {user:.3f} + system {system:.3f}, all threads)")
        print(f"  peak RSS {peak_rss_mb():.0f} MB (before this level: {rss_before:.0f} MB); "
              f"load average {load:.2f} when the run started")
        print(f"  found: intersecting {c['intersecting_faces']}, thin {c['thin_faces']} "
              f"(min {c['min_thickness_mm']} mm), non-manifold {c['non_manifold_edges']}, "
              f"parts {c['loose_parts']}, sharp {c['sharp_edges']}, overhang {c['overhang_faces']}")
    print("\nScaling (per million triangles):")
    print(f"  {'level':<6} {'triangles':>10} {'wall s':>8} {'CPU s':>8} {'wall s/M':>9} {'CPU s/M':>8} {'load':>5}")
    for level, m, wall, cpu, load in rows:
        print(f"  {level:<6} {m:>10,} {wall:8.3f} {cpu:8.3f} {wall / m * 1e6:9.2f} {cpu / m * 1e6:8.2f} {load:5.2f}")
    print(f"\npeak RSS of the whole run {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
