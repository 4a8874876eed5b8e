# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender half of ``figurine make`` (``core.make``): the review of one attempt and the
finish of the chosen one (repair, scale, base, export), with the same functions the ``review``
and ``repair`` commands call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.errors import FigurineError
from ..core.images.prepare import load_prepared
from ..core.jobstore import Job
from ..core.make import MakeHooks, MakePlan


def review_attempt(job: Job, model: str) -> dict:
    """Review one attempt's model (silhouettes only: a generator's raw mesh is not meant to pass
    the print check; the repair makes it printable after the choice)."""
    from .review import review_job

    return review_job(job, model=model, run_check=False).review


def finish_attempt(job: Job, attempt: dict, plan: MakePlan) -> dict:
    """Repair, scale and base the chosen attempt as ``figurine repair`` does, export
    ``figurine.stl`` and ``figurine.3mf`` (and ``figurine.glb`` with ``plan.digital``)."""
    import bpy

    from ..core.repair.bases import parse_preset
    from . import meshio, pipeline, repair, units
    from .review import fit_generated_model

    units.use_millimetres(bpy.context.scene)  # the meshes below are in mm, as `figurine export` sets it

    entry = job.last_step("prepare")
    viewset = load_prepared(job.root / entry["folder"]) if entry else None
    model_path = job.root / attempt["model"]
    # The attempt as its review saw it: the one import, turned to face like the views, at height.
    tm, fitting = fit_generated_model(model_path, viewset, plan.height_mm)
    spec = parse_preset(plan.base) if plan.base else None
    out: dict = {"model": attempt["model"], "changes": fitting["changes"], "facing": fitting["facing"]}
    with job.step("export", {"make_attempt": attempt["n"], "height_mm": plan.height_mm, "base": plan.base,
                             "format": "stl"}) as step:
        # The repaired figure stays in the scene (the panel shows it; the CLI's scene is thrown away).
        obj = meshio.trimesh_to_object(tm, "Figurine", pipeline.figurine_collection())
        obj["figurine_job"] = str(job.root)
        out["object"] = obj.name
        fix = repair.make_printable(obj, mode="AUTO")
        out["repair"] = {k: fix.get(k) for k in ("method", "deviation", "warning") if k in fix}
        if spec is not None:
            based = repair.add_base(obj, spec)
            out["base"] = {k: based.get(k) for k in ("base", "sink_mm", "method", "feet_reach_base", "warning")
                           if k in based}
        final = repair.mesh_health(meshio.object_to_trimesh(obj))
        lo, hi = meshio.object_to_trimesh(obj).bounds()
        stl = pipeline.export_object(obj, step.path("figurine.stl"))
        three = pipeline.export_object(obj, step.path("figurine.3mf"))
        out.update(final=final, size_mm=[round(float(x), 3) for x in hi - lo])
        files = {"stl": step.path("figurine.stl"), "3mf": step.path("figurine.3mf")}
        if plan.digital:
            files["glb"] = _digital_glb(job, model_path, fitting, step.path("figurine.glb"))
        job.finish_step(step, files, {"size_mm": out["size_mm"], "watertight": final.get("watertight"),
                                      "parts": final.get("parts"), "bytes": stl.get("bytes"),
                                      "bytes_3mf": three.get("bytes")})
    out["files"] = {kind: str(job.promote(path, f"figurine.{kind}")) for kind, path in files.items()}
    return out


def _textured_fitted(model_path, fitting: dict, name: str | None = None):
    """The textured model as an object (UV seams and images kept), turned and scaled as the
    review fitted it (``fit_generated_model``)."""
    import math

    from mathutils import Matrix

    from . import pipeline

    obj, _loaded = pipeline.import_for_print(model_path, height_mm=fitting["scale"]["height_mm"], to_mm=True,
                                             name=name)
    turn = int(fitting["facing"]["turn_deg"])
    factor = float(fitting["scale"]["factor"])
    matrix = Matrix.Rotation(math.radians(turn), 4, "Z") @ Matrix.Scale(factor, 4)
    obj.data.transform(matrix)
    # The fitting's factor was measured on the welded mesh, which can stand a little taller than
    # the file's own vertices (measured: 2 % on a generator GLB with a cut-off part): finish at
    # the height exactly, as the print is.
    zs = np.empty(len(obj.data.vertices) * 3)
    obj.data.vertices.foreach_get("co", zs)
    height = float(np.ptp(zs[2::3])) if len(zs) else 0.0
    target = float(fitting["scale"]["height_mm"])
    if height > 0 and abs(height / target - 1.0) > 1e-4:
        obj.data.transform(Matrix.Scale(target / height, 4))
    obj.data.update()
    return obj


def _digital_glb(job: Job, model_path, fitting: dict, target):
    """The textured model (UV seams and images kept), turned and scaled like the print."""
    from . import pipeline

    pipeline.export_object(_textured_fitted(model_path, fitting), target)
    return target


def load_attempt(context, job: Job, n: int):
    """Attempt ``n``'s model (``core.make.attempt_row``) into the scene as the review and the
    finish see it: through the one import, turned to face like the views the attempt was sent,
    at the make's height in mm, its textures kept; placed beside what is in the scene."""
    from ..core.make import attempt_row
    from . import pipeline, placement, units
    from .review import _job_height_mm, fit_generated_model

    row = attempt_row(job, n)
    entry = job.steps[int(row["prepare_step"]) - 1] if row.get("prepare_step") else job.last_step("prepare")
    viewset = load_prepared(job.root / entry["folder"]) if entry else None
    plan = (job.manifest.get("make") or {}).get("plan") or {}
    height = float(plan.get("height_mm") or _job_height_mm(job))
    model_path = job.root / row["model"]
    # Millimetres first: Blender's glTF importer reads into the scene's unit, so the fitting
    # and the textured import below must see the same scene (as finish_attempt does).
    units.use_millimetres(context.scene)
    _tm, fitting = fit_generated_model(model_path, viewset, height)
    obj = _textured_fitted(model_path, fitting, name=f"Attempt {n}")
    collection = pipeline.figurine_collection(context.scene)
    for c in list(obj.users_collection):
        c.objects.unlink(obj)
    collection.objects.link(obj)
    obj["figurine_job"] = str(job.root)
    obj["figurine_attempt"] = n
    obj["figurine_model"] = row["model"]
    placement.show_new_figure(obj, context)
    return obj, row, fitting


_ROWS: dict[str, tuple[int, list[dict]]] = {}  # job.json -> (its mtime, its rows): the panel draws often


def panel_rows(job_dir: str) -> list[dict]:
    """The job's attempts for the panel (``core.make.attempt_rows``), read without locking the
    job (drawing only reads) and again only when job.json changed; [] without a job."""
    from ..core.make import attempt_rows

    path = Path(job_dir) / "job.json"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return []
    hit = _ROWS.get(str(path))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        manifest = json.loads(path.read_text("utf-8"))
        rows = attempt_rows(Job(path.parent.absolute(), manifest)) if isinstance(manifest, dict) else []
    except (OSError, ValueError, KeyError, TypeError, FigurineError):
        rows = []  # a job.json being rewritten, or not a job: nothing to show this draw
    _ROWS.clear()
    _ROWS[str(path)] = (stamp, rows)
    return rows


def hooks(**kwargs) -> MakeHooks:
    return MakeHooks(review=review_attempt, finish=finish_attempt, **kwargs)
