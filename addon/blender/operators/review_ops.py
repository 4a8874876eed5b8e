# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators of the Review sub-panel: render and compare, open the report.

``figurine.review`` is a task (see :mod:`..tasks`) without a worker half: its main-thread
slices are the review's steps and its worker parts the renders (in a child Blender, see
:mod:`..offload`), the comparison and the print check, so Blender's window keeps drawing
(progress in the status bar and the panel) and Esc cancels, a waiting child too. In
background mode, or with ``wait``, it runs to the end in one call, rendering in process.

After a review the scene holds ``scene["figurine_review"]`` (what the panel draws) and the
images are loaded as ``bpy.data.images`` named ``Figurine Review <view> <kind>``.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import BoolProperty, StringProperty

from .. import review, tasks
from .common import abspath, reports_errors

SCENE_KEY = "figurine_review"
IMAGE_TAG = "figurine_review_image"  # custom property marking images this module loaded


def _job_dir(op, context) -> str:
    s = context.scene.figurine
    return abspath(op.job_dir or s.job_dir)


def _model(op, context):
    obj = context.active_object
    if op.use_active and obj is not None and obj.type == "MESH":
        return obj
    return None


def _load_image(path: Path, name: str):
    img = bpy.data.images.load(str(path), check_existing=False)
    img.name = name
    img[IMAGE_TAG] = True
    return img


def _forget_images() -> None:
    """Drop the images of the previous review so names stay stable (and memory bounded)."""
    for img in list(bpy.data.images):
        if img.get(IMAGE_TAG):
            bpy.data.images.remove(img)


def store_review(scene, result: review.ReviewResult) -> dict:
    """Keep what the panel needs on the scene and load the images (see module doc)."""
    _forget_images()
    rv = result.review
    root = result.job_dir
    views = {}
    for v in rv["views"]:
        names = {}
        for kind, rel in v["images"].items():
            name = f"Figurine Review {v['view']} {kind}"
            _load_image(root / rel, name)
            names[kind] = name
        views[v["view"]] = {"iou": float(v["iou"]), "findings": list(v["findings"]), "images": names}
    renders = {}
    for view, rel in rv["renders"].items():
        if view not in views:  # the compared views' renders are loaded above
            name = f"Figurine Review {view} render"
            _load_image(root / rel, name)
            renders[view] = name
    heat = {}
    for hm in (rv.get("heatmaps") or {}).get("maps", []):
        for view, rel in hm["images"].items():
            name = f"Figurine Review {view} {hm['name']}"
            _load_image(root / rel, name)
            heat[f"{hm['name']}_{view}"] = name
    data = {
        "job_dir": str(root), "report_html": str(result.html_path), "review_json": str(result.review_path),
        "decision": rv["verdict"]["decision"], "score": float(rv["score"]), "advice": rv["verdict"]["advice"],
        "reasons": list(rv["verdict"]["reasons"]), "views": views, "renders": renders, "heatmaps": heat,
        "model": str(rv.get("model", "")), "import_changes": list((rv.get("model_import") or {}).get("changes", [])),
    }
    scene[SCENE_KEY] = data
    return data


class FIGURINE_OT_review(bpy.types.Operator):
    """Render the figure as clay from every side, compare it with the input views, check it and write report.html into the job folder"""

    bl_idname = "figurine.review"
    bl_label = "Review"
    bl_options = {"REGISTER"}

    job_dir: StringProperty(name="Job Folder", subtype="DIR_PATH", description="Empty uses the scene's Job Folder")
    use_active: BoolProperty(name="Active Object", default=True,
                             description="Review the active mesh object; off (or no mesh active) reviews the job's newest model "
                                         "(figurine.stl, or a generated model turned and scaled to the views)")
    run_check: BoolProperty(name="Print Check", default=True,
                            description="Run the print check and render its heat maps")

    wait: tasks.wait_property()

    @reports_errors
    def execute(self, context):
        job_dir = _job_dir(self, context)
        if not job_dir:
            self.report({"ERROR"}, "No job folder — set Job Folder in the Figurine panel")
            return {"CANCELLED"}
        steps = review.iter_review(job_dir, obj=_model(self, context), preset=context.scene.figurine.preset,
                                   run_check=self.run_check)

        def finish(ctx, _nothing):  # main thread, one render per monitor tick (see ..tasks)
            result = yield from _slices(steps)
            data = store_review(ctx.scene, result)
            text = f"Review: {data['decision']} (score {data['score']:.2f}) — {data['reasons'][0]}"
            # The print check's size notices (a model of no figurine's size was checked scaled).
            notes = (result.review.get("check") or {}).get("notices", [])
            notes = notes + (result.review.get("render") or {}).get("notices", [])  # a child render that failed
            text += "".join(f"; {n}" for n in notes)
            return ("INFO" if data["decision"] == "keep" and not notes else "WARNING"), text

        run = tasks.start(context, tasks.Task("Review", None, finish, undo=False), wait=self.wait)
        if run.state == "finished":  # ran synchronously: report now
            self.report({run.level}, run.result_text)
        return {"FINISHED"}


def _slices(steps):
    """:func:`..review.iter_review`'s steps as task slices: ``(fraction, message)`` between
    main-thread parts, its :class:`..tasks.OffThread` parts handed to the task runner (their
    value sent back in); a cancel (or an error) thrown in at a slice goes to the review, whose
    job step records it. Returns the review's result."""
    try:
        item = next(steps)
        while True:
            value = None
            try:
                if isinstance(item, tasks.OffThread):
                    value = yield item
                else:
                    _step, fraction, message = item
                    yield fraction, message
            except BaseException as exc:
                item = steps.throw(exc)
            else:
                item = steps.send(value)
    except StopIteration as done:
        return done.value


class FIGURINE_OT_open_review_report(bpy.types.Operator):
    """Open the last review's report.html in the web browser"""

    bl_idname = "figurine.open_review_report"
    bl_label = "Open Report"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        data = context.scene.get(SCENE_KEY)
        return bool(data) and Path(data.get("report_html", "")).is_file()

    @reports_errors
    def execute(self, context):
        path = Path(context.scene[SCENE_KEY]["report_html"])
        bpy.ops.wm.url_open(url=path.as_uri())
        return {"FINISHED"}


classes = (FIGURINE_OT_review, FIGURINE_OT_open_review_report)
