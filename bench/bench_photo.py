# SPDX-License-Identifier: GPL-3.0-or-later
"""Phone photos through `prepare`: time and peak memory per photo size.

Each photo (plain lit wall, portrait, stored sideways with EXIF orientation 6, made by
tests/synth_views.phone_photo) is prepared to 1024 px views in a fresh process, so the peak RSS
printed is the whole preparation's (Python, numpy and Pillow included). Wall and CPU time are of
load + matte + framing alone, best of ``--repeat`` runs in that process.

    .venv/bin/python bench/bench_photo.py [--sizes 12,24,48] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = {12: (3000, 4000), 24: (4000, 6000), 48: (6000, 8000)}

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from figurine import load_package
load_package()
from figurine_forge.core.images.prepare import prepare_view_set
best_wall = best_cpu = float("inf")
for _ in range(int(sys.argv[3])):
    t0, c0 = time.perf_counter(), time.process_time()
    prepare_view_set({"front": sys.argv[2]}, size=1024)
    best_wall = min(best_wall, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"wall": best_wall, "cpu": best_cpu, "peak_mb": int(hwm.split()[1]) / 1024}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12,24,48", help="megapixel sizes among 12, 24, 48")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))
    from synth_views import phone_photo

    print(f"{'photo':>8} {'pixels':>12} {'wall s':>7} {'cpu s':>7} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for mp in (int(x) for x in args.sizes.split(",")):
            w, h = SIZES[mp]
            path = Path(tmp) / f"photo{mp}.jpg"
            phone_photo(path, w, h)
            proc = subprocess.run([sys.executable, "-c", CHILD, str(REPO / "scripts"), str(path), str(args.repeat)],
                                  capture_output=True, text=True, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{mp:>6}MP {w}x{h:>6} {r['wall']:>7.2f} {r['cpu']:>7.2f} {r['peak_mb']:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
