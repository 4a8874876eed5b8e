# SPDX-License-Identifier: GPL-3.0-or-later
"""Review a model in Blender: clay renders, heat maps, the comparison with the input views.

``review_job`` is what ``figurine review`` and the operator ``figurine.review`` both call. It
writes a ``review`` step into the job folder (renders, difference images, ``review.json``,
``report.html``) and publishes the two files at the job's top level.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import bpy
import numpy as np

from ..core import atomic
from ..core.errors import BadInputError, CancelledError
from ..core.images import STUDIO_GRAY
from ..core.images.prepare import ViewSet, load_prepared
from ..core.jobstore import Job, StepRun
from ..core.mesh.trimesh import TriMesh
from ..core.review import heatmap, report, silhouette
from ..core.review.verdict import ambiguities_recorded, decide, views_the_model_was_built_from
from ..core.mesh.stl import read_stl
from ..core.version import VERSION
from . import clay, display, meshio, offload, render, tasks
from .units import describe_units, mm_per_unit

CLAY_VIEWS = ("front", "back", "left", "right", "three_quarter")
HEAT_VIEWS = ("front", "three_quarter")  # each render of a full-size model costs seconds
# Overhangs face down: seen level they hide under the chin and arms, so their renders look
# from this far below the horizon (not further, or a base hides the figure).
BELOW_TILT_DEG = 25.0
OVERHANG_VIEWS = ("front", "back")
DEFAULT_SIZE = 512

Progress = Callable[[str, float, str], None]


def _no_progress(step: str, fraction: float, message: str) -> None:
    pass


@dataclass
class CheckMaps:
    """The print check's per-element arrays, indexed like the reviewed ``TriMesh``."""

    thickness_mm: np.ndarray | None = None  # per vertex; NaN where not measured
    overhang_faces: np.ndarray | None = None  # triangle indices (or a boolean mask)
    min_wall_mm: float = 0.6
    overhang_angle: float | None = None


@dataclass
class ReviewResult:
    job_dir: Path
    folder: Path  # the review step folder
    review_path: Path
    html_path: Path
    review: dict

    @property
    def decision(self) -> str:
        return self.review["verdict"]["decision"]


# -- renders ------------------------------------------------------------------------------------
def _save_rgb(path: Path, rgb: np.ndarray) -> Path:
    from PIL import Image

    with atomic.atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(tmp, format="PNG")
    return path


def _on_gray(rgba_path: Path, out_path: Path) -> np.ndarray:
    """Composite an RGBA render over studio gray; write it and return its alpha (0..1)."""
    from PIL import Image

    with Image.open(rgba_path) as im:
        rgba = im.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*STUDIO_GRAY, 255))
    canvas.alpha_composite(rgba)
    with atomic.atomic_path(out_path) as tmp:
        canvas.convert("RGB").save(tmp, format="PNG")
    return np.asarray(rgba, dtype=np.float32)[..., 3] / 255.0


def clay_renders(objects, out_dir: str | os.PathLike, *, size: int = DEFAULT_SIZE,
                 views=CLAY_VIEWS, bounds=None) -> tuple[dict[str, Path], dict[str, np.ndarray]]:
    """Neutral gray clay renders on #BEBEBE (``clay_<view>.png``), framed like the input views.

    Workbench's single colour is used rather than the clay material so the user's materials
    and the object's slots are never touched. Returns the image paths and each view's alpha
    (the silhouette the comparison uses), and keeps the transparent renders as
    ``alpha_<view>.png``."""
    out_dir = Path(out_dir)
    raw = render.render_views(objects, out_dir, views=views, size=size, color="SINGLE",
                              single_color=clay.CLAY_RGBA[:3], prefix="alpha_", bounds=bounds)
    paths, alphas = {}, {}
    for view, path in raw.items():
        paths[view] = out_dir / f"clay_{view}.png"
        alphas[view] = _on_gray(path, paths[view])
    return paths, alphas


def clay_renders_in_child(blender: offload.Command, tm: TriMesh, out_dir: str | os.PathLike, *,
                          size: int = DEFAULT_SIZE, views=CLAY_VIEWS, bounds=None, smooth: bool = False,
                          cancel: Callable[[], bool] | None = None, progress: Callable[[int, int], None] | None = None
                          ) -> tuple[dict[str, Path], dict[str, np.ndarray]]:
    """Any thread (no bpy): :func:`clay_renders` of ``tm`` (world space) done by a child
    Blender (:func:`.offload.render_in_child`), the same images; ``bounds`` frames them like
    the object ``tm`` was read from (:func:`.render.world_bounds`). ChildFailed if the child
    did not deliver."""
    out_dir = Path(out_dir)
    job = {"views": list(views), "prefix": "alpha_", "color": "SINGLE", "single_color": list(clay.CLAY_RGBA[:3]),
           "bounds": bounds, "rotation": None, "paint": None}
    raw = offload.render_in_child(blender, tm, out_dir, [job], size=size, smooth=smooth, cancel=cancel,
                                  progress=progress)
    paths, alphas = {}, {}
    for view in views:
        paths[view] = out_dir / f"clay_{view}.png"
        alphas[view] = _on_gray(raw[f"alpha_{view}"], paths[view])
    return paths, alphas


def _heat_object(tm: TriMesh, name: str, point_rgba: np.ndarray | None = None,
                 face_rgba: np.ndarray | None = None) -> "bpy.types.Object":
    """A temporary object holding ``tm`` with one colour attribute (see :func:`.render.paint`)."""
    obj = meshio.trimesh_to_object(tm, name, collection=None)
    bpy.context.scene.collection.objects.unlink(obj)  # only the render scene needs it
    render.paint(obj, point_rgba, face_rgba)
    return obj


def _tilt(view: str, below_deg: float) -> tuple[float, float, float]:
    """The figure's rotation for a view from ``below_deg`` under the horizon: tipping the top
    away from the camera (negative X rotation for the front camera at -Y, positive for the
    back camera at +Y) brings the underside into view."""
    sign = -1.0 if view != "back" else 1.0
    return (sign * math.radians(below_deg), 0.0, 0.0)


def _heat_on_gray(raw: dict[str, Path], out_dir: Path, name: str, suffix: str) -> dict[str, Path]:
    """The transparent heat renders ``{view: path}`` composited on #BEBEBE as
    ``<name>_<view><suffix>.png``; the transparent copies are removed (only intermediates)."""
    written = {}
    for view, path in raw.items():
        written[f"{view}{suffix}"] = out_dir / f"{name}_{view}{suffix}.png"
        _on_gray(path, written[f"{view}{suffix}"])
        path.unlink()
    return written


def heatmap_renders(tm: TriMesh, out_dir: str | os.PathLike, name: str, *, point_rgba=None, face_rgba=None,
                    size: int = DEFAULT_SIZE, views=HEAT_VIEWS, below_deg: float = 0.0) -> dict[str, Path]:
    """Render ``tm`` painted with the given colours (Workbench attribute colours) to
    ``<name>_<view>.png`` on #BEBEBE; with ``below_deg`` the figure is tipped back so the
    camera looks up at it from that angle below the horizon (``<name>_<view>_below.png``)."""
    out_dir = Path(out_dir)
    obj = _heat_object(tm, f"Figurine {name}", point_rgba, face_rgba)
    mesh: bpy.types.Mesh = obj.data
    raw = {}
    try:
        for view in views:
            obj.rotation_euler = _tilt(view, below_deg)
            raw.update(render.render_views([obj], out_dir, views=(view,), size=size,
                                           color="VERTEX",  # Workbench's colour-attribute mode ("Attribute")
                                           prefix=f"alpha_{name}_"))
    finally:
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(mesh)
    return _heat_on_gray(raw, out_dir, name, "_below" if below_deg else "")


@dataclass
class HeatJob:
    """One heat map's renders: its name, views, colours (``paint``: "point" or "face") and tilt."""

    name: str
    views: tuple[str, ...]
    paint: str
    below_deg: float = 0.0


def heatmap_renders_in_child(blender: offload.Command, tm: TriMesh, out_dir: str | os.PathLike,
                             jobs: list[HeatJob], *, point_rgba=None, face_rgba=None, size: int = DEFAULT_SIZE,
                             cancel: Callable[[], bool] | None = None,
                             progress: Callable[[int, int], None] | None = None) -> dict[str, dict[str, Path]]:
    """Any thread (no bpy): :func:`heatmap_renders` for every job in one child Blender, one
    fresh object per view as in process; ``{name: {view: path}}``. ChildFailed if the child
    did not deliver."""
    out_dir = Path(out_dir)
    renders = [{"views": [view], "prefix": f"alpha_{job.name}_", "color": "VERTEX", "bounds": None,
                "rotation": list(_tilt(view, job.below_deg)), "paint": job.paint}
               for job in jobs for view in job.views]
    raw = offload.render_in_child(blender, tm, out_dir, renders, size=size, point_rgba=point_rgba,
                                  face_rgba=face_rgba, cancel=cancel, progress=progress)
    return {job.name: _heat_on_gray({view: raw[f"alpha_{job.name}_{view}"] for view in job.views}, out_dir, job.name,
                                    "_below" if job.below_deg else "")
            for job in jobs}


# -- the print check ----------------------------------------------------------------------------
DEFAULT_PRINT_HEIGHT_MM = 32.0  # a model of no figurine's size is checked scaled to the target (this without one)

def job_preset(job: Job) -> str:
    """The printer preset the job's run checked with (resin unless it said otherwise)."""
    entry = job.last_step("check")
    preset = (entry or {}).get("params", {}).get("preset")
    return preset if isinstance(preset, str) and preset else "resin"


def model_for_check(tm: TriMesh, mm_per_unit: float, units: str, target_mm: float) -> tuple[TriMesh, str]:
    """The reviewed model in millimetres for the print check, and a note when it is not
    checked as it stands. ``tm`` is in scene units (``mm_per_unit`` mm each, ``units`` in words).

    A figure whose size is no figurine's (not scaled yet: a generator's metre-sized mesh in a
    scene in millimetres reads as 2 mm) would be checked against a 0.6 mm wall as a speck:
    every wall "thin", the check meaningless. Such a model is checked as a copy scaled to the
    target height instead, and the note says so and what to do."""
    from ..core import printcheck

    tm_mm = TriMesh(tm.vertices * mm_per_unit, tm.triangles) if mm_per_unit != 1.0 else tm
    size = tm_mm.size()
    lo, hi = printcheck.PLAUSIBLE_SIZE_MM
    if lo <= float(size.max()) <= hi:
        return tm_mm, ""
    scaled = printcheck.scale_to_height(tm_mm, target_mm)
    return scaled, (f"the model is {float(size[2]):.4g} mm tall as it stands ({units}), no figurine's size: "
                    f"the print check ran on a copy scaled to {target_mm:g} mm. Scale to Height (or set the "
                    f"scene's unit scale) before printing")


def print_check(tm: TriMesh, preset: str, note: str = "") -> tuple[dict, CheckMaps]:
    """Check the reviewed model itself (in mm, see :func:`model_for_check`) with the
    print-check engine: the report for the summary, and its thickness and overhang arrays for
    the heat maps. ``note``: how the model was brought to print size, if it was.

    Re-checking rather than reading the run's report.json keeps the summary true to the
    model on show, which may have been edited or regenerated since the run."""
    from ..core import printcheck

    settings = printcheck.preset(preset)
    analysis = printcheck.analyze(tm, settings)
    check = {**analysis.report, "source": f"print check of the reviewed model, {preset} preset"}
    if note:
        check["source"] += " (scaled copy)"
        check["notices"] = [note] + list(check.get("notices", []))
    maps = CheckMaps(thickness_mm=analysis.vertex_thickness,
                     overhang_faces=analysis.elements.get("overhang_faces"),
                     min_wall_mm=float(settings.min_wall_mm), overhang_angle=float(settings.overhang_angle_deg))
    return check, maps


# -- inputs ---------------------------------------------------------------------------------------
def _prepared_views(job: Job) -> ViewSet:
    entry = job.last_step("prepare")
    if entry is None:
        raise BadInputError(f"{job.root} has no prepared views to compare with",
                            hint="run 'figurine run' (or Make Figurine) for this job first")
    return load_prepared(job.root / entry["folder"])


def _job_height_mm(job: Job) -> float:
    """The height the job asks for: its make or run's scale step, else the default 32 mm."""
    for name in ("make", "scale"):
        entry = job.last_step(name)
        value = (entry or {}).get("params", {}).get("height_mm")
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return 32.0


def _job_model(job: Job, viewset: ViewSet | None = None, model: str | None = None) -> tuple[TriMesh, str, dict]:
    """The job's newest model (``core.review.model``), or its ``model`` (job-relative path), as
    the review sees it, its label, and what the import changed: a generator's file goes through
    the one import (weld, pose, units), is turned to face like the views and scaled to the
    job's height."""
    from ..core.review.model import job_models, newest_model

    if model is None:
        found = newest_model(job)
    else:
        matches = [m for m in job_models(job) if m.path == job.root / model]
        if not matches:
            raise BadInputError(f"{job.root} has no finished model {model}", hint="give a model a step of the job made")
        found = matches[-1]
    if not found.from_generator:
        return read_stl(found.path).weld(), found.label, {"model": found.label, "changes": []}
    tm, fitting = fit_generated_model(found.path, viewset, _job_height_mm(job))
    fitting = {"model": found.label, "step": found.step_index, "provider": found.provider,
               "task_id": found.task_id, **fitting}
    return tm, found.label, fitting


def fit_generated_model(path: Path, viewset: ViewSet | None, height_mm: float) -> tuple[TriMesh, dict]:
    """A generator's model file read through the one import, turned to face like the views
    (quarter turns about Z, silhouettes in numpy) and scaled to ``height_mm``; returns the
    mesh and ``{"import", "facing", "scale", "changes"}`` saying what was done."""
    from ..core.mesh.load import load_mesh
    from ..core.review import facing as facing_mod
    from .pipeline import read_with_blender

    # The height is given (the review scales to it), so the import judges no unit as implausible.
    loaded = load_mesh(path, height_mm=height_mm, read_with_blender=read_with_blender)
    changes = list(loaded.warnings)
    if loaded.pose.get("rotated"):
        changes.append(f"stood up: {loaded.pose.get('message', 'the model lay down')}")
    tm = loaded.mesh
    facing = facing_mod.find_facing(tm, {s: v.matte for s, v in viewset.views.items()} if viewset else {})
    if facing.turn_deg:
        tm = facing_mod.turn_about_z(tm, facing.turn_deg)
        changes.append(f"turned {facing.turn_deg} degrees about the vertical axis to face like the views "
                       f"(silhouettes agree {facing.scores[facing.turn_deg]:.2f} turned, "
                       f"{facing.scores[0]:.2f} as delivered)")
    changes += facing.notes
    before = float(tm.size()[2])
    tm, factor = facing_mod.scale_to_height(tm, height_mm)
    if abs(factor - 1.0) > 1e-3:
        changes.append(f"scaled from {before:.1f} mm to {height_mm:g} mm tall (x{factor:.4g}; the file is in "
                       f"{loaded.units.unit})")
    return tm, {"import": loaded.report(), "facing": facing.to_dict(),
                "scale": {"factor": round(factor, 6), "height_mm": height_mm, "height_before_mm": round(before, 4)},
                "changes": changes}


def _write_input(view, out: Path, size: int) -> Path:
    from PIL import Image

    img = Image.fromarray(view.rgb, "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    with atomic.atomic_path(out) as tmp:
        img.save(tmp, format="PNG")
    return out


# -- the whole review -----------------------------------------------------------------------------
AUTO = "auto"  # render_child: a child Blender in the GUI (offload.child_binary), in process otherwise


def review_job(job_dir: str | os.PathLike | Job, *, obj=None, size: int = DEFAULT_SIZE, preset: str | None = None,
               run_check: bool = True, progress: Progress | None = None,
               cancel: Callable[[], bool] | None = None, model: str | None = None,
               render_child: offload.Command | None = AUTO) -> ReviewResult:
    """Review the job's model (``obj`` if given, else the job's ``figurine.stl``) against the
    job's prepared views; write the ``review`` step and publish ``review.json`` and
    ``report.html`` at the job's top level.

    ``preset`` is the printer preset for the print check (default: the one the job's run
    used); ``run_check=False`` leaves the check and its heat maps out. ``render_child``: see
    :func:`iter_review`."""
    progress = progress or _no_progress
    steps = iter_review(job_dir, obj=obj, size=size, preset=preset, run_check=run_check, cancel=cancel, model=model,
                        render_child=render_child)
    ctl = tasks.TaskControl(queue.Queue(), threading.Event())
    value, error = None, None
    while True:
        try:
            item = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as done:
            return done.value
        value, error = None, None
        if isinstance(item, tasks.OffThread):  # its worker part, inline here
            try:
                value = item.work(ctl)
            except BaseException as exc:
                error = exc
        else:
            progress(*item)


def iter_review(job_dir: str | os.PathLike | Job, *, obj=None, size: int = DEFAULT_SIZE, preset: str | None = None,
                run_check: bool = True, cancel: Callable[[], bool] | None = None, model: str | None = None,
                render_child: offload.Command | None = AUTO):
    """:func:`review_job` as task slices (see :mod:`.tasks`): yields ``(step, fraction,
    message)`` between main-thread parts and :class:`.tasks.OffThread` for the parts without
    bpy (the renders in a child Blender, the comparison, the print check), and returns the
    :class:`ReviewResult`. ``cancel`` is asked between parts and by a waiting child.

    ``render_child``: the Blender that renders the views in a child process (a binary or a
    command line); AUTO is this Blender in the GUI (:func:`.offload.child_binary`) and
    nothing in background mode; None renders here, one render per slice. A child that fails
    falls back to rendering here (a render never changes the user's scene), and the review
    and its message say so."""
    if not 128 <= int(size) <= 2048:
        raise BadInputError(f"review image size {size} is out of range", hint="use 128 to 2048 pixels")
    # A caller holding the job open (the make loop) passes it: one manifest, no lost steps.
    job = job_dir if isinstance(job_dir, Job) else Job.open(job_dir, create=False)
    viewset = _prepared_views(job)
    child = offload.child_binary() if render_child == AUTO else render_child
    fitting: dict = {"changes": []}
    if obj is not None:
        tm, model_label = meshio.object_to_trimesh(obj), obj.name
    else:
        tm, model_label, fitting = _job_model(job, viewset, model)
    preset = preset or job_preset(job)
    heat_renders = (len(HEAT_VIEWS) + len(OVERHANG_VIEWS)) if run_check else 0
    total = len(CLAY_VIEWS) + heat_renders + 2  # renders, plus the comparison and the check
    render_notes: list[str] = []

    def check_cancel() -> None:
        if cancel is not None and cancel():
            raise CancelledError("review cancelled by the user")

    def stop(ctl: tasks.TaskControl) -> Callable[[], bool]:  # a waiting child's cancel: the task's or the caller's
        return lambda: ctl.cancelled or (cancel is not None and cancel())

    def rendered(ctl: tasks.TaskControl, start: int, what: str) -> Callable[[int, int], None]:
        """A child's images as they appear, as the task's progress (renders ``start`` on)."""
        def report(done: int, count: int) -> None:
            text = f"{what}: {done} of {count} in a background Blender" if done else f"{what}: starting a background Blender"
            ctl.progress((start + done) / total, text)
        return report

    with job.step("review", {"size": size, "model": model_label, "preset": preset if run_check else None,
                             "views": list(viewset.views)}) as step:
        clay_paths: dict[str, Path] = {}
        alphas: dict[str, np.ndarray] = {}
        # The object's own framing (its full mesh's box, not the viewport's lighter copy's),
        # the same for both routes; the job's model is framed by its own box.
        bounds = None
        if obj is not None:
            with display.full_density(obj):
                bpy.context.evaluated_depsgraph_get()  # the box of the full mesh
                bounds = [[v.x, v.y, v.z] for v in render.world_bounds([obj])]
        if child:
            yield "render", 0.0, "clay renders in a background Blender"
            check_cancel()
            smooth = obj is not None and _mostly_smooth(obj)
            try:
                clay_paths, alphas = yield tasks.OffThread(lambda ctl: clay_renders_in_child(
                    child, tm, step.folder, size=size, bounds=bounds, smooth=smooth, cancel=stop(ctl),
                    progress=rendered(ctl, 0, "clay renders")))
            except offload.ChildFailed as exc:
                render_notes.append(_fell_back(exc))
        if not clay_paths:
            temp = None
            try:
                if obj is None:
                    temp = meshio.trimesh_to_object(tm, "Figurine Review", collection=None)
                    bpy.context.scene.collection.objects.unlink(temp)
                for i, view in enumerate(CLAY_VIEWS):
                    yield "render", i / total, f"clay render: {view.replace('_', ' ')}"
                    check_cancel()
                    paths, views_alpha = clay_renders([obj if obj is not None else temp], step.folder, size=size,
                                                      views=(view,), bounds=bounds)
                    clay_paths.update(paths)
                    alphas.update(views_alpha)
            finally:
                if temp is not None:
                    mesh: bpy.types.Mesh = temp.data
                    bpy.data.objects.remove(temp)
                    bpy.data.meshes.remove(mesh)

        done = len(CLAY_VIEWS)
        yield "compare", done / total, f"silhouettes against {len(viewset.views)} input view(s)"
        check_cancel()
        comparisons, view_entries = yield tasks.OffThread(
            lambda ctl: _compare(alphas, viewset, clay_paths, step, size))

        if obj is not None:  # scene units (Blender's default: metres)
            factor, units = mm_per_unit(bpy.context.scene), describe_units(bpy.context.scene)
        else:  # figurine.stl is written in millimetres
            factor, units = 1.0, "the job's STL, in mm"
        check, maps = None, None
        if run_check:
            yield "check", (done + 1) / total, f"print check ({preset})"
            check_cancel()
            settings = getattr(bpy.context.scene, "figurine", None)
            target = float(getattr(settings, "height_mm", 0.0) or DEFAULT_PRINT_HEIGHT_MM)
            check, maps = yield tasks.OffThread(lambda ctl: _checked(tm, factor, units, target, preset))
        verdict = decide(comparisons, check, built_from=views_the_model_was_built_from(job.manifest),
                         ambiguities=ambiguities_recorded(job.manifest))

        heat: dict = {"maps": [], "note": "No heat maps: the print check was not run for this review."}
        if maps is not None:
            heat = yield from _heat_maps(tm, step, maps, size, (done + 2, total), check_cancel, child, stop,
                                         render_notes, lambda ctl: rendered(ctl, done + 2, "heat maps"))
        lo, hi = tm.bounds()
        review = {
            "format": report.REVIEW_FORMAT,
            "tool": f"figurine_forge {VERSION} · Blender {bpy.app.version_string}",
            "job": job.manifest.get("id", ""),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model": model_label,
            "model_import": fitting,
            "verdict": verdict.to_dict(),
            "score": round(verdict.score, 4),
            "views": view_entries,
            "renders": {view: step.relpath(p) for view, p in clay_paths.items()},
            "heatmaps": heat,
            "print": {"size_mm": [round(float(v) * factor, 3) for v in hi - lo],
                      "material": report.material_estimate(tm.volume() * factor ** 3)},
            "check": check,
            "render": {"where": "a background Blender" if child and not render_notes else "this Blender",
                       "notices": render_notes},
            "folder": step.relpath(step.folder),
        }
        review["files"] = _files(job, step)
        yield "report", (total - 0.5) / total, "report.html"
        review_path, html_path = yield tasks.OffThread(lambda ctl: (
            report.write_review_json(step.path("review.json"), review),
            report.write_html(step.path("report.html"), review, job.root)))
        job.finish_step(step, {"review": review_path, "report": html_path},
                        {"decision": verdict.decision, "score": round(verdict.score, 4),
                         "iou": {c.view: round(c.iou, 4) for c in comparisons}})
    top_review = job.promote(review_path, "review.json")
    top_html = job.promote(html_path, "report.html")
    yield "done", 1.0, f"{verdict.decision}: wrote {top_html}"
    return ReviewResult(job.root, step.folder, top_review, top_html, review)


def _heat_maps(tm: TriMesh, step: StepRun, maps: CheckMaps, size: int, position: tuple[int, int],
               check_cancel: Callable[[], None], child=None, stop=None, notes: list[str] | None = None,
               rendered=None):
    """Slices: renders the heat maps (all in one child Blender when ``child`` is given, else
    one view per slice here); returns the report's entry."""
    done, total = position
    jobs: list[HeatJob] = []
    point_rgba = face_rgba = None
    thin, flagged = 0, 0
    t = None
    if maps.thickness_mm is not None:
        t = np.asarray(maps.thickness_mm, dtype=np.float64)
        if t.shape != (len(tm.vertices),):
            raise ValueError(f"thickness map has {t.shape} entries for {len(tm.vertices)} vertices")
        point_rgba = heatmap.thickness_colors(t, maps.min_wall_mm)
        thin = int(np.count_nonzero(np.isfinite(t) & (t < maps.min_wall_mm)))
        jobs.append(HeatJob("thickness", HEAT_VIEWS, "point"))
    if maps.overhang_faces is not None:
        face_rgba = heatmap.face_colors(len(tm.triangles), maps.overhang_faces)
        flagged = int(np.count_nonzero((face_rgba != np.asarray(heatmap.NEUTRAL, np.float32)).any(axis=1)))
        jobs.append(HeatJob("overhang", OVERHANG_VIEWS, "face", BELOW_TILT_DEG))
    images: dict[str, dict[str, Path]] = {}
    if child and jobs:
        yield "heatmaps", done / total, "heat maps in a background Blender"
        check_cancel()
        try:
            images = yield tasks.OffThread(lambda ctl: heatmap_renders_in_child(
                child, tm, step.folder, jobs, point_rgba=point_rgba, face_rgba=face_rgba, size=size,
                cancel=stop(ctl), progress=rendered(ctl)))
        except offload.ChildFailed as exc:
            if notes is not None:
                notes.append(_fell_back(exc))
    if not images:
        for job in jobs:
            images[job.name] = {}
            for view in job.views:
                text = (f"wall thickness: {view.replace('_', ' ')}" if job.name == "thickness"
                        else f"overhangs: {view} from below")
                yield "heatmaps", done / total, text
                check_cancel()
                colours = {"point_rgba": point_rgba} if job.paint == "point" else {"face_rgba": face_rgba}
                images[job.name].update(heatmap_renders(tm, step.folder, job.name, size=size, views=(view,),
                                                        below_deg=job.below_deg, **colours))
                done += 1
    out = []
    if t is not None:
        out.append({"name": "thickness", "title": "Wall thickness",
                    "caption": (f"red: thinner than {maps.min_wall_mm:g} mm ({thin} of {len(t)} vertices); "
                                f"amber: under {2 * maps.min_wall_mm:g} mm; gray: thicker"),
                    "flagged": thin,
                    "images": {v: step.relpath(p) for v, p in images["thickness"].items()}})
    if face_rgba is not None:
        angle = f" beyond {maps.overhang_angle:g}° from the build direction" if maps.overhang_angle else ""
        out.append({"name": "overhang", "title": "Overhangs",
                    "caption": (f"magenta: {flagged} of {len(tm.triangles)} faces overhang{angle} and need "
                                f"support; seen from {BELOW_TILT_DEG:g}° below"),
                    "flagged": flagged,
                    "images": {v: step.relpath(p) for v, p in images["overhang"].items()}})
    return {"maps": out}


def _compare(alphas: dict[str, np.ndarray], viewset: ViewSet, clay_paths: dict[str, Path], step: StepRun,
             size: int) -> tuple[list, list[dict]]:
    """Any thread (no bpy): the silhouettes against the input views, with the input and
    difference images written beside the renders; the comparisons and the report's entries."""
    comparisons = silhouette.compare_views(alphas, {slot: v.matte for slot, v in viewset.views.items()}, size=size)
    view_entries = []
    for comp in comparisons:
        input_path = _write_input(viewset.views[comp.view], step.path(f"input_{comp.view}.png"), size)
        assert comp.diff is not None
        diff_path = _save_rgb(step.path(f"diff_{comp.view}.png"), comp.diff)
        entry = comp.to_dict()
        entry["images"] = {"input": step.relpath(input_path), "render": step.relpath(clay_paths[comp.view]),
                           "diff": step.relpath(diff_path)}
        view_entries.append(entry)
    return comparisons, view_entries


def _checked(tm: TriMesh, factor: float, units: str, target_mm: float, preset: str) -> tuple[dict, CheckMaps]:
    """Any thread (no bpy): :func:`print_check` of the model brought to print size."""
    check_tm, note = model_for_check(tm, factor, units, target_mm)
    return print_check(check_tm, preset, note)


def _mostly_smooth(obj) -> bool:
    """Main thread: whether most of the object's faces are shaded smooth (a child renders a
    copy of its triangles and shades them alike)."""
    polys = obj.data.polygons
    if not len(polys):
        return False
    flags = np.zeros(len(polys), bool)
    polys.foreach_get("use_smooth", flags)
    return bool(flags.mean() > 0.5)


def _fell_back(exc: Exception) -> str:
    """The notice of a child render that failed (the renders then run here, pausing Blender)."""
    print(f"Figurine Forge: the background Blender could not render, rendering here: {exc}")
    return (f"the background Blender could not render ({str(exc)[:200]}); rendered in this Blender instead, "
            f"which pauses the window during each render (details on the console)")


def _files(job: Job, step: StepRun) -> list[dict]:
    """What the job folder holds for the reader, relative to the job folder."""
    known = [("figurine.stl", "the printable model (binary STL, millimetres)"),
             ("report.json", "the run's report: mesh facts and the print check"),
             ("review.json", "this review for scripts (per view IoU, verdict)"),
             ("report.html", "this page"),
             ("job.json", "the job manifest: inputs and every step")]
    files = [{"path": name, "what": what} for name, what in known
             if (job.root / name).exists() or name in ("review.json", "report.html")]
    files.append({"path": step.relpath(step.folder) + "/", "what": "the review's images and the step's copy of both files"})
    return files
