# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of `figurine repair` on a ~100k-triangle figure at 32 mm, default settings.

    .venv/bin/python bench/bench_repair.py [--repo PATH ...] [--triangles N] [--keep DIR]

Builds the project's sample character as generators deliver such figures: its body parts as
separate, overlapping closed shells joined into one mesh (so it self-intersects and the voxel
path runs), subdivided to about ``--triangles`` triangles and written as a binary STL. Then runs
``scripts/figurine.py repair IN --out OUT --height 32 --json`` of each ``--repo`` (default: this
checkout; pass ``--repo /work/main`` too to compare with an unchanged baseline) in a fresh process
and prints per run: wall time, the child's CPU time and peak RSS (from wait4), output
triangles, the deviation and volume change the repair reported, and its exit code. Figures,
not assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)


def sample_figure_mesh(triangles: int):
    """The sample character's parts as overlapping shells, subdivided to ~``triangles``."""
    import bpy

    load_package()
    from figurine_forge.blender import meshio, sample_figure
    from figurine_forge.core.mesh.trimesh import TriMesh

    bpy.ops.wm.read_factory_settings(use_empty=True)
    objects = sample_figure.build_sample_objects()
    parts = [meshio.object_to_trimesh(o) for o in objects]
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    tm = TriMesh(np.concatenate([p.vertices for p in parts]),
                 np.concatenate([p.triangles + o for p, o in zip(parts, offsets)]))
    # Split each triangle into four until the count is reached (midpoints, no smoothing: the
    # shape stays the sample's).
    while len(tm.triangles) * 4 <= triangles * 1.3:
        t = tm.triangles
        v = tm.vertices
        n = len(v)
        mids = np.concatenate([(v[t[:, 0]] + v[t[:, 1]]) / 2, (v[t[:, 1]] + v[t[:, 2]]) / 2,
                               (v[t[:, 2]] + v[t[:, 0]]) / 2])
        m = len(t)
        ab, bc, ca = n + np.arange(m), n + m + np.arange(m), n + 2 * m + np.arange(m)
        tris = np.concatenate([np.stack([t[:, 0], ab, ca], 1), np.stack([ab, t[:, 1], bc], 1),
                               np.stack([ca, bc, t[:, 2]], 1), np.stack([ab, bc, ca], 1)])
        tm = TriMesh(np.concatenate([v, mids]), tris).weld(1e-9)
    return tm


def run_repair(repo: Path, src: Path, out: Path) -> dict:
    cmd = [sys.executable, str(repo / "scripts" / "figurine.py"), "repair", str(src), "--out", str(out),
           "--height", "32", "--json", "--force"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN only as a maximum over
    # children, so each run is measured by a one-shot wrapper instead (see main()).
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": stderr[-400:]}
    return {"wall": wall, "rc": proc.returncode, "result": result}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", action="append", type=Path, help="checkout(s) to run (default: this one)")
    ap.add_argument("--triangles", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="folder for the input and output files (default: a temp folder)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:  # measured in its own process so wait4 sees only this run
        repo, src, out = (Path(a) for a in args.child)
        print(json.dumps(run_repair(repo, src, out)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_repair_"))
    work.mkdir(parents=True, exist_ok=True)
    tm = sample_figure_mesh(args.triangles)
    from figurine_forge.core.mesh.stl import write_stl

    src = work / "figure_100k.stl"
    write_stl(src, tm)
    print(f"input: sample figure as overlapping shells, {len(tm.triangles):,} triangles, {src}")
    for repo in args.repo or [ROOT]:
        out = work / f"repaired_{repo.name}.stl"
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(repo), str(src), str(out)],
                                stdout=subprocess.PIPE, text=True)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        assert proc.stdout is not None
        run = json.loads(proc.stdout.read().strip().splitlines()[-1])
        r = run["result"]
        dev = r.get("deviation") or {}
        final = r.get("final") or {}
        faith = r.get("faithfulness") or {}
        print(f"{repo}: exit {run['rc']}, wall {wall:.1f} s (repair process {run['wall']:.1f} s), "
              f"CPU {usage.ru_utime + usage.ru_stime:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MB, "
              f"output {final.get('triangles', 0):,} triangles, deviation mean {dev.get('mean_mm', float('nan')):.4f} mm "
              f"max {dev.get('max_mm', float('nan')):.4f} mm, volume change "
              f"{faith.get('volume_change_percent', float('nan'))} %"
              + (f", error: {r.get('error')}" if r.get("error") else ""))
        timed = [(s["step"], s.get("remesh_seconds", s.get("seconds"))) for s in r.get("steps", [])]
        shown = [f"{name} {sec:.1f} s" for name, sec in timed if isinstance(sec, (int, float))]
        if shown:
            print(f"    steps: {', '.join(shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
