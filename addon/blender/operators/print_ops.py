# SPDX-License-Identifier: GPL-3.0-or-later
"""Print preparation operators: orient, make printable, add base, hollow, decimate.

Each is a thin call into ``blender.repair``. Settings come from ``scene.figurine_print``; an
operator property that was set explicitly (a script argument, the redo panel) wins over the
scene setting of the same name.
"""

from __future__ import annotations

import json

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty

from .. import repair
from ..print_props import BASE_TYPE_ITEMS, FUSE_METHOD_ITEMS, REPAIR_MODE_ITEMS, UP_AXIS_ITEMS, FigurinePrintSettings
from ...core.repair.bases import BaseSpec
from ...core.repair.faithful import RepairLossError
from .common import reports_errors


def _setting(op, context, name: str):
    if op.properties.is_property_set(name):
        return getattr(op, name)
    return getattr(context.scene.figurine_print, name)


def _finish(op, context, result: dict, text: str) -> set:
    context.scene.figurine_print.last_report = json.dumps(result, allow_nan=False, default=str)
    if result.get("warning"):
        op.report({"WARNING"}, result["warning"])
    else:
        op.report({"INFO"}, text)
    return {"FINISHED"}


class _PrintOperator:
    @classmethod
    def poll(cls, context):
        # Always runnable: with no mesh selected the operator says so instead of greying out.
        return True


class FIGURINE_OT_orient(_PrintOperator, bpy.types.Operator):
    """Stand the active figure up: longest axis vertical, feet down, facing -Y, lowest point on z = 0"""

    bl_idname = "figurine.orient"
    bl_options = {"REGISTER", "UNDO"}
    bl_label = "Orient Upright"

    up_axis: EnumProperty(name="Up Axis", items=UP_AXIS_ITEMS, default="AUTO")
    turn_quarters: IntProperty(name="Turn", default=0, min=0, max=3)

    @reports_errors
    def execute(self, context):
        r = repair.orient(context.active_object, _setting(self, context, "up_axis"),
                          _setting(self, context, "turn_quarters"))
        x, y, z = r["size_mm"]
        return _finish(self, context, r, f"Upright ({r['rule']}): {x:.1f} × {y:.1f} × {z:.1f}")


class FIGURINE_OT_make_printable(_PrintOperator, bpy.types.Operator):
    """Make the active figure one watertight part: drop floating bits, fill holes, fix normals, non-manifold
    geometry and self-intersections"""

    bl_idname = "figurine.make_printable"
    bl_options = {"REGISTER", "UNDO"}
    bl_label = "Make Printable"

    repair_mode: EnumProperty(name="Repair", items=REPAIR_MODE_ITEMS, default="AUTO")
    voxel_size_mm: FloatProperty(name="Voxel Size (mm)", default=0.0, min=0.0, max=5.0, precision=3)

    @reports_errors
    def execute(self, context):
        try:
            r = repair.make_printable(context.active_object, mode=_setting(self, context, "repair_mode"),
                                      voxel_size_mm=_setting(self, context, "voxel_size_mm"))
        except RepairLossError as exc:  # the figure is left as it was; the report says what would be lost
            context.scene.figurine_print.last_report = json.dumps(
                {"step": "make_printable", "ok": False, "error": exc.one_line(), **exc.report}, default=str)
            raise
        dev = r.get("deviation", {})
        return _finish(self, context, r, f"Printable ({r['method']}): {r['after']['triangles']:,} triangles, "
                                         f"deviation mean {dev.get('mean_mm', 0):.3f} mm, max {dev.get('max_mm', 0):.3f} mm")


class FIGURINE_OT_add_base(_PrintOperator, bpy.types.Operator):
    """Put the active figure on a base and fuse both into one watertight part"""

    bl_idname = "figurine.add_base"
    bl_options = {"REGISTER", "UNDO"}
    bl_label = "Add Base"

    base_type: EnumProperty(name="Base", items=BASE_TYPE_ITEMS, default="round")
    base_size_mm: FloatProperty(name="Size", default=32.0, min=5.0, max=500.0)
    base_depth_mm: FloatProperty(name="Depth", default=35.0, min=5.0, max=500.0)
    base_thickness_mm: FloatProperty(name="Thickness", default=3.0, min=0.5, max=50.0)
    base_bevel_mm: FloatProperty(name="Bevel", default=0.6, min=0.0, max=10.0)
    base_texture_mm: FloatProperty(name="Texture", default=0.0, min=0.0, max=5.0)
    sink_mm: FloatProperty(name="Sink", default=0.4, min=0.05, max=10.0)
    fuse_method: EnumProperty(name="Fuse", items=FUSE_METHOD_ITEMS, default="AUTO")

    @reports_errors
    def execute(self, context):
        get = lambda name: _setting(self, context, name)  # noqa: E731
        spec = BaseSpec(get("base_type"), get("base_size_mm"), get("base_depth_mm"), get("base_thickness_mm"),
                        get("base_bevel_mm"), get("base_texture_mm"))
        r = repair.add_base(context.active_object, spec, sink_mm=get("sink_mm"), method=get("fuse_method"))
        turned = f"; {r['turned']}" if "turned" in r else ""
        return _finish(self, context, r, f"Base added ({r['method']}); {r['message']}{turned}")


class FIGURINE_OT_hollow(_PrintOperator, bpy.types.Operator):
    """Hollow the active figure for resin printing, with drain holes through the bottom"""

    bl_idname = "figurine.hollow"
    bl_options = {"REGISTER", "UNDO"}
    bl_label = "Hollow"

    hollow_wall_mm: FloatProperty(name="Wall (mm)", default=1.5, min=0.3, max=20.0)
    drain_diameter_mm: FloatProperty(name="Drain Holes (mm)", default=2.0, min=0.0, max=10.0)

    @reports_errors
    def execute(self, context):
        r = repair.hollow(context.active_object, _setting(self, context, "hollow_wall_mm"),
                          _setting(self, context, "drain_diameter_mm"))
        if not r["changed"]:
            self.report({"WARNING"}, r["message"])
            context.scene.figurine_print.last_report = json.dumps(r)
            return {"CANCELLED"}
        return _finish(self, context, r, f"Hollowed: saves {r['saved_mm3']:.0f} mm³ ({r['saved_percent']:.0f}%), "
                                         f"{len(r['drains'])} drain hole(s)")


class FIGURINE_OT_decimate(_PrintOperator, bpy.types.Operator):
    """Reduce the active figure to a target triangle count for games and the web"""

    bl_idname = "figurine.decimate"
    bl_options = {"REGISTER", "UNDO"}
    bl_label = "Decimate"

    decimate_target: IntProperty(name="Triangles", default=50_000, min=100, max=50_000_000)

    @reports_errors
    def execute(self, context):
        r = repair.decimate(context.active_object, int(_setting(self, context, "decimate_target")))
        if not r["changed"]:
            self.report({"INFO"}, r["message"])
            context.scene.figurine_print.last_report = json.dumps(r)
            return {"FINISHED"}
        return _finish(self, context, r, f"Decimated to {r['triangles_after']:,} triangles "
                                         f"(max deviation {r['deviation']['max_mm']:.3f} mm)")


classes = (FigurinePrintSettings, FIGURINE_OT_orient, FIGURINE_OT_make_printable, FIGURINE_OT_add_base,
           FIGURINE_OT_hollow, FIGURINE_OT_decimate)
