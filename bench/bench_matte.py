# SPDX-License-Identifier: GPL-3.0-or-later
"""Matte quality and speed on the shared development views.

For every ``<data>/multiview/*/on_gray/*.jpg`` the matte is compared with the true alpha in
``rgba/``: IoU of the masks at 0.5 (target ≥ 0.98 per image) and a soft IoU
(sum min / sum max). Time is measured on the image resized to 1024² (target ≤ 0.5 s), for the
matte alone and for load + matte + framing of a one-view set, as wall time and as CPU time of
this process (the cores are shared: wall time grows with the machine's load, CPU time much
less). The best of ``--repeat`` runs is kept.

    .venv/bin/python bench/bench_matte.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"  # the shared development data next to the clone


sys.path.insert(0, str(REPO / "scripts"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help=f"folder holding multiview/ (default {DEFAULT_DATA})")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per image (best is kept)")
    args = parser.parse_args(argv)
    load_package()
    from PIL import Image

    from figurine_forge.core.images import load, matte, prepare

    files = sorted(Path(args.data).glob("multiview/*/on_gray/*.jpg"))
    if not files:
        print(f"no images under {args.data}/multiview/*/on_gray/", file=sys.stderr)
        return 2
    print(f"load average {_load()}")
    print(f"{'image':24s} {'IoU':>7s} {'softIoU':>8s} {'matte s':>8s} {'matte cpu':>9s} {'prep s':>7s} "
          f"{'prep cpu':>8s}  (1024² timing)")
    worst, slowest, slowest_cpu_matte, slowest_prep, slowest_cpu = 1.0, 0.0, 0.0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            truth_path = path.parent.parent / "rgba" / (path.stem + ".png")
            truth = np.asarray(Image.open(truth_path).convert("RGBA"), np.float32)[..., 3] / 255.0
            rgba = load.load_rgba(path)
            alpha = matte.extract(rgba).alpha
            a, t = alpha >= 0.5, truth >= 0.5
            iou = float((a & t).sum() / max((a | t).sum(), 1))
            soft = float(np.minimum(alpha, truth).sum() / max(np.maximum(alpha, truth).sum(), 1e-9))
            big = Path(tmp) / f"{path.parent.parent.name}_{path.stem}.jpg"
            Image.open(path).convert("RGB").resize((1024, 1024), Image.Resampling.BICUBIC).save(big, quality=92)
            big_rgba = load.load_rgba(big)
            t_matte = c_matte = t_prep = c_prep = float("inf")
            for _ in range(max(1, args.repeat)):
                t0, c0 = time.perf_counter(), time.process_time()
                matte.extract(big_rgba)
                t_matte = min(t_matte, time.perf_counter() - t0)
                c_matte = min(c_matte, time.process_time() - c0)
                t0, c0 = time.perf_counter(), time.process_time()
                prepare.prepare_view_set({"front": big}, size=1024)
                t_prep = min(t_prep, time.perf_counter() - t0)
                c_prep = min(c_prep, time.process_time() - c0)
            name = f"{path.parent.parent.name}/{path.stem}"
            flag = "" if iou >= 0.98 else "  < 0.98"
            print(f"{name:24s} {iou:7.4f} {soft:8.4f} {t_matte:8.3f} {c_matte:9.3f} {t_prep:7.3f} {c_prep:8.3f}{flag}")
            worst, slowest, slowest_prep = min(worst, iou), max(slowest, t_matte), max(slowest_prep, t_prep)
            slowest_cpu_matte, slowest_cpu = max(slowest_cpu_matte, c_matte), max(slowest_cpu, c_prep)
    print(f"worst IoU {worst:.4f} (target ≥ 0.98); slowest matte {slowest:.3f} s wall, {slowest_cpu_matte:.3f} s CPU; "
          f"slowest load+matte+frame {slowest_prep:.3f} s wall, {slowest_cpu:.3f} s CPU per 1024² image "
          f"(target ≤ 0.5 s; wall time grows when other jobs share the cores)")
    print(f"load average {_load()}")
    return 0 if worst >= 0.98 and slowest_prep <= 0.5 else 1


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):  # not on every platform
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    raise SystemExit(main())
