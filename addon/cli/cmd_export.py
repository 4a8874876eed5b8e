# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine export: a mesh file → STL/OBJ/PLY in millimetres, optionally scaled."""

from __future__ import annotations

from ..core.errors import EXIT_OK

NAME = "export"
HELP = "Convert a mesh to a print file (format from the --out extension), optionally scaled to a height."


def add_arguments(p) -> None:
    p.add_argument("mesh", metavar="MESH", help="GLB, GLTF, OBJ, STL, PLY or FBX file")
    p.add_argument("--out", required=True, metavar="FILE", help="output file: .stl, .obj, .ply, .3mf or .glb (millimetres)")
    p.add_argument("--height", type=float, metavar="MM", help="scale to this height in mm (lowest point on z=0)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def execute(args, out) -> int:
    from ..core.meshlimits import precheck_mesh_file
    from .blender_host import empty_scene

    precheck_mesh_file(args.mesh, "the export")  # (before Blender starts: a bad file or an STL over the limit)

    with empty_scene():
        from ..blender import pipeline

        out.progress("import", f"reading {args.mesh}")
        obj = pipeline.import_mesh_file(args.mesh)
        scaled = None
        if args.height is not None:
            out.progress("scale", f"to {args.height:g} mm")
            scaled = pipeline.scale_to_height(obj, args.height)
        out.progress("export", f"writing {args.out}")
        written = pipeline.export_object(obj, args.out, overwrite=args.force)
    result = {"ok": True, **written, "scaled": scaled}
    out.finish(result, f"wrote {written['path']} ({written['bytes']} bytes)")
    return EXIT_OK
