# SPDX-License-Identifier: GPL-3.0-or-later
"""One character of a batch, inside its own process: ``figurine batch --worker SPEC``.

A pipeline takes the character from its images to a job folder holding ``figurine.stl``
(plus the other formats asked for), ``report.json``, and the review (``report.html`` with
clay renders). Pipelines, by name:

* ``run`` — the local chain, what ``figurine run`` does (``blender.workflow.run_job``);
* ``generate`` — a remote generator through the job lifecycle (which records the task id the
  moment it exists and resumes it instead of submitting again), then import and repair as
  ``figurine repair`` does, scale and check;
* ``make`` (#16) slots in as one more entry of :data:`PIPELINES`.

The result is the last JSON line on stdout; the batch reads it. Failing print checks are a
failed character (exit 1) with the failing checks as its reason; other failures raise, and
the CLI prints their one-line message (exit 2, 3, 4 or 5).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..core.batch.characters import Character
from ..core.errors import EXIT_CHECK_FAILED, EXIT_OK, BadInputError
from ..core.jobstore import Job


def _progress(out, name: str) -> Callable:
    return lambda step, frac, msg: out.progress(f"{name}:{step}", msg, frac)


def _limiter_slot(spec: dict, provider: str):
    from ..core.batch.ratelimit import RateLimit, SharedRateLimiter

    limit = (spec.get("rate_limits") or {}).get(provider)
    if not limit:
        return None
    limiter = SharedRateLimiter(spec["rate_dir"], provider, RateLimit(int(limit[0]), float(limit[1])))
    return limiter.slot


# -- pipelines --------------------------------------------------------------------------------
def pipeline_run(c: Character, job_dir: Path, spec: dict, out) -> dict:
    """The local chain: views → reconstruction → scale → check → figurine.stl + report.json."""
    import bpy

    from ..blender.workflow import run_job

    if c.provider != "local":
        raise BadInputError(f"the run pipeline is local only, not {c.provider}", hint="use pipeline generate")
    result = run_job(c.views, job_dir, height_mm=c.height, provider="local", resolution=c.resolution,
                     image_size=c.size, preset=c.preset, progress=_progress(out, c.name))
    obj = bpy.data.objects[result.object_name]
    return {"obj": obj, "report": result.report, "paid": False, "task_id": None, "exported": {"stl": "figurine.stl"}}


def pipeline_generate(c: Character, job_dir: Path, spec: dict, out) -> dict:
    """A remote (or local) generator through the lifecycle, then import and repair."""
    from ..blender import meshio, pipeline, repair
    from ..core import providers
    from ..core.images.prepare import prepare_into_job
    from ..core.providers import lifecycle

    job = Job.open(job_dir)
    config = providers.ProviderConfig.from_env(online=bool(spec.get("online")),
                                               request_slot=_limiter_slot(spec, c.provider))
    progress = lambda fraction, text: out.progress(f"{c.name}:generate", text, fraction)  # noqa: E731
    finished = [t for t in job.manifest.get("tasks", {}).values() if t.get("state") == "finished" and t.get("result")]
    task_id = None
    if lifecycle.pending_tasks(job):
        # A task this character already paid for: follow it, never submit again.
        gen = lifecycle.resume(job, config=config, progress=progress)
        mesh, task_id = gen.mesh_path, gen.task_id
    elif finished:
        mesh, task_id = job.root / finished[-1]["result"], finished[-1].get("task_id")
        out.progress(f"{c.name}:generate", f"model of task {task_id} already downloaded")
    else:
        out.progress(f"{c.name}:prepare", f"preparing {len(c.views)} view(s)")
        _, viewset = prepare_into_job(job, c.views, size=c.size)
        if c.provider == "local":
            from ..blender.pipeline import finish_reconstruction

            config.finish = lambda m: finish_reconstruction(m, c.resolution)
        gen = providers.generate(job, c.provider, viewset, options=dict(c.options), config=config,
                                 progress=progress)
        mesh, task_id = gen.mesh_path, gen.task_id
    paid = bool(task_id)
    out.progress(f"{c.name}:repair", f"importing {Path(mesh).name}")
    obj = pipeline.import_mesh_file(mesh)
    with job.step("repair", {"height_mm": c.height, "mesh": str(Path(mesh).relative_to(job.root))}) as step:
        steps = [repair.orient(obj), {"step": "scale", **pipeline.scale_to_height(obj, c.height)}]
        fix = repair.make_printable(obj, mode="auto")
        steps.append(fix)
        job.finish_step(step, result={"steps": [s.get("step") for s in steps if isinstance(s, dict)],
                                      "deviation": fix.get("deviation"), "warning": fix.get("warning")})
    with job.step("check", {"preset": c.preset, "height_mm": c.height}) as step:
        check = pipeline.check_object(obj, height_mm=None, preset=c.preset)
        job.finish_step(step, result={"passed": check["passed"]})
    tm = meshio.object_to_trimesh(obj)
    report: dict = {"provider": c.provider, "task_id": task_id, "source_mesh": str(Path(mesh).relative_to(job.root)),
              "repair": {"deviation": fix.get("deviation"), "warning": fix.get("warning")},
              "mesh": {"triangles": int(len(tm.triangles)), "size_mm": [round(float(v), 3) for v in tm.size()]},
              "print_check": check, "passed": bool(check["passed"]), "warnings": []}
    return {"obj": obj, "report": report, "paid": paid, "task_id": task_id, "exported": {}}


PIPELINES: dict[str, Callable[[Character, Path, dict, object], dict]] = {
    "run": pipeline_run,
    "generate": pipeline_generate,
}


def choose_pipeline(c: Character) -> str:
    if c.pipeline != "auto":
        return c.pipeline
    return "run" if c.provider == "local" else "generate"


# -- the common end: base, exports, report, review ---------------------------------------------
def _finish(c: Character, job_dir: Path, made: dict, spec: dict, out) -> dict:
    from ..blender import pipeline, repair
    from ..core import atomic

    job = Job.open(job_dir, create=False)
    obj, report = made["obj"], made["report"]
    files = dict(made["exported"])
    if c.base:
        with job.step("base", {"base": c.base}) as step:
            out.progress(f"{c.name}:base", f"adding a {c.base} base")
            based = repair.add_base(obj, c.base)
            job.finish_step(step, result={k: v for k, v in based.items() if k in ("step", "warning", "method")})
        files.pop("stl", None)  # the figure changed: export it again
    wanted = [f for f in c.formats if f not in files]
    need_report = made["exported"].get("stl") is None or bool(c.base)  # run_job wrote one for its STL
    if wanted or need_report:
        with job.step("export", {"formats": wanted}) as step:
            written: dict[str, Path | str] = {}
            for fmt in wanted:
                out.progress(f"{c.name}:export", fmt.upper())
                written[fmt] = Path(pipeline.export_object(obj, step.path(f"figurine.{fmt}"))["path"])
            if need_report:
                report_path = step.path("report.json")
                atomic.write_json(report_path, {**report, "base": c.base or None,
                                                "files": {f: f"figurine.{f}" for f in c.formats}})
                written["report"] = report_path
            job.finish_step(step, outputs=written)
        for fmt, path in written.items():
            name = "report.json" if fmt == "report" else f"figurine.{fmt}"
            job.promote(Path(path), name)
            files[fmt] = name
    files.pop("report", None)
    result: dict = {"files": files, "report": "report.json", "passed": bool(report.get("passed")),
                    "size_mm": report.get("mesh", {}).get("size_mm"), "warnings": list(report.get("warnings") or [])}
    if spec.get("review", True):
        from ..blender.review import review_job

        try:
            reviewed = review_job(job_dir, obj=obj, size=int(spec.get("review_size", 256)), run_check=False,
                                  progress=_progress(out, c.name))
            result["report_html"] = reviewed.html_path.relative_to(job_dir).as_posix()
            clay = reviewed.folder / "clay_front.png"
            if clay.is_file():
                result["clay"] = clay.relative_to(job_dir).as_posix()
            result["verdict"] = reviewed.decision
        except Exception as exc:  # noqa: BLE001 - the figure is made; a failed review is a warning
            result["warnings"].append(f"review failed: {exc}")
            out.warn(f"review failed: {exc}")
    return result


def run_character(spec: dict, out) -> int:
    from .blender_host import empty_scene

    c = Character.from_dict(spec["character"])
    job_dir = Path(spec["job_dir"])
    name = choose_pipeline(c)
    if name not in PIPELINES:
        raise BadInputError(f"unknown pipeline {name!r}", hint=f"use {', '.join(PIPELINES)}")
    if c.error:
        raise BadInputError(c.error)
    with empty_scene():
        made = PIPELINES[name](c, job_dir, spec, out)
        result = _finish(c, job_dir, made, spec, out)
    result.update({"ok": True, "name": c.name, "pipeline": name, "paid": made["paid"], "task_id": made["task_id"]})
    if result["passed"]:
        result["status"] = "done"
        out.finish(result, f"{c.name}: {job_dir / result['files']['stl']}")
        return EXIT_OK
    check = made["report"].get("print_check") or {}
    failing = ", ".join(check.get("failures") or []) or "see report.json"
    result.update({"status": "failed", "reason": f"print check failed ({c.preset}): {failing}"})
    out.finish(result, f"{c.name}: {result['reason']}")
    return EXIT_CHECK_FAILED
