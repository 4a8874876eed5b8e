# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine sample: the project's own procedural character, rendered from four views."""

from __future__ import annotations

from ..core.errors import EXIT_OK

NAME = "sample"
HELP = "Write a sample character's front/back/left/right views on #BEBEBE and its ground-truth mesh."


def add_arguments(p) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the images")
    p.add_argument("--size", type=int, default=512, metavar="PX", help="image size (default 512)")


def execute(args, out) -> int:
    from .blender_host import empty_scene

    with empty_scene():
        from ..blender import sample_figure

        out.progress("sample", "building and rendering the sample figure")
        written = sample_figure.write_sample(args.out, size=args.size)
    out.finish({"ok": True, "files": {k: str(v) for k, v in written.items()}},
               "\n".join(f"{k}: {v}" for k, v in written.items()))
    return EXIT_OK
