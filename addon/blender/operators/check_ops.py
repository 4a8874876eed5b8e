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
import numpy as np
from bpy.props import EnumProperty, FloatProperty, StringProperty

from ...core import printcheck
from ...core.errors import BadInputError
from ...core.mesh.limits import check_triangle_budget
from .. import findings, tasks
from ..units import describe_units, mm_per_unit
from .common import reports_errors

_FINDING_ITEMS = [(key, label, "") for key, label in findings.FINDINGS]
_PRESET_ITEMS = [("SCENE", "Scene Setting", "Use the printer chosen in the Figurine Forge panel"),
                 ("resin", "Resin", "Resin printer: walls from 0.6 mm"),
                 ("fdm", "FDM 0.4 mm", "FDM printer with a 0.4 mm nozzle: walls from 1.0 mm"),
                 ("custom", "Custom", "Resin numbers with the thresholds given here")]


def _triangle_count(mesh) -> int:
    """Triangles of a mesh's polygons without triangulating it (n-gon: n - 2)."""
    sizes = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("loop_total", sizes)
    return int(sizes.sum()) - 2 * len(sizes)


def _size_note(name: str, scene_mm: float, height_mm: float | None, units: str) -> str:
    """When the figure is checked at another size than it has in the scene, say so: the
    check is right for the print, but the scene's figure would not print that size."""
    if not height_mm or scene_mm <= 0 or abs(scene_mm - height_mm) <= 0.01 * height_mm:
        return ""
    return (f"'{name}' is {scene_mm:.4g} mm tall in the scene ({units}); it was checked as printed "
            f"{height_mm:g} mm tall: Scale to Height makes it that size before export")


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
        if obj is not None and obj.type == "MESH":  # the shared limit, before the mesh is read
            check_triangle_budget(_triangle_count(obj.data), f"'{obj.name}'", task="the print check")
        data = findings.read_object(obj)  # main thread: arrays out of Blender
        # The figure's height in millimetres as it stands, through the scene's unit scale
        # (Blender's default scene is in metres: 0.032 units is a 32 mm figure).
        lo, hi = data.mesh.bounds()
        scene_mm = float(hi[2] - lo[2]) * mm_per_unit(context.scene)
        size_note = _size_note(data.name, scene_mm, height, describe_units(context.scene))
        if not height and scene_mm > 0:
            height = scene_mm  # (checked as it stands, in mm)

        def work(ctl):  # worker thread: numpy only (thickness probes, intersections...)
            return findings.analyze(data, height, settings, ctl)

        def finish(ctx, result):  # main thread: findings list and colours
            findings.store(data, result, settings)
            r = result.report
            notes = [size_note] if size_note else []
            notes += r.get("notices", [])
            if size_note:
                r["notices"] = notes
            tail = "".join(f"; {n}" for n in notes)
            if r["passed"]:
                text = f"'{data.name}' passes the {settings.preset} print check{tail}"
                return ("WARNING", text) if notes else text
            return "WARNING", f"'{data.name}' fails: {', '.join(r['failures'])}{tail}"

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
