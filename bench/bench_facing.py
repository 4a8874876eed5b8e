# SPDX-License-Identifier: GPL-3.0-or-later
"""Facing detection and silhouette checks on the shared development views.

Every ``multiview/*/{on_gray,rgba}/left.*`` view (these face the viewer's LEFT) is prepared
as it is and mirrored; the detector must say -1 and +1. Also prints the front/mirrored-back
silhouette IoU of each set and of mismatched pairs (another character's back).

    .venv/bin/python bench/bench_facing.py [--data /work/shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from bench_matte import load_package  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data")
    args = parser.parse_args(argv)
    load_package()
    from figurine_forge.core.images import validate
    from figurine_forge.core.images.prepare import prepare_view_set

    sets = sorted(p for p in Path(args.data).glob("multiview/*") if p.is_dir())
    right = total = 0
    fronts, backs = {}, {}
    for folder in sets:
        for kind, ext in (("on_gray", "jpg"), ("rgba", "png")):
            views = {slot: folder / kind / f"{slot}.{ext}" for slot in ("front", "back", "left")}
            vs = prepare_view_set(views, size=512)
            for mirrored in (False, True):
                matte = vs.views["left"].matte[:, ::-1] if mirrored else vs.views["left"].matte
                facing = validate.detect_facing(matte)
                expected = 1 if mirrored else -1
                total += 1
                right += facing.direction == expected
                print(f"{folder.name:10s} {kind:8s} {'mirrored' if mirrored else 'as given':9s} "
                      f"direction {facing.direction:+d} (want {expected:+d}) score {facing.score:+.3f} {facing.cues}")
            if kind == "on_gray":
                fronts[folder.name], backs[folder.name] = vs.views["front"].matte, vs.views["back"].matte
    print(f"facing correct: {right}/{total}")
    print("front vs mirrored back silhouette IoU (rows: front, columns: back):")
    names = list(fronts)
    print(" " * 10 + "".join(f"{n:>10s}" for n in names))
    for a in names:
        row = [validate.silhouette_iou(fronts[a], backs[b], max_shift=15) for b in names]
        print(f"{a:10s}" + "".join(f"{v:10.3f}" for v in row))
    print(f"(a back view is flagged below {validate.SILHOUETTE_MIN_IOU})")
    return 0 if right == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
