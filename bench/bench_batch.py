# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine batch throughput: characters per minute with 1 and 2 workers (local provider).

Builds N characters from the sample character's views (``figurine sample``), then runs the
same batch into a fresh OUTPUT_DIR once per worker count and prints wall time, characters
per minute and the batch process tree's peak RSS of the children (from /proc, sampled).

    .venv/bin/python bench/bench_batch.py [--characters 4] [--workers 1 2] [--size 320] [--resolution 96]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "figurine.py"


def _rss_of_children(pid: int) -> int:
    """Sum of RSS (bytes) of the batch's descendants right now."""
    total = 0
    try:
        out = subprocess.run(["ps", "-o", "pid=,ppid=,rss=", "-e"], capture_output=True, text=True).stdout
    except OSError:
        return 0
    rows = [tuple(int(x) for x in ln.split()) for ln in out.splitlines() if ln.strip()]
    family = {pid}
    changed = True
    while changed:
        changed = False
        for p, pp, _ in rows:
            if pp in family and p not in family:
                family.add(p)
                changed = True
    for p, _, rss in rows:
        if p in family and p != pid:
            total += rss * 1024
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--characters", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--resolution", type=int, default=96)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        sample = root / "sample"
        subprocess.run([sys.executable, str(SCRIPT), "sample", "--out", str(sample), "--size", str(args.size),
                        "--quiet"], check=True, capture_output=True)
        chars = root / "characters"
        for i in range(args.characters):
            (chars / f"c{i:02d}").mkdir(parents=True)
            for slot in ("front", "back", "left", "right"):
                shutil.copy(sample / f"{slot}.png", chars / f"c{i:02d}" / f"{slot}.png")
        for workers in args.workers:
            out = root / f"out-{workers}"
            cmd = [sys.executable, str(SCRIPT), "batch", str(chars), str(out), "--workers", str(workers),
                   "--size", str(args.size), "--resolution", str(args.resolution), "--json", "--quiet"]
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            peak = 0
            while proc.poll() is None:
                peak = max(peak, _rss_of_children(proc.pid))
                time.sleep(0.5)
            stdout, stderr = proc.communicate()
            seconds = time.perf_counter() - started
            summary = json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])
            per_char = json.loads((out / "batch.json").read_text())["characters"]
            mean = sum(e["seconds"] for e in per_char.values()) / len(per_char)
            print(f"workers {workers}: {summary['done']}/{summary['total']} done in {seconds:.1f} s = "
                  f"{60 * summary['done'] / seconds:.2f} characters/min; mean {mean:.1f} s per character "
                  f"(its own process); peak RSS of the workers {peak / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
