# SPDX-License-Identifier: GPL-3.0-or-later
"""Print-check operators: run the checks on the active figure, select a finding's elements,
clear the findings. Results are kept by :mod:`..findings` (no scene properties).

Check Print is a background task: the mesh is read into arrays on the main thread, the
checks (the slow part: thickness probes, self-intersections) run in the worker thread, and
the findings and the thickness colours are stored on the main thread when it ends. In
background mode it runs synchronously, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty

from ...core import printcheck
from ...core.errors import BadInputError
from ...core.meshdata import TriMesh
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


@dataclass
class CheckInput:
    """What the check needs from the object, read on the main thread (plain arrays)."""

    name: str
    mesh: TriMesh  # world coordinates, the object's own vertex indices
    polygon_of_triangle: np.ndarray
    edge_keys: np.ndarray  # each edge of the mesh as min(v) * n + max(v)
    n_vertices: int
    n_polygons: int
    n_edges: int


def read_object(obj) -> CheckInput:
    """Main thread: the object's triangles, their polygons and its edges, as arrays."""
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    mesh = obj.data
    tm, poly = findings.mesh_arrays(mesh, obj.matrix_world)
    if tm.is_empty:
        raise BadInputError(f"'{obj.name}' has no faces", hint="select a mesh with geometry")
    keys, _n = findings._edge_index_map(mesh)
    return CheckInput(obj.name, tm, poly, keys, len(mesh.vertices), len(mesh.polygons), len(mesh.edges))


def analyze(data: CheckInput, height_mm: float | None, settings: printcheck.PrintSettings,
            ctl=None) -> findings.ObjectFindings:
    """Any thread: run the checks and express the findings in the object's own polygon and
    edge indices (the same result as ``findings.analyze_object``, without touching bpy)."""
    tm, poly = data.mesh, data.polygon_of_triangle
    if height_mm:
        tm = printcheck.scale_to_height(tm, height_mm)
    if ctl is not None:
        ctl.progress(0.1, f"checking {len(tm.triangles)} triangles")
    analysis = printcheck.analyze(tm, settings, polygon_of_triangle=poly)
    if ctl is not None:
        ctl.check_cancel()
        ctl.progress(0.9, "listing the findings")
    report = analysis.report
    if height_mm:
        report["height_mm"] = float(height_mm)
    keys, n = data.edge_keys, max(data.n_vertices, 1)
    order = np.argsort(keys)
    faces, edges = {}, {}
    for name, _label in findings.FINDINGS:
        idx = analysis.elements[name]
        if printcheck.FINDING_KINDS[name] == "face":
            faces[name] = np.unique(poly[idx]) if len(idx) else np.zeros(0, np.int64)
        else:
            pairs = analysis.edges[idx]
            k = pairs[:, 0] * n + pairs[:, 1]
            pos = np.clip(np.searchsorted(keys[order], k), 0, max(len(order) - 1, 0))
            found = (keys[order][pos] == k) if len(order) else np.zeros(len(k), bool)
            edges[name] = np.unique(order[pos[found]])
    return findings.ObjectFindings(report=report, faces=faces, edges=edges,
                                   vertex_thickness=analysis.vertex_thickness)


def store(context, data: CheckInput, result: findings.ObjectFindings, settings: printcheck.PrintSettings) -> None:
    """Main thread: keep the findings and paint the thickness map, if the object is still the
    one that was checked."""
    obj = bpy.data.objects.get(data.name)
    if obj is None or obj.type != "MESH":
        raise BadInputError(f"'{data.name}' was removed or renamed while it was checked", hint="check it again")
    was_edit = obj.mode == "EDIT"
    if was_edit:
        obj.update_from_editmode()
    mesh = obj.data
    if (len(mesh.vertices), len(mesh.polygons), len(mesh.edges)) != (data.n_vertices, data.n_polygons, data.n_edges):
        raise BadInputError(f"'{data.name}' was edited while it was checked", hint="run Check Print again")
    findings._CACHE[data.name] = result  # findings.py has no public setter; analyze_object writes it the same way
    with context.temp_override(active_object=obj, object=obj):
        if was_edit:  # the colours go into the mesh data, which Edit Mode would overwrite
            bpy.ops.object.mode_set(mode="OBJECT")
        findings.write_thickness_attribute(obj, result.vertex_thickness, settings.probe_mm, settings.min_wall_mm)
        if was_edit:
            bpy.ops.object.mode_set(mode="EDIT")


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
    wait: BoolProperty(name="Wait", default=False, options={"SKIP_SAVE"},
                       description="Scripts: finish before returning (always so in background mode)")

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
        data = read_object(obj)  # main thread: arrays out of Blender

        def work(ctl):  # worker thread: numpy only (thickness probes, intersections...)
            return analyze(data, height, settings, ctl)

        def finish(ctx, result):  # main thread: findings list and colours
            store(ctx, data, result, settings)
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
