# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine prepare: character views → matted, framed views on flat #BEBEBE, with checks."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import EXIT_OK
from .paths import folder_outputs, guard, view_options
from .views import add_view_arguments, view_paths

NAME = "prepare"
HELP = ("Prepare character views locally: remove the background, put them on flat #BEBEBE, frame "
        "them alike and check the set (writes DIR/front.png etc.).")


def add_arguments(p) -> None:
    add_view_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for <slot>.png, <slot>_matte.png, prepare.json")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="square output size (default 1024)")
    p.add_argument("--fix-facing", action="store_true",
                   help="mirror side views that face the wrong way instead of only warning")
    p.add_argument("--force", action="store_true", help="replace the files of an earlier prepare in DIR")


def execute(args, out) -> int:
    from ..core import atomic
    from ..core.images.prepare import prepare_view_set

    paths = view_paths(args)
    names = [f"{slot}{kind}.png" for slot in paths for kind in ("", "_matte")] + ["prepare.json"]
    guard(view_options(paths), folder_outputs("--out", args.out, names), force=args.force)
    out.progress("prepare", f"{len(paths)} view(s) at {args.size} px")
    viewset = prepare_view_set(paths, size=args.size, fix_facing=args.fix_facing)
    folder = Path(args.out)
    files = viewset.save(folder)
    report = {"inputs": {slot: str(p) for slot, p in paths.items()}, **viewset.report()}
    report_path = atomic.write_json(folder / "prepare.json", report)
    for note in viewset.notes:
        out.progress("prepare", note)
    for warning in viewset.warnings:
        out.warn(warning)
    result = {"ok": True, "out": str(folder), "files": {k: str(v) for k, v in files.items()},
              "report": str(report_path), "warnings": list(viewset.warnings),
              "issues": [i.to_dict() for i in viewset.issues], "notes": list(viewset.notes)}
    lines = [f"wrote {len(viewset.views)} view(s) to {folder} ({viewset.size} px on #BEBEBE)"]
    lines += [f"note: {n}" for n in viewset.notes]
    lines += [f"warning: {w}" for w in viewset.warnings]
    out.finish(result, "\n".join(lines))
    return EXIT_OK
