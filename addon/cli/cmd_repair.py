# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine repair: a mesh → a print-ready file (upright, to scale, watertight, on a base)."""

from __future__ import annotations

from ..core.errors import EXIT_OK, BadInputError

NAME = "repair"
HELP = ("Make a mesh printable: stand it up, scale it, make it one watertight part, optionally put it on a "
        "base, hollow and decimate it, and write FILE (format from its extension: .stl .3mf .obj .ply .glb).")


def add_arguments(p) -> None:
    p.add_argument("mesh", metavar="MESH", help="GLB, GLTF, OBJ, STL, PLY or FBX file")
    p.add_argument("--out", required=True, metavar="FILE", help="output file: .stl, .3mf, .obj, .ply or .glb")
    p.add_argument("--height", type=float, metavar="MM",
                   help="printed height in mm without the base (default: keep the size, read as mm)")
    p.add_argument("--base", metavar="BASE",
                   help="round25|round32|round40|round50|square25|hex32|oval (= oval60x35)|ovalWxD ...")
    p.add_argument("--base-thickness", type=float, default=3.0, metavar="MM", help="base thickness (default 3)")
    p.add_argument("--base-texture", type=float, default=0.0, metavar="MM", help="ground relief height on the base top")
    p.add_argument("--sink", type=float, default=0.4, metavar="MM", help="how deep the feet go into the base (default 0.4)")
    p.add_argument("--hollow", type=float, metavar="MM", help="hollow with this wall thickness (resin)")
    p.add_argument("--drain", type=float, default=2.0, metavar="MM", help="drain hole diameter when hollowing (default 2)")
    p.add_argument("--decimate", type=int, metavar="N", help="reduce to about N triangles (games, web)")
    p.add_argument("--mode", choices=("auto", "local", "voxel"), default="auto",
                   help="repair: local fixes only, voxel remesh, or auto (default)")
    p.add_argument("--voxel", type=float, default=0.0, metavar="MM", help="voxel size (default: from the height)")
    p.add_argument("--no-orient", action="store_true", help="keep the mesh's orientation")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def _precheck(path) -> None:
    """An STL is read with the core's numpy reader first: a mesh over the triangle limit is
    refused before Blender builds it, and NaN coordinates are reported (Blender's importer
    would quietly drop those faces, so the damage would go unnoticed)."""
    from pathlib import Path

    from ..core.meshlimits import precheck_mesh_file
    from ..core.repair import validate_mesh
    from ..core.stl import read_stl

    # (An STL's header or ASCII keywords say how many triangles: refused before reading.)
    if precheck_mesh_file(path, "the repair") != "stl":
        return
    validate_mesh(read_stl(path), Path(path).name)


def execute(args, out) -> int:
    from pathlib import Path

    from ..core.repair.bases import parse_preset

    # Refuse bad options before Blender starts or any file is read.
    spec = parse_preset(args.base, thickness=args.base_thickness, texture=args.base_texture) if args.base else None
    target = Path(args.out).expanduser()
    if target.exists() and not args.force:
        raise BadInputError(f"{target} already exists", hint="choose another name or pass --force")
    if args.decimate is not None and args.decimate < 100:
        raise BadInputError(f"--decimate {args.decimate} is too few triangles", hint="use 100 or more")

    _precheck(args.mesh)

    from .blender_host import empty_scene

    steps: list[dict] = []
    with empty_scene():
        from ..blender import pipeline, repair

        out.progress("import", f"reading {args.mesh}")
        obj = pipeline.import_mesh_file(args.mesh)
        if not args.no_orient:
            out.progress("orient", "standing the figure up")
            steps.append(repair.orient(obj))
        if args.height is not None:
            out.progress("scale", f"to {args.height:g} mm")
            steps.append({"step": "scale", **pipeline.scale_to_height(obj, args.height)})
        out.progress("repair", f"making it printable ({args.mode})")
        fix = repair.make_printable(obj, mode=args.mode, voxel_size_mm=args.voxel)
        steps.append(fix)
        if fix.get("warning"):
            out.warn(fix["warning"])
        if spec is not None:
            out.progress("base", f"adding a {spec.kind} {spec.width:g} mm base")
            based = repair.add_base(obj, spec, sink_mm=args.sink, voxel_size_mm=args.voxel)
            steps.append(based)
            if based.get("warning"):
                out.warn(based["warning"])
        if args.hollow is not None:
            out.progress("hollow", f"walls of {args.hollow:g} mm")
            steps.append(repair.hollow(obj, args.hollow, args.drain))
        if args.decimate is not None:
            out.progress("decimate", f"to about {args.decimate} triangles")
            steps.append(repair.decimate(obj, args.decimate))
        final = repair.mesh_health(repair.meshio.object_to_trimesh(obj))
        lo, hi = repair.meshio.object_to_trimesh(obj).bounds()
        out.progress("export", f"writing {args.out}")
        written = pipeline.export_object(obj, target, overwrite=args.force)
    size = [round(float(x), 4) for x in hi - lo]
    result = {"ok": True, **written, "size_mm": size, "final": final, "deviation": fix.get("deviation"),
              "steps": steps}
    dev = fix.get("deviation") or {}
    human = (f"wrote {written['path']}: {size[0]:.1f} × {size[1]:.1f} × {size[2]:.1f} mm, "
             f"{final['triangles']:,} triangles, {final['parts']} part(s), "
             f"{'watertight' if final['watertight'] else 'NOT watertight'}; repair deviation mean "
             f"{dev.get('mean_mm', 0):.3f} mm, max {dev.get('max_mm', 0):.3f} mm")
    out.finish(result, human)
    return EXIT_OK
