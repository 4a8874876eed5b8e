# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine run: views → job folder with figurine.stl, job.json and report.json."""

from __future__ import annotations

from ..core.errors import EXIT_CHECK_FAILED, EXIT_OK
from ..core.reconstruct.legs import LEG_PLACEMENTS, LEGS_HELP
from .views import add_view_arguments, view_paths

NAME = "run"
HELP = "Run the whole chain offline: prepare the views, reconstruct locally, scale, check, export STL."


def add_arguments(p) -> None:
    add_view_arguments(p)
    p.add_argument("--out", required=True, metavar="JOB_DIR", help="job folder (new, empty, or an earlier job)")
    p.add_argument("--height", type=float, default=32.0, metavar="MM", help="figure height in mm (default 32)")
    p.add_argument("--provider", default="local", help="3D generator; 'run' uses the embedded 'local' one")
    p.add_argument("--resolution", type=int, default=160, metavar="VOXELS",
                   help="reconstruction grid along the figure's height (default 160)")
    p.add_argument("--legs", choices=LEG_PLACEMENTS, default="every", help=LEGS_HELP + " (default every)")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="prepared view size (default 1024)")
    p.add_argument("--preset", default="resin", help="print-check preset: resin or fdm (default resin)")
    p.add_argument("--fix-facing", action="store_true",
                   help="mirror side views that face the wrong way (as `figurine prepare --fix-facing`)")


def execute(args, out) -> int:
    from .blender_host import empty_scene
    from .paths import guard_job_folder, require_images, view_options

    paths = view_paths(args)
    require_images(paths)  # before the job folder exists: a bad image leaves nothing behind
    guard_job_folder(view_options(paths), args.out)
    with empty_scene():
        from ..blender.workflow import run_job

        result = run_job(paths,
                         args.out, height_mm=args.height, provider=args.provider, resolution=args.resolution,
                         image_size=args.size, preset=args.preset, legs=args.legs, fix_facing=args.fix_facing,
                         progress=lambda step, frac, msg: out.progress(step, msg, frac))
        import bpy

        from ..blender.vertex_colours import export_job_glb

        glb = export_job_glb(result.job_dir, bpy.data.objects[result.object_name])
    report = result.report
    for note in report["notes"]:  # a view mirrored by --fix-facing
        out.warn(note)
    for warning in report["warnings"]:  # the view set's problems, not only in report.json
        out.warn(warning)
    summary = {
        "ok": True, "passed": result.passed, "job_dir": str(result.job_dir), "stl": str(result.stl_path), "glb": str(glb),
        "report": str(result.report_path), "size_mm": report["mesh"]["size_mm"],
        "triangles": report["mesh"]["triangles"], "shells": report["mesh"]["shells"],
        "non_manifold_edges": report["mesh"]["non_manifold_edges"], "warnings": report["warnings"],
    }
    verdict = "passes the print check" if result.passed else "FAILS the print check (see report.json)"
    out.finish(summary, f"{result.stl_path} ({report['mesh']['size_mm'][2]:.1f} mm tall) {verdict}")
    return EXIT_OK if result.passed else EXIT_CHECK_FAILED
