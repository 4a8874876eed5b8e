# SPDX-License-Identifier: GPL-3.0-or-later
"""Digital export of a large textured model: decimation to a budget + GLB/FBX/OBJ writing.

Builds a generator-like textured GLB from the project's test figure (smart UV project, a
Pillow texture, glTF export: vertices split at seams) at about ``--triangles`` triangles, and
optionally takes the shared scans too (``--data``: bunny.obj, horse.obj, untextured). For each
budget and format prints: seconds, peak RSS, triangles before/after, UV agreement with the
original surface (share of triangles whose UV is within 0.02 of the original's), open edges
after welding by position (cracks: after/before), file bytes.

    .venv/bin/python bench/bench_digital.py [--triangles 200000] [--budgets 100000,20000] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", type=int, default=200_000, help="size of the textured test model")
    parser.add_argument("--budgets", default="100000,20000", help="comma-separated triangle budgets")
    parser.add_argument("--formats", default="glb,fbx,obj")
    parser.add_argument("--data", help="folder holding meshes/bunny.obj and meshes/horse.obj (optional)")
    args = parser.parse_args(argv)
    load_package()
    import bpy

    import digital_inputs
    from figurine_forge.blender import pipeline

    # About 2.07 * seg^2 triangles for the test figure.
    seg = max(16, int(round((args.triangles / 2.07) ** 0.5 / 2)) * 2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-digital-"))
    started = time.perf_counter()
    sources = {"textured figure": digital_inputs.make_textured_glb(tmp, seg)}
    print(f"built the textured GLB in {time.perf_counter() - started:.1f} s ({sources['textured figure'].stat().st_size:,} bytes)")
    if args.data:
        for name in ("bunny", "horse"):
            path = Path(args.data) / "meshes" / f"{name}.obj"
            if path.is_file():
                sources[f"{name} scan"] = path
    budgets = [int(b) for b in args.budgets.split(",") if b]
    print(f"{'input':16s} {'fmt':4s} {'budget':>8s} {'before':>8s} {'after':>8s} {'export s':>9s} "
          f"{'peak MB':>8s} {'UV ok':>6s} {'cracks':>11s} {'bytes':>11s}")
    for label, src in sources.items():
        original = digital_inputs.read_back(src)
        textured = original.tri_uvs is not None
        cracks_before = digital_inputs.open_edges(original)
        for budget in budgets:
            for fmt in args.formats.split(","):
                bpy.ops.wm.read_factory_settings(use_empty=True)
                obj = pipeline.import_mesh_file(src)
                out = tmp / f"{label.replace(' ', '_')}-{budget}.{fmt}"
                t0 = time.perf_counter()
                written = pipeline.export_object(obj, out, max_triangles=budget)
                seconds = time.perf_counter() - t0
                back = digital_inputs.read_back(out)
                cracks = f"{digital_inputs.open_edges(back)}/{cracks_before}"
                uv_ok = f"{digital_inputs.uv_agreement(original, back):.3f}" if textured else "-"
                print(f"{label:16s} {fmt:4s} {budget:8d} {written['triangles_before']:8d} "
                      f"{written['triangles_after']:8d} {seconds:9.2f} {peak_rss_mb():8.0f} {uv_ok:>6s} "
                      f"{cracks:>11s} {sum(os.path.getsize(f) for f in written['files']):11,d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
