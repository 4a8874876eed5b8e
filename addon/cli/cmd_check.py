# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine check: print checks on a mesh file at its printed size.

The mesh is loaded as repair and export load it (``blender_host.load_mesh``: welded, in the
same pose, in mm): STL and OBJ by the core (no Blender needed, and fast on big files), other
formats through Blender's importers. Exit 0 when the mesh passes, 1 when a check fails, 2 on
bad input.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import EXIT_CHECK_FAILED, EXIT_OK, BadInputError

NAME = "check"
TASK = "the print check"  # in the triangle limit's message
HELP = "Check a mesh for 3D printing (walls, holes, intersections, stability...) at its printed size."

# CLI option -> PrintSettings field, with the help text's unit.
OVERRIDES = (
    ("--min-wall", "min_wall_mm", "MM", "thinnest wall that passes"),
    ("--fragile-thickness", "fragile_thickness_mm", "MM", "parts thinner than this and long are fragile"),
    ("--fragile-ratio", "fragile_ratio", "X", "a fragile part is at least X times longer than thick"),
    ("--degenerate", "degenerate_mm", "MM", "faces narrower / edges shorter than this are degenerate"),
    ("--distort-angle", "distort_angle_deg", "DEG", "polygons folded more than this are distorted"),
    ("--sharp-angle", "sharp_angle_deg", "DEG", "edges whose faces turn more than this are sharp"),
    ("--overhang-angle", "overhang_angle_deg", "DEG", "faces leaning past this from vertical overhang"),
    ("--min-part", "min_part_mm", "MM", "loose parts smaller than this are tiny bits"),
    ("--contact", "contact_mm", "MM", "vertices this close to the lowest point are the footprint"),
    ("--stability-margin", "stability_margin_mm", "MM", "centre of mass must be this far inside the footprint"),
    ("--density", "density_g_per_ml", "G/ML", "material density for the weight estimate"),
)


def add_arguments(p) -> None:
    p.add_argument("mesh", metavar="MESH", help="STL, GLB, GLTF, OBJ, PLY or FBX file, or a zip holding one")
    p.add_argument("--height", type=float, metavar="MM",
                   help="judge the mesh scaled to this height in mm (default: the file's units are mm)")
    p.add_argument("--preset", choices=("resin", "fdm", "custom"), default="resin",
                   help="threshold set: resin (min wall 0.6 mm), fdm (0.4 nozzle, 1.0 mm), custom")
    for flag, _field, metavar, text in OVERRIDES:
        p.add_argument(flag, type=float, metavar=metavar, help=text)
    p.add_argument("--indices", action="store_true",
                   help="include each finding's element indices in the JSON (large on big meshes)")
    p.add_argument("--report", metavar="FILE", help="also write the JSON report to FILE")
    p.add_argument("--force", action="store_true", help="replace the --report FILE if it exists")
    from .blender_host import ORIENT_HELP

    p.add_argument("--orient", default="auto", metavar="POSE", help=ORIENT_HELP)


def _load(path: str, out, height_mm: float | None, orient: str):
    """The welded, posed mesh in mm and its import report (``blender_host.load_mesh``, the
    same import repair and export use)."""
    from .blender_host import load_mesh

    return load_mesh(path, out, height_mm=height_mm, orient=orient)


# Over a kilometre read as millimetres the file is in another unit beyond doubt: refused (a
# check would "pass" it). Between 1 m and 1 km the check runs and its notices say what to do.
ABSURD_SIZE_MM = 1_000_000.0


def _reuse_freed_memory() -> None:
    """Let glibc's malloc keep the memory the check frees and hand it out again, instead of
    returning every large array to the system and faulting fresh pages in for the next one
    (about a tenth of the check's CPU time on a million triangles was such system time).
    Arrays up to 32 MiB come from the heap (glibc's largest threshold) and the heap is only
    trimmed past 1 GiB of free space; the peak stays that of the arrays alive at once. Only
    for this short-lived command; a no-op where the C library has no ``mallopt``."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl...): its own defaults
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)


def execute(args, out) -> int:
    import numpy as np

    from ..core import printcheck
    from ..core.mesh.limits import check_triangle_budget, precheck_mesh_file
    from .paths import file_output, guard

    guard({"mesh": args.mesh}, file_output("--report", args.report), force=args.force)

    overrides = {field: getattr(args, flag[2:].replace("-", "_")) for flag, field, _m, _t in OVERRIDES}
    settings = printcheck.preset(args.preset, **overrides)
    if args.height is not None and not (0 < args.height <= 10000):
        raise BadInputError(f"height {args.height} mm is out of range", hint="pass the printed height in mm, e.g. 32")
    # Before any work: the file is a mesh, and an STL's own triangle count is within the limit.
    precheck_mesh_file(args.mesh, TASK)
    _reuse_freed_memory()
    loaded = _load(args.mesh, out, args.height, args.orient)
    mesh, poly = loaded.mesh, loaded.polygon_of_triangle
    check_triangle_budget(len(mesh.triangles), Path(args.mesh).name, task=TASK)
    if args.height:
        mesh = printcheck.scale_to_height(mesh, args.height)
    elif (extent := max(float(np.ptp(mesh.vertices[:, k])) for k in range(3))) > ABSURD_SIZE_MM:  # (per column: fast)
        raise BadInputError(f"{Path(args.mesh).name} is {extent:.3g} mm across, "
                            f"far beyond anything printable (another unit?)", hint="pass the printed height, e.g. --height 32")
    out.progress("check", f"{len(mesh.triangles)} triangles, preset {settings.preset}")
    analysis = printcheck.analyze(mesh, settings, polygon_of_triangle=poly)
    result = analysis.to_dict(include_indices=args.indices)
    result["mesh"] = str(args.mesh)
    result["import"] = loaded.report()
    if args.height:
        result["height_mm"] = float(args.height)
    if args.report:
        from ..core import atomic

        atomic.write_json(args.report, result)
    out.finish(result, _human(result))
    return EXIT_OK if result["passed"] else EXIT_CHECK_FAILED


def _human(r: dict) -> str:
    c = r["checks"]
    x, y, z = r["size_mm"]
    lines = [
        f"{'PASS' if r['passed'] else 'FAIL'}  {Path(r['mesh']).name}  ({r['preset']} preset)",
        f"  size {x:g} x {y:g} x {z:g} mm, volume {r['volume_ml']:.3f} ml "
        f"(~{r['material']['weight_g']:.2f} g), {'stable' if r['stable'] else 'NOT stable'}",
    ]
    thick = f"{'>= ' if c['min_thickness_capped'] else ''}{c['min_thickness_mm']:g} mm"
    rows = [("non-manifold edges", c["non_manifold_edges"]), ("flipped edges", c["flipped_edges"]),
            ("holes", c["boundary_loops"]), ("intersecting faces", c["intersecting_faces"]),
            ("degenerate faces", c["degenerate_faces"]), ("distorted faces", c["distorted_faces"]),
            ("thin faces", f"{c['thin_faces']} (thinnest {thick})"), ("sharp edges", c["sharp_edges"]),
            ("overhang faces", c["overhang_faces"]), ("loose parts", c["loose_parts"]),
            ("floating parts", c["floating_parts"]), ("tiny parts", c["tiny_parts"]),
            ("fragile protrusions", c["fragile_protrusions"])]
    lines += [f"  {name:<20} {value}" for name, value in rows]
    if r["failures"]:
        lines.append(f"  fails: {', '.join(r['failures'])}")
    if r["warnings"]:
        lines.append(f"  warnings: {', '.join(r['warnings'])}")
    lines += [f"  note: {text}" for text in r.get("import", {}).get("warnings", [])]
    lines += [f"  NOTE: {note}" for note in r.get("notices", [])]
    return "\n".join(lines)
