# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators for the whole chain and the sample figure."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .. import workflow
from .common import abspath, reports_errors


class FIGURINE_OT_run_job(bpy.types.Operator):
    """Prepare the views, reconstruct locally, scale, check and export an STL into the job folder"""

    bl_idname = "figurine.run_job"
    bl_label = "Make Figurine"
    bl_options = {"REGISTER", "UNDO"}

    job_dir: StringProperty(name="Job Folder", subtype="DIR_PATH",
                            description="Empty uses the scene's Job Folder")

    @reports_errors
    def execute(self, context):
        s = context.scene.figurine
        job_dir = abspath(self.job_dir or s.job_dir)
        if not job_dir:
            self.report({"ERROR"}, "No job folder — set Job Folder in the Figurine panel")
            return {"CANCELLED"}
        views = {slot: abspath(getattr(s, f"{slot}_image")) for slot in ("front", "back", "left", "right")}
        result = workflow.run_job(views, job_dir, height_mm=s.height_mm, resolution=s.resolution,
                                  preset=s.preset)
        obj = context.view_layer.objects.get(result.object_name)
        if obj is not None:
            for o in context.view_layer.objects:
                o.select_set(False)
            obj.select_set(True)
            context.view_layer.objects.active = obj
        s.last_export = str(result.stl_path)
        s.last_report = str(result.report_path)
        verdict = "passes the print check" if result.passed else "fails the print check — see the report"
        self.report({"INFO"} if result.passed else {"WARNING"}, f"Wrote {result.stl_path}: {verdict}")
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
        self.report({"INFO"}, f"Sample views written to {folder}")
        return {"FINISHED"}


classes = (FIGURINE_OT_run_job, FIGURINE_OT_make_sample)
