# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole chain — views to a printable STL in a job folder — as one function.

``figurine run`` and the operator ``figurine.run_job`` both call :func:`run_job`; the panel
runs the same steps as a task: :func:`reconstruct_views` in the worker thread, then
:func:`finish_job_slices` on the main thread one slice per tick, its numpy parts (cleanup,
check, report) back in a worker and the OpenVDB remesh in a child Blender
(:mod:`.offload`), so Blender never freezes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import bpy

from ..core.errors import BadInputError, CancelledError, FigurineError
from ..core.images import view_name
from ..core.images.prepare import DEFAULT_SIZE, ViewSet, prepare_into_job
from ..core.jobstore import Job, StepRun
from ..core.mesh.trimesh import TriMesh
from ..core.mesh.trimesh import non_manifold_edge_count, shell_count
from ..core.reconstruct import reconstruct_mesh
from ..core.reconstruct.ambiguity import ambiguity_warnings
from ..core.reconstruct.legs import check_placement
from ..core.mesh.stl import write_stl
from ..core.version import VERSION
from . import display, meshio, offload, pipeline, remesh, tasks

STEPS = ("prepare", "reconstruct", "scale", "check", "export")


@dataclass
class RunResult:
    job_dir: Path
    stl_path: Path
    report_path: Path
    report: dict
    object_name: str

    @property
    def passed(self) -> bool:
        return bool(self.report.get("passed"))


@dataclass
class Reconstruction:
    """What the first half of the chain (no bpy: may run in a worker thread) hands to the
    second half (bpy: main thread only)."""

    job: Job
    inputs: dict[str, str | os.PathLike]
    viewset: ViewSet
    raw: TriMesh  # straight from the visual hull
    step: StepRun  # the open "reconstruct" step, finished by :func:`finish_job`
    resolution: int
    ambiguities: list[str] = field(default_factory=list)  # heights where the parts' places are open


def _canceller(cancel: Callable[[], bool] | None) -> Callable[[], None]:
    def check_cancel():
        if cancel is not None and cancel():
            raise CancelledError("cancelled by the user")

    return check_cancel


def reconstruct_views(views: Mapping[str, str | os.PathLike | None], job_dir: str | os.PathLike, *,
                      provider: str = "local", resolution: int = 160, image_size: int = DEFAULT_SIZE,
                      progress: Callable[[str, float, str], None] | None = None,
                      cancel: Callable[[], bool] | None = None, legs: str = "every",
                      fix_facing: bool = False) -> Reconstruction:
    """Check the inputs, prepare the views and run the visual hull. Touches no bpy data, so
    the panel runs it in a worker thread; :func:`finish_job` does the rest on the main thread.
    ``fix_facing`` mirrors side views that face the wrong way (as ``figurine prepare``)."""
    progress = progress or pipeline._no_progress
    check_placement(legs)  # before the job folder exists
    given: dict[str, str] = {slot: os.fspath(p) for slot, p in views.items() if p}
    if not given.get("front"):
        raise BadInputError("the front view is missing", hint="give a front view image (--front FILE)")
    if provider != "local":
        raise BadInputError(f"'run' reconstructs locally; provider '{provider}' is remote",
                            hint="use 'figurine generate --provider NAME --online' for remote generators")
    for slot, path in given.items():  # before the job folder exists: nothing to clean up
        if not Path(path).is_file():
            raise BadInputError(f"{view_name(slot)} view {path} does not exist", hint="check the file name")
    check_cancel = _canceller(cancel)

    total = len(STEPS)
    job = Job.open(job_dir)
    progress("prepare", 0 / total, f"preparing {len(given)} view(s)")
    inputs, viewset = prepare_into_job(job, given, size=image_size, fix_facing=fix_facing)
    check_cancel()

    progress("reconstruct", 1 / total, f"local visual hull at {resolution} voxels")
    step = job.begin_step("reconstruct", {"provider": "local", "resolution": resolution, "legs": legs})
    try:
        raw = reconstruct_mesh(viewset, resolution=resolution, cancel=cancel, legs=legs)
        check_cancel()
        # Where front and side cannot place the parts (phantom legs): in the report's warnings,
        # printed by the CLI and shown by the panel, and again by the review.
        unsure = ambiguity_warnings(viewset, legs)
        viewset.warnings.extend(unsure)
    except BaseException as exc:
        _fail(job, step, exc)
        raise
    return Reconstruction(job, inputs, viewset, raw, step, resolution, unsure)


def _fail(job: Job, step: StepRun, exc: BaseException) -> None:
    if isinstance(exc, CancelledError):
        job.fail_step(step, exc.one_line(), status="cancelled")
    elif isinstance(exc, FigurineError):
        job.fail_step(step, exc.one_line())
    else:
        job.fail_step(step, f"internal error: {type(exc).__name__}")


def run_job(views: Mapping[str, str | os.PathLike | None], job_dir: str | os.PathLike, *,
            height_mm: float = pipeline.DEFAULT_HEIGHT_MM, provider: str = "local",
            resolution: int = 160, image_size: int = DEFAULT_SIZE, preset: str = "resin",
            progress: Callable[[str, float, str], None] | None = None,
            cancel: Callable[[], bool] | None = None, legs: str = "every", fix_facing: bool = False) -> RunResult:
    """Prepare the views, reconstruct locally, scale, check, export ``figurine.stl`` and
    ``report.json`` into ``job_dir``. Leaves the figure in the scene as a clay object."""
    rec = reconstruct_views(views, job_dir, provider=provider, resolution=resolution, image_size=image_size,
                            progress=progress, cancel=cancel, legs=legs, fix_facing=fix_facing)
    return finish_job(rec, height_mm=height_mm, preset=preset, progress=progress, cancel=cancel)


def finish_job(rec: Reconstruction, *, height_mm: float = pipeline.DEFAULT_HEIGHT_MM, preset: str = "resin",
               progress: Callable[[str, float, str], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> RunResult:
    """The second half of :func:`run_job`: remesh (OpenVDB), scale, check and export, on
    the calling thread (main thread: bpy)."""
    return tasks.run_inline(finish_job_slices(rec, height_mm=height_mm, preset=preset, progress=progress),
                            cancel=cancel)


def _check_arrays(tm: TriMesh, preset: str) -> dict:
    """Any thread: :func:`.pipeline.check_object` on arrays already read from the object."""
    from ..core import printcheck
    from ..core.mesh.load import weld_for_analysis

    welded, _tol = weld_for_analysis(tm)  # as pipeline.check_object welds
    return printcheck.check_trimesh(welded, height_mm=None, preset=preset)


def remeshed_reconstruction(raw: TriMesh, resolution: int):
    """Slices (see :mod:`.tasks`) returning the clean shell of a raw reconstruction: the
    OpenVDB remesh in a child Blender when the GUI runs (else here), the cleanup in a worker."""
    binary = offload.child_binary()
    voxel = pipeline.reconstruction_voxel(resolution)

    def in_child(ctl):
        remeshed = offload.voxel_remesh_in_child(binary, raw, voxel, cancel=ctl.cancel.is_set) if binary else None
        return None if remeshed is None else pipeline.clean_reconstruction(remeshed, resolution)

    clean = yield tasks.OffThread(in_child)
    if clean is None:  # background mode, or the child failed: the remesh here, as before
        remeshed = remesh.voxel_remesh(raw, voxel)
        clean = yield tasks.OffThread(lambda ctl: pipeline.clean_reconstruction(remeshed, resolution))
    return clean


def finish_job_slices(rec: Reconstruction, *, height_mm: float = pipeline.DEFAULT_HEIGHT_MM, preset: str = "resin",
                      progress: Callable[[str, float, str], None] | None = None):
    """:func:`finish_job` as main-thread slices for the task runner (see :mod:`.tasks`)."""
    progress = progress or pipeline._no_progress
    total = len(STEPS)
    job, inputs, viewset, resolution, step = rec.job, rec.inputs, rec.viewset, rec.resolution, rec.step

    def say(name: str, fraction: float, text: str) -> tuple[float, str]:
        progress(name, fraction, text)
        return fraction, text

    yield say("reconstruct", 1.6 / total, "voxel remesh: one closed shell")
    try:
        clean = yield from remeshed_reconstruction(rec.raw, resolution)
        model = yield tasks.OffThread(lambda ctl: write_stl(step.path("model.stl"), clean))
    except BaseException as exc:
        _fail(job, step, exc)
        raise
    job.finish_step(step, {"model": model}, {"triangles": len(clean.triangles), "ambiguities": rec.ambiguities})

    yield say("scale", 2 / total, f"to {height_mm:g} mm")
    with job.step("scale", {"height_mm": height_mm}) as step:
        obj = meshio.trimesh_to_object(clean, "Figurine", pipeline.figurine_collection())
        obj["figurine_job"] = str(job.root)
        pipeline.set_clay(obj, True)
        # Scaled in the same slice: the dense mesh's first draw (a stall of its own under
        # software GL) then happens once, not once unscaled and once scaled.
        scaled = pipeline.scale_to_height(obj, height_mm)
        display.lighten(obj)  # GUI: shown lighter from the next draws on (made in a worker)
        job.finish_step(step, result=scaled)
    name = obj.name

    yield say("check", 3 / total, f"print check ({preset})")
    with job.step("check", {"preset": preset, "height_mm": height_mm}) as step:
        tm = meshio.object_to_trimesh(obj)  # main thread: the arrays; the check in the worker
        check = yield tasks.OffThread(lambda ctl: _check_arrays(tm, preset))
        job.finish_step(step, result={"passed": check["passed"]})

    yield say("export", 4 / total, "binary STL in millimetres")
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise BadInputError(f"'{name}' was removed while the figurine was made", hint="press Make Figurine again")
    with job.step("export", {"format": "stl"}) as step:
        exported = pipeline.export_object(obj, step.path("figurine.stl"))
        yield say("export", 4.5 / total, "report")

        def write_report(ctl):  # worker: counts over the arrays, one JSON file
            report = {
                "tool": {"name": "figurine_forge", "version": VERSION, "blender": blender_version},
                "job": job.manifest["id"],
                "inputs": {slot: Path(p).relative_to(job.root).as_posix() for slot, p in inputs.items()},
                "warnings": list(viewset.warnings),
                "notes": list(viewset.notes),  # what preparation changed (a view mirrored)
                "provider": "local",
                "reconstruction": {"resolution": resolution, "triangles": len(clean.triangles)},
                "mesh": {
                    "triangles": int(len(tm.triangles)), "vertices": int(len(tm.vertices)),
                    "non_manifold_edges": non_manifold_edge_count(tm.triangles),
                    "shells": shell_count(tm),
                    "size_mm": [round(float(v), 3) for v in tm.size()],
                    "volume_ml": round(abs(tm.volume()) / 1000.0, 4),
                },
                "print_check": check,
                "passed": bool(check["passed"]),
                "files": {"stl": "figurine.stl", "report": "report.json", "job": "job.json"},
            }
            from ..core import atomic

            atomic.write_json(step.path("report.json"), report)
            return report

        blender_version = bpy.app.version_string
        report = yield tasks.OffThread(write_report)
        report_path = step.path("report.json")
        job.finish_step(step, {"stl": Path(exported["path"]), "report": report_path})
    stl = job.promote(Path(exported["path"]), "figurine.stl")
    report_top = job.promote(report_path, "report.json")
    progress("done", 1.0, f"wrote {stl}")
    return RunResult(job.root, stl, report_top, report, name)
