# SPDX-License-Identifier: GPL-3.0-or-later
"""The print check over a corpus of meshes (bench/printcheck_corpus.py), each as a whole
`figurine check FILE --json` process, as a user runs it.

    .venv/bin/python bench/bench_printcheck_corpus.py [--dir out/bench-corpus] [--members a,b,...]
                                                      [--repeat N] [--toolbox DIR]

Builds the members it lacks into --dir (Suzanne, the sample figure and the GLB with bpy),
then runs each check in a child process and prints per member: triangles, wall time, CPU time
(user + system, all threads), peak RSS of the child (its VmHWM), triangles per second, and
the issue's budget: peak RSS under 1.5 GB + 1 GB per million triangles, wall under 2 s + 10 s
per million triangles on this 2-core machine. The triangle limit is raised for the run so
the 4M-triangle Suzanne is checked too. Figures, not assertions: the machine is shared, so
the load average is printed with every run.

``--toolbox DIR``: also run Blender's legacy 3D Print Toolbox (its "Check All" operator) on the
same STL files in the same run, each in a child bpy process, and print its wall / CPU and our
ratio. DIR holds the add-on's ``object_print3d_utils`` package (kept outside this repository,
never part of it); see :data:`_TOOLBOX_CHILD` for what the child does and the shims it needs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import printcheck_corpus as corpus  # noqa: E402

ROOT = corpus.ROOT
# The 3D Print Toolbox's time where docs/printcheck.md records one (same mesh, same checks).
TOOLBOX_S = {"suzanne_1m": 31.0}


def budget(triangles: int) -> tuple[float, float]:
    """(peak RSS MB, wall s) the issue allows for a mesh of this many triangles."""
    m = triangles / 1e6
    return 1536.0 + 1024.0 * m, 2.0 + 10.0 * m


# The child runs scripts/figurine.py and, as it exits, writes its own peak RSS (VmHWM) to
# stderr. (getrusage/wait4's ru_maxrss of a child counts the parent's RSS at the fork: once this
# bench process has grown, every child would report at least that.)
_CHILD = """import atexit, runpy, sys
def _peak():
    with open('/proc/self/status') as fh:
        sys.stderr.write(''.join('BENCH ' + ln for ln in fh if ln.startswith('VmHWM')))
    sys.stderr.flush()
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
"""


def run_check(path: Path, limit: int = 5_000_000) -> dict:
    """One `figurine check` child: its wall, CPU (getrusage of the children) and peak RSS (its VmHWM), and its
    JSON result."""
    env = dict(os.environ, FIGURINE_MAX_TRIANGLES=str(limit))
    cmd = [sys.executable, "-c", _CHILD, str(ROOT / "scripts" / "figurine.py"), "check", str(path), "--json"]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # (cumulative: the caller subtracts)
    lines = out.decode(errors="replace").strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    peak = [ln.split()[2] for ln in err.decode(errors="replace").splitlines() if ln.startswith("BENCH VmHWM")]
    return {"wall": wall, "cpu_total": usage.ru_utime + usage.ru_stime, "rss_mb": int(peak[-1]) / 1024.0 if peak
            else float("nan"), "exit": proc.returncode, "load": load, "result": result}


# The Toolbox child (a bpy process): imports the STL with Blender's importer (1 unit = 1 mm, as
# the file is written), loads the add-on's operators from DIR and runs its Check All with our
# preset's thresholds where they map (thickness = min wall, zero threshold = degenerate size,
# the three angles). Shims, in this script only, never in the add-on's files: the stored legacy
# add-on has no ``report.py`` (the module its operators hand their findings to; a stand-in
# keeps them) and its ``__init__`` is of an older release than its operators (its panels would
# not register on Blender 5), so the scene settings its ``__init__`` declares (``scene.print_3d``)
# are registered here and the package is assembled from DIR without running ``__init__``.
_TOOLBOX_CHILD = r"""
import json, math, os, sys, time, types
t_start = time.perf_counter()
import bpy
stl, toolbox_dir, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
pkg = types.ModuleType("object_print3d_utils")
pkg.__path__ = [os.path.join(toolbox_dir, "object_print3d_utils")]
sys.modules[pkg.__name__] = pkg
report = types.ModuleType("object_print3d_utils.report")
report._info = []
def _update(*info):
    report._info[:] = info
report.update = _update
report.info = lambda: report._info
sys.modules[report.__name__] = report
pkg.report = report
import importlib
operators = importlib.import_module("object_print3d_utils.operators")
from bpy.props import FloatProperty
class Print3DSettings(bpy.types.PropertyGroup):
    thickness_min: FloatProperty(default=0.001)
    threshold_zero: FloatProperty(default=0.0001)
    angle_distort: FloatProperty(default=math.radians(45.0))
    angle_sharp: FloatProperty(default=math.radians(160.0))
    angle_overhang: FloatProperty(default=math.radians(45.0))
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.utils.register_class(Print3DSettings)
bpy.types.Scene.print_3d = bpy.props.PointerProperty(type=Print3DSettings)
bpy.utils.register_class(operators.MESH_OT_Print3D_Check_All)
p = bpy.context.scene.print_3d
p.thickness_min = settings["min_wall_mm"]
p.threshold_zero = settings["degenerate_mm"]
p.angle_distort = math.radians(settings["distort_angle_deg"])
p.angle_sharp = math.radians(settings["sharp_angle_deg"])
p.angle_overhang = math.radians(settings["overhang_angle_deg"])
t0 = time.perf_counter()
bpy.ops.wm.stl_import(filepath=stl)
obj = bpy.context.active_object
t1, c1 = time.perf_counter(), time.process_time()
result = bpy.ops.mesh.print3d_check_all()
t2, c2 = time.perf_counter(), time.process_time()
print("TOOLBOX " + json.dumps({"result": sorted(result), "faces": len(obj.data.polygons),
                               "import_s": t1 - t0, "check_s": t2 - t1, "check_cpu_s": c2 - c1,
                               "setup_s": t0 - t_start,
                               "found": [text for text, _data in report._info]}), flush=True)
os._exit(0)
"""


def run_toolbox(path: Path, toolbox_dir: Path, timeout: float = 900.0) -> dict:
    """The Toolbox's Check All on ``path`` in a child bpy process: whole-process wall and CPU,
    and the child's own split (setup, STL import, the checks)."""
    from figurine_forge.core import printcheck

    settings = printcheck.preset("resin").to_dict()
    cmd = [sys.executable, "-c", _TOOLBOX_CHILD, str(path), str(toolbox_dir), json.dumps(settings)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:g} s", "load": load}
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = [ln for ln in proc.stdout.decode(errors="replace").splitlines() if ln.startswith("TOOLBOX ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}", "load": load}
    return dict(json.loads(lines[-1][len("TOOLBOX "):]), wall=wall, cpu=cpu, load=load)


def detail(path: Path) -> None:
    """In this process: the STL read (with its weld) and each check's share of the check."""
    import numpy as np

    from figurine_forge.core import printcheck
    from figurine_forge.core.mesh.stl import read_stl_corners
    from figurine_forge.core.mesh.trimesh import TriMesh
    from figurine_forge.core.mesh.weld import weld_arrays

    t0 = time.perf_counter()
    corners = read_stl_corners(path)
    t1, c1 = time.perf_counter(), time.process_time()
    mesh = TriMesh(*weld_arrays(corners, np.arange(len(corners)).reshape(-1, 3)))
    weld_s, weld_cpu = time.perf_counter() - t1, time.process_time() - c1
    a = printcheck.analyze(mesh)
    total = a.cpu_timings["total"]
    print(f"  in-process: STL read {t1 - t0:.3f} s, weld {weld_s:.3f} s (CPU {weld_cpu:.3f} s, all threads) to "
          f"{len(mesh.vertices):,} vertices; check wall {a.timings['total']:.3f} s, "
          f"CPU {total:.3f} s (all threads); per check, wall s / CPU s of its thread / share of the CPU:")
    for name, sec in sorted(a.timings.items(), key=lambda kv: -a.cpu_timings.get(kv[0], 0.0)):
        cpu = a.cpu_timings.get(name, 0.0)
        if name != "total" and cpu >= 0.005:
            print(f"    {name:<20} {sec:7.3f} {cpu:7.3f} {100 * cpu / total:5.1f} %")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(ROOT / "out" / "bench-corpus"))
    ap.add_argument("--members", default=",".join(corpus.MEMBERS))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--toolbox", metavar="DIR",
                    help="also run the 3D Print Toolbox's Check All (the object_print3d_utils package in DIR, "
                         "kept outside this repository) on the same STL members, and print our/its ratio")
    ap.add_argument("--detail", default="suzanne_1m",
                    help="members whose read (with the weld) and checks are also timed in this process")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    names = [n for n in args.members.split(",") if n]
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    rows = []
    toolbox_run: dict[str, dict] = {}
    for name in names:
        t0 = time.perf_counter()
        path = corpus.write_member(name, folder)
        built = time.perf_counter() - t0
        for i in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            r = run_check(path)
            r["cpu"] = r["cpu_total"] - (before.ru_utime + before.ru_stime)
            res = r["result"]
            tris = int(res.get("counts", {}).get("triangles", 0))
            rss_cap, wall_cap = budget(tris)
            ok = r["rss_mb"] <= rss_cap and r["wall"] <= wall_cap and r["exit"] in (0, 1)
            rows.append((name, tris, r, rss_cap, wall_cap, ok))
            notes = res.get("notices", [])
            print(f"\n{name} (run {i + 1}; file {path.stat().st_size / 1e6:.1f} MB, built/kept in {built:.1f} s): "
                  f"{corpus.MEMBERS[name][1]}")
            print(f"  exit {r['exit']}, {tris:,} triangles, wall {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, "
                  f"peak RSS {r['rss_mb']:.0f} MB, load {r['load']:.2f}")
            if "checks" in res:
                c = res["checks"]
                print(f"  found: intersecting {c['intersecting_faces']}, thin {c['thin_faces']} "
                      f"(min {c['min_thickness_mm']} mm), non-manifold {c['non_manifold_edges']}, "
                      f"parts {c['loose_parts']}, failures {', '.join(res['failures']) or '-'}")
            else:
                print(f"  error: {res.get('error')}")
            for n in notes:
                print(f"  notice: {n}")
        if name in args.detail.split(",") and path.suffix == ".stl":
            detail(path)
        if args.toolbox and path.suffix == ".stl":
            tb = run_toolbox(path, Path(args.toolbox))
            ours = [r for n, _t, r, _c, _w, _ok in rows if n == name]
            if "error" in tb:
                print(f"  Toolbox: could not run: {tb['error']} (load {tb['load']:.2f})")
            else:
                toolbox_run[name] = tb
                best = min(r["wall"] for r in ours)
                print(f"  Toolbox Check All (same file, same run): whole process wall {tb['wall']:.2f} s, "
                      f"CPU {tb['cpu']:.2f} s (bpy start {tb['setup_s']:.2f} s, STL import {tb['import_s']:.2f} s, "
                      f"checks {tb['check_s']:.2f} s / CPU {tb['check_cpu_s']:.2f} s), load {tb['load']:.2f}")
                print(f"    found: {'; '.join(tb['found'])}")
                cpu = min(r["cpu"] for r in ours)
                print(f"  ratio, Toolbox / ours: whole process wall {tb['wall'] / best:.1f}x, CPU "
                      f"{tb['cpu'] / cpu:.1f}x (ours {best:.2f} s / CPU {cpu:.2f} s, best of {len(ours)}); "
                      f"Toolbox checks alone / our whole process: wall {tb['check_s'] / best:.1f}x, "
                      f"CPU {tb['check_cpu_s'] / cpu:.1f}x")
    print("\n| mesh | triangles | wall s | CPU s | peak RSS MB | triangles/s | RSS budget MB | wall budget s "
          "| within | Toolbox s | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, tris, r, rss_cap, wall_cap, ok in rows:
        rate = tris / r["wall"] if r["wall"] > 0 else 0.0
        toolbox = (f"{toolbox_run[name]['wall']:.1f} (this run)" if name in toolbox_run
                   else f"{TOOLBOX_S[name]:g}" if name in TOOLBOX_S else "-")
        print(f"| {name} | {tris:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} | {rate:,.0f} | "
              f"{rss_cap:.0f} | {wall_cap:.1f} | {'yes' if ok else 'NO'} | {toolbox} | {r['load']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
