# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine export: a mesh file → a print file (STL, 3MF, PLY, OBJ in millimetres) or a digital
one (GLB in metres, FBX in centimetres, textures embedded; OBJ with its .mtl and textures),
optionally scaled to a height and decimated to a triangle budget (UVs and textures kept)."""

from __future__ import annotations

from ..core.errors import EXIT_OK
from ..core.mesh.exportformats import EXPORT_FORMATS, check_triangle_budget, resolve_target

NAME = "export"
HELP = ("Convert a mesh for printing (STL, 3MF, PLY, OBJ: millimetres) or for the screen (GLB in metres, "
        "FBX in centimetres, textures kept), optionally scaled to a height and decimated to a triangle budget.")


def add_arguments(p) -> None:
    p.add_argument("mesh", metavar="MESH", help="GLB, GLTF, OBJ, STL, PLY or FBX file, or a zip holding one")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file; its extension gives the format unless --format is given")
    p.add_argument("--format", choices=EXPORT_FORMATS, dest="fmt",
                   help="stl, 3mf, ply: geometry in mm for slicers; obj: mm with .mtl and textures beside it; "
                        "glb: metres, textures embedded (web); fbx: centimetres, textures embedded (game engines)")
    p.add_argument("--max-triangles", type=int, metavar="N",
                   help="decimate the written copy to at most N triangles (Blender's Decimate; UVs, vertex "
                        "colours and textures kept)")
    p.add_argument("--height", type=float, metavar="MM", help="scale to this height in mm (lowest point on z=0)")
    p.add_argument("--force", action="store_true", help="replace FILE (and its .mtl and textures) if they exist")
    from .blender_host import ORIENT_HELP

    p.add_argument("--orient", default="auto", metavar="POSE", help=ORIENT_HELP)


def execute(args, out) -> int:
    from ..core.mesh.limits import precheck_mesh_file
    from .blender_host import empty_scene, import_object
    from .paths import file_output, guard

    # Refuse what can be refused before Blender starts: bad options, a bad file, an STL over the limit.
    target, fmt = resolve_target(args.out, args.fmt)
    budget = check_triangle_budget(args.max_triangles)
    guard({"mesh": args.mesh}, file_output("--out", str(target)), force=args.force)
    precheck_mesh_file(args.mesh, "the export")
    with empty_scene() as bpy:
        from ..blender import pipeline, units

        obj, loaded = import_object(args.mesh, out, height_mm=args.height, orient=args.orient)
        scaled = None
        if args.height is not None:
            out.progress("scale", f"to {args.height:g} mm")
            scaled = pipeline.scale_to_height(obj, args.height)
        # The import put the figure in millimetres (a GLB's metres converted, STL/OBJ/PLY read as
        # mm): the scene says so, so a GLB or FBX written from it has the size a slicer would print.
        units.use_millimetres(bpy.context.scene)
        out.progress("export", f"writing {target}" + (f" (at most {budget:,} triangles)" if budget else ""))
        written = pipeline.export_object(obj, target, fmt=fmt, max_triangles=budget, overwrite=args.force)
    result = {"ok": True, **written, "scaled": scaled, "import": loaded.report()}
    budget_text = (f", {written['triangles_before']:,} → {written['triangles_after']:,} triangles"
                   if written.get("decimated") else f", {written['triangles_after']:,} triangles")
    extra = f" + {len(written['files']) - 1} file(s) beside it" if len(written["files"]) > 1 else ""
    out.finish(result, f"wrote {written['path']} ({written['bytes']} bytes, {written['unit']}s{budget_text}){extra}")
    return EXIT_OK
