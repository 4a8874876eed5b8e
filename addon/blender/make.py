# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender half of ``figurine make`` (``core.make``): the review of one attempt and the
finish of the chosen one (repair, scale, base, export), with the same functions the ``review``
and ``repair`` commands call."""

from __future__ import annotations

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


def _digital_glb(job: Job, model_path, fitting: dict, target):
    """The textured model (UV seams and images kept), turned and scaled like the print."""
    import math

    from mathutils import Matrix

    from . import pipeline

    obj, _loaded = pipeline.import_for_print(model_path, height_mm=fitting["scale"]["height_mm"], to_mm=True)
    turn = int(fitting["facing"]["turn_deg"])
    factor = float(fitting["scale"]["factor"])
    matrix = Matrix.Rotation(math.radians(turn), 4, "Z") @ Matrix.Scale(factor, 4)
    obj.data.transform(matrix)
    obj.data.update()
    pipeline.export_object(obj, target)
    return target


def hooks(**kwargs) -> MakeHooks:
    return MakeHooks(review=review_attempt, finish=finish_attempt, **kwargs)
