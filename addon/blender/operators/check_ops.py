# SPDX-License-Identifier: GPL-3.0-or-later
"""Print-check operators: run the checks on the active figure, select a finding's elements,
clear the findings. Results are kept by :mod:`..findings` (no scene properties).

Check Print is a background task (see :mod:`..findings` for the three halves): the mesh is read into arrays on the main thread, the
checks (the slow part: thickness probes, self-intersections) run in the worker thread, and
the findings and the thickness colours are stored on the main thread when it ends. In
background mode it runs synchronously, as before.
"""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, FloatProperty, StringProperty

from ...core import printcheck
from ...core.errors import BadInputError
from .. import findings, tasks
from .common import reports_errors

_FINDING_ITEMS = [(key, label, "") for key, label in findings.FINDINGS]
_PRESET_ITEMS = [("SCENE", "Scene Setting", "Use the printer chosen in the Figurine Forge panel"),
                 ("resin", "Resin", "Resin printer: walls from 0.6 mm"),
                 ("fdm", "FDM 0.4 mm", "FDM printer with a 0.4 mm nozzle: walls from 1.0 mm"),
                 ("custom", "Custom", "Resin numbers with the thresholds given here")]


def _scene_setting(context, name, default):
    settings = getattr(context.scene, "figurine", None)
    return getattr(settings, name, default) if settings is not None else default


class FIGURINE_OT_check_print(bpy.types.Operator):
    """Check the active figure for 3D printing at the scene's target height; paints a wall
    thickness map (colour attribute "figurine_thickness") and lists the findings"""

    bl_idname = "figurine.check_print"
    bl_label = "Check Print"
    bl_options = {"REGISTER", "UNDO"}

    height_mm: FloatProperty(name="Height", default=0.0, min=0.0, max=2000.0, unit="NONE",
                             description="Printed height in mm (0: the scene's target height)")
    preset: EnumProperty(name="Printer", items=_PRESET_ITEMS, default="SCENE")
    min_wall_mm: FloatProperty(name="Min Wall", default=0.0, min=0.0, max=100.0,
                               description="Thinnest wall that passes, mm (0: the printer's own)")
    wait: tasks.wait_property()

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return obj is not None and obj.type == "MESH"

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        height = self.height_mm or float(_scene_setting(context, "height_mm", 0.0)) or None
        preset_name = _scene_setting(context, "preset", "resin") if self.preset == "SCENE" else self.preset
        if preset_name not in printcheck.PRESETS:
            preset_name = "resin"
        settings = printcheck.preset(preset_name, min_wall_mm=self.min_wall_mm or None)
        data = findings.read_object(obj)  # main thread: arrays out of Blender

        def work(ctl):  # worker thread: numpy only (thickness probes, intersections...)
            return findings.analyze(data, height, settings, ctl)

        def finish(ctx, result):  # main thread: findings list and colours
            findings.store(data, result, settings)
            r = result.report
            if r["passed"]:
                return f"'{data.name}' passes the {settings.preset} print check"
            return "WARNING", f"'{data.name}' fails: {', '.join(r['failures'])}"

        run = tasks.start(context, tasks.Task("Check print", work, finish), wait=self.wait)
        if run.state == "finished":  # synchronous (background mode, wait): the monitor did not report
            self.report({run.level}, run.result_text)
        return {"FINISHED"}


class FIGURINE_OT_select_finding(bpy.types.Operator):
    """Select the faces or edges of one print-check finding in Edit Mode"""

    bl_idname = "figurine.select_finding"
    bl_label = "Select Finding"
    bl_options = {"REGISTER", "UNDO"}

    finding: EnumProperty(name="Finding", items=_FINDING_ITEMS)
    object_name: StringProperty(name="Object", description="Object checked (default: the active one)")

    @reports_errors
    def execute(self, context):
        obj = bpy.data.objects.get(self.object_name) if self.object_name else context.active_object
        if obj is None or obj.type != "MESH":
            raise BadInputError("no mesh object to select in", hint="select the checked figure")
        result = findings.get(obj.name)
        if result is None:
            raise BadInputError(f"'{obj.name}' has not been checked yet", hint="run Check Print first")
        if self.finding in result.faces:
            count = findings.select_elements(obj, faces=result.faces[self.finding])
        else:
            count = findings.select_elements(obj, edges=result.edges[self.finding])
        self.report({"INFO"}, f"{count} selected")
        return {"FINISHED"}


class FIGURINE_OT_clear_findings(bpy.types.Operator):
    """Forget the print-check findings and remove the thickness colours"""

    bl_idname = "figurine.clear_findings"
    bl_label = "Clear Findings"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        if obj is not None:
            findings.clear(obj.name)
            if obj.type == "MESH" and findings.THICKNESS_ATTRIBUTE in obj.data.color_attributes:
                attrs = obj.data.color_attributes
                attrs.remove(attrs[findings.THICKNESS_ATTRIBUTE])
        return {"FINISHED"}


classes = (FIGURINE_OT_check_print, FIGURINE_OT_select_finding, FIGURINE_OT_clear_findings)
