# SPDX-License-Identifier: GPL-3.0-or-later
"""Facing detection and silhouette checks on the shared development views.

Every ``multiview/*/{on_gray,rgba}/left.*`` view (these face the viewer's LEFT) is prepared
as it is and mirrored; the detector must say -1 and +1. With ``--eval`` (the folder
bench/bench_reconstruct.py renders the evaluation set and the scans into), every side and
45-degree view of each figure there too, as rendered and mirrored: people, the built
quadrupeds, the horse and the bunny. Also prints the front/mirrored-back silhouette IoU of each
set and of mismatched pairs (another character's back).

    .venv/bin/python bench/bench_facing.py [--data /work/shared/data] [--eval out/bench_reconstruct]
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
    parser.add_argument("--eval", default=None, help="bench_reconstruct.py's render folder (its *_SIZE folders)")
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
    if args.eval:
        e_right, e_total = eval_views(Path(args.eval))
        print(f"evaluation views, facing correct: {e_right}/{e_total}")
        right, total = right + e_right, total + e_total
    print("front vs mirrored back silhouette IoU (rows: front, columns: back):")
    names = list(fronts)
    print(" " * 10 + "".join(f"{n:>10s}" for n in names))
    for a in names:
        row = [validate.silhouette_iou(fronts[a], backs[b], max_shift=15) for b in names]
        print(f"{a:10s}" + "".join(f"{v:10.3f}" for v in row))
    print(f"(a back view is flagged below {validate.SILHOUETTE_MIN_IOU})")
    return 0 if right == total else 1


def eval_views(folder: Path) -> tuple[int, int]:
    import numpy as np
    from PIL import Image

    from figurine_forge.core.images import validate

    right = total = 0
    for figure in sorted(p for p in folder.glob("*_*") if p.is_dir()):
        for slot, expected in validate.EXPECTED_FACING.items():
            path = figure / f"{slot}_rgba.png"
            if not path.is_file():
                continue
            with Image.open(path) as img:
                alpha = np.asarray(img.convert("RGBA"), np.float32)[:, :, 3] / 255.0
            for mirrored in (False, True):
                facing = validate.detect_facing(alpha[:, ::-1] if mirrored else alpha)
                want = -expected if mirrored else expected
                total += 1
                right += facing.direction == want
                cue = "head" if "head" in facing.cues else "feet"
                print(f"{figure.name:14s} {slot:11s} {'mirrored' if mirrored else 'as given':9s} "
                      f"direction {facing.direction:+d} (want {want:+d}) by the {cue}, score {facing.score:+.3f}")
    return right, total


if __name__ == "__main__":
    raise SystemExit(main())
