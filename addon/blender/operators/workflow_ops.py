# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators for the whole chain and the sample figure."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ...core.images import DIAGONAL_VIEW_SLOTS
from .. import tasks, workflow
from ..placement import show_new_figure
from .common import abspath, reports_errors


class FIGURINE_OT_run_job(bpy.types.Operator):
    """Prepare the views, reconstruct locally, scale, check and export an STL into the job folder"""

    bl_idname = "figurine.run_job"
    bl_label = "Make Figurine"
    bl_options = {"REGISTER", "UNDO"}

    job_dir: StringProperty(name="Job Folder", subtype="DIR_PATH",
                            description="Empty uses the scene's Job Folder")
    wait: tasks.wait_property()

    @reports_errors
    def execute(self, context):
        s = context.scene.figurine
        job_dir = abspath(self.job_dir or s.job_dir)
        if not job_dir:
            self.report({"ERROR"}, "No job folder — set Job Folder in the Figurine panel")
            return {"CANCELLED"}
        views = s.view_paths()  # the four views and any diagonals, as `figurine run` takes them
        height_mm, resolution, preset = s.height_mm, s.resolution, s.preset
        # The local generator's Legs choice (Generate panel) holds for this one-click run too.
        legs = str(s.options_dict().get("legs", "every")) if s.provider == "local" else "every"

        def work(ctl):  # worker thread (or inline in background mode): no bpy in this half
            return workflow.reconstruct_views(views, job_dir, resolution=resolution, legs=legs,
                                              progress=lambda step, f, msg: ctl.progress(f, msg),
                                              cancel=ctl.cancel.is_set)

        def finish(ctx, rec):  # main thread, in slices: remesh, scale, check, export
            units_before = ctx.scene.unit_settings.length_unit
            result = yield from workflow.finish_job_slices(rec, height_mm=height_mm, preset=preset)
            ctx.view_layer.update()
            obj = ctx.view_layer.objects.get(result.object_name)
            if obj is not None:
                show_new_figure(obj, ctx)  # selected, beside what is visible, framed in the GUI
            units_note = ("; scene units set to millimetres (Ctrl+Z undoes)"
                          if ctx.scene.unit_settings.length_unit != units_before else "")
            settings = ctx.scene.figurine
            settings.last_export = str(result.stl_path)
            settings.last_report = str(result.report_path)
            verdict = "passes the print check" if result.passed else "fails the print check — see the report"
            warnings = result.report.get("warnings") or []  # the views' problems, shown, not only filed
            note = f" — check the views: {'; '.join(warnings)}" if warnings else ""
            return (("INFO" if result.passed and not warnings else "WARNING"),
                    f"Wrote {result.stl_path}: {verdict}{note}{units_note}")

        run = tasks.start(context, tasks.Task("Make Figurine", work, finish), wait=self.wait)
        if run.state == "finished":  # ran synchronously: report now, as before
            self.report({run.level}, run.result_text)
        return {"FINISHED"}


class FIGURINE_OT_make_sample(bpy.types.Operator):
    """Render the built-in sample character's four views into a folder and use them as the inputs"""

    bl_idname = "figurine.make_sample"
    bl_label = "Make Sample Views"
    bl_options = {"REGISTER"}

    directory: StringProperty(name="Folder", subtype="DIR_PATH")

    @reports_errors
    def execute(self, context):
        from .. import sample_figure

        folder = abspath(self.directory)
        if not folder:
            self.report({"ERROR"}, "No folder given for the sample views")
            return {"CANCELLED"}
        written = sample_figure.write_sample(folder)
        s = context.scene.figurine
        for slot in ("front", "back", "left", "right"):
            setattr(s, f"{slot}_image", str(written[slot]))
        for slot in DIAGONAL_VIEW_SLOTS:  # another character's diagonals must not join the sample's views
            setattr(s, f"{slot}_image", "")
            s.view(slot).active_version = -1  # as Clear View leaves it: the history is kept
        self.report({"INFO"}, f"Sample views written to {folder}")
        return {"FINISHED"}


classes = (FIGURINE_OT_run_job, FIGURINE_OT_make_sample)
