# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine repair: a mesh → a print-ready file (upright, to scale, watertight, on a base)."""

from __future__ import annotations

from ..core.errors import EXIT_CHECK_FAILED, EXIT_OK, BadInputError

NAME = "repair"
HELP = ("Make a mesh printable: stand it up, scale it, make it one watertight part, optionally put it on a "
        "base, hollow and decimate it, and write FILE (format from its extension: .stl .3mf .obj .ply .glb).")


def add_arguments(p) -> None:
    p.add_argument("mesh", metavar="MESH", help="GLB, GLTF, OBJ, STL, PLY or FBX file")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .stl, .3mf, .obj or .ply (mm) for print; .glb (m) or .fbx (cm) to view")
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
    p.add_argument("--no-orient", action="store_true", help="keep the mesh's orientation (= --orient keep)")
    from .blender_host import ORIENT_HELP

    p.add_argument("--orient", default="auto", metavar="POSE", help=ORIENT_HELP)
    p.add_argument("--max-triangles", type=int, default=1_000_000, metavar="N",
                   help="triangle budget of the print file before base and hollowing (default 1,000,000)")
    p.add_argument("--max-deviation", type=float, default=0.05, metavar="MM",
                   help="fail when the repaired surface moved more than this on average (default 0.05)")
    p.add_argument("--max-volume-change", type=float, default=3.0, metavar="PCT",
                   help="fail when the repair changed the volume by more than this (default 3)")
    p.add_argument("--min-silhouette", type=float, default=0.95, metavar="R",
                   help="fail when an outline along X, Y or Z agrees less than this with the input's (default 0.95)")
    p.add_argument("--max-lost-area", type=float, default=1.0, metavar="MM2",
                   help="fail when more than this much of the input surface is over 0.5 mm from the result "
                        "(a lost part; default 1)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def _precheck(path) -> None:
    """An STL is read with the core's numpy reader first: a mesh over the triangle limit is
    refused before Blender builds it, and NaN coordinates are reported (Blender's importer
    would quietly drop those faces, so the damage would go unnoticed)."""
    from pathlib import Path

    from ..core.mesh.limits import precheck_mesh_file
    from ..core.repair import validate_mesh
    from ..core.mesh.stl import read_stl

    # (An STL's header or ASCII keywords say how many triangles: refused before reading.)
    if precheck_mesh_file(path, "the repair") != "stl":
        return
    validate_mesh(read_stl(path), Path(path).name)


def _limits(args):
    from ..core.repair.faithful import FaithfulnessLimits

    checks = (("--max-deviation", args.max_deviation, 0.0, 10.0), ("--max-volume-change", args.max_volume_change, 0.0, 100.0),
              ("--min-silhouette", args.min_silhouette, 0.0, 1.0), ("--max-lost-area", args.max_lost_area, 0.0, 1e6))
    for flag, value, lo, hi in checks:
        if not (lo <= value <= hi):
            raise BadInputError(f"{flag} {value} is out of range", hint=f"use {lo:g} to {hi:g}")
    return FaithfulnessLimits(mean_deviation_mm=args.max_deviation, volume_change_percent=args.max_volume_change,
                              min_silhouette=args.min_silhouette, lost_area_mm2=args.max_lost_area)


def execute(args, out) -> int:
    from pathlib import Path

    from ..core.repair import pipeline as core
    from ..core.repair.bases import parse_preset
    from ..core.mesh.exportformats import resolve_target
    from ..core.repair.faithful import RepairLossError
    from .paths import file_output, guard

    guard({"mesh": args.mesh}, file_output("--out", args.out), force=args.force)

    # Refuse bad options before Blender starts or any file is read.
    spec = parse_preset(args.base, thickness=args.base_thickness, texture=args.base_texture) if args.base else None
    target, _fmt = resolve_target(args.out)  # the format from the extension, refused if unknown
    if args.decimate is not None and args.decimate < 100:
        raise BadInputError(f"--decimate {args.decimate} is too few triangles", hint="use 100 or more")
    if not 1000 <= args.max_triangles <= 50_000_000:
        raise BadInputError(f"--max-triangles {args.max_triangles} is out of range", hint="use 1000 to 50,000,000")
    options = core.RepairOptions(height_mm=args.height, mode=args.mode.upper(), voxel_size_mm=args.voxel,
                                 max_triangles=args.max_triangles, base=spec, sink_mm=args.sink,
                                 hollow_wall_mm=args.hollow, drain_mm=args.drain, decimate_to=args.decimate,
                                 limits=_limits(args))
    _precheck(args.mesh)

    from .blender_host import empty_scene, load_mesh

    # The one import check and export use too: welded, the same pose, mm.
    loaded = load_mesh(args.mesh, out, height_mm=args.height, orient="keep" if args.no_orient else args.orient)
    loss: RepairLossError | None = None
    with empty_scene() as bpy:
        from ..blender import meshio, pipeline
        from ..blender.repair import ENGINE

        try:
            repaired = core.repair(loaded.mesh, ENGINE, options, name=Path(args.mesh).name,
                                   progress=lambda step, message: out.progress(step, message))
        except RepairLossError as exc:
            loss = exc
        else:
            for step in repaired.steps:
                if step.get("warning"):
                    out.warn(step["warning"])
            out.progress("export", f"writing {args.out}")
            obj = meshio.trimesh_to_object(repaired.mesh, Path(args.mesh).stem)
            bpy.context.view_layer.update()  # the new object joins the view layer the exporters read
            written = pipeline.export_object(obj, target, overwrite=args.force)
    if loss is not None:
        # Nothing is written: the input stays the only file, and the report says why.
        out.finish({"ok": False, "error": loss.one_line(), "exit_code": EXIT_CHECK_FAILED, "written": False,
                    "import": loaded.report(), **loss.report}, f"FAIL {loss.one_line()}")
        return EXIT_CHECK_FAILED
    final = repaired.final
    size = [round(float(x), 4) for x in repaired.mesh.size()]
    dev = (repaired.faithfulness or {}).get("deviation") or {}
    faith = {k: v for k, v in (repaired.faithfulness or {}).items() if k != "deviation"}
    result = {"ok": True, **written, "import": loaded.report(), "size_mm": size, "final": final,
              "deviation": dev or None, "faithfulness": faith or None,
              "steps": [{"step": "orient", **loaded.pose}] + repaired.steps}
    human = (f"wrote {written['path']}: {size[0]:.1f} × {size[1]:.1f} × {size[2]:.1f} mm, "
             f"{final['triangles']:,} triangles, {final['parts']} part(s), "
             f"{'watertight' if final['watertight'] else 'NOT watertight'}; repair deviation mean "
             f"{dev.get('mean_mm', 0):.3f} mm, max {dev.get('max_mm', 0):.3f} mm, volume change "
             f"{faith.get('volume_change_percent', 0):+.2f} %")
    out.finish(result, human)
    return EXIT_OK
