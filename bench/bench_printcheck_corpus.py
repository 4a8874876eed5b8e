# SPDX-License-Identifier: GPL-3.0-or-later
"""The print check over a corpus of meshes (bench/printcheck_corpus.py), each as a whole
`figurine check FILE --json` process, as a user runs it.

    .venv/bin/python bench/bench_printcheck_corpus.py [--dir out/bench-corpus] [--members a,b,...]
                                                      [--repeat N]

Builds the members it lacks into --dir (Suzanne, the sample figure and the GLB with bpy),
then runs each check in a child process and prints per member: triangles, wall time, CPU time
(user + system, all threads), peak RSS of the child (its VmHWM), triangles per second, and
the issue's budget: peak RSS under 1.5 GB + 1 GB per million triangles, wall under 2 s + 10 s
per million triangles on this 2-core machine. The triangle limit is raised for the run so
the 4M-triangle Suzanne is checked too. Figures, not assertions: the machine is shared, so
the load average is printed with every run.
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


def detail(path: Path) -> None:
    """In this process: the STL read (with its weld) and each check's share of the check."""
    from figurine_forge.core import printcheck
    from figurine_forge.core.mesh.stl import read_stl

    t0 = time.perf_counter()
    mesh = read_stl(path)
    read_s = time.perf_counter() - t0
    a = printcheck.analyze(mesh)
    total = a.cpu_timings["total"]
    print(f"  in-process: read + weld {read_s:.3f} s; check wall {a.timings['total']:.3f} s, "
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
    ap.add_argument("--detail", default="suzanne_1m",
                    help="members whose read (with the weld) and checks are also timed in this process")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    names = [n for n in args.members.split(",") if n]
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    rows = []
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
    print("\n| mesh | triangles | wall s | CPU s | peak RSS MB | triangles/s | RSS budget MB | wall budget s "
          "| within | Toolbox s | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, tris, r, rss_cap, wall_cap, ok in rows:
        rate = tris / r["wall"] if r["wall"] > 0 else 0.0
        toolbox = f"{TOOLBOX_S[name]:g}" if name in TOOLBOX_S else "-"
        print(f"| {name} | {tris:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} | {rate:,.0f} | "
              f"{rss_cap:.0f} | {wall_cap:.1f} | {'yes' if ok else 'NO'} | {toolbox} | {r['load']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
