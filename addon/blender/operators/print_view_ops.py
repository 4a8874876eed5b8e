# SPDX-License-Identifier: GPL-3.0-or-later
"""How the print check's results are shown: the wall-thickness colours in the viewport, on
and off. The colours themselves are painted by the check (findings.write_thickness_attribute);
this only switches the viewports' Solid shading to show them, and back."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty

from .. import findings
from .common import reports_errors


def viewport_shadings(context):
    """The shading settings of every 3D viewport of every window (none in background)."""
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                yield area.spaces.active.shading
                area.tag_redraw()


class FIGURINE_OT_thickness_overlay(bpy.types.Operator):
    """Show the wall thickness colours of the last print check in the viewport (red: too thin), or hide them"""

    bl_idname = "figurine.thickness_overlay"
    bl_label = "Thickness Colours"
    bl_options = {"REGISTER", "UNDO"}

    show: BoolProperty(name="Show", default=True)

    @reports_errors
    def execute(self, context):
        ps = context.scene.figurine_print
        obj = context.active_object
        if self.show:
            if obj is None or obj.type != "MESH" or findings.THICKNESS_ATTRIBUTE not in obj.data.color_attributes:
                self.report({"ERROR"}, "No thickness colours yet — press Check All first")
                return {"CANCELLED"}
            attrs = obj.data.color_attributes
            attrs.active_color = attrs[findings.THICKNESS_ATTRIBUTE]
            for shading in viewport_shadings(context):
                if not ps.thickness_overlay:
                    ps.overlay_previous_colour = shading.color_type
                shading.type = "SOLID"
                shading.color_type = "VERTEX"
        else:
            previous = ps.overlay_previous_colour or "MATERIAL"
            for shading in viewport_shadings(context):
                shading.color_type = previous
        ps.thickness_overlay = self.show
        return {"FINISHED"}


classes = (FIGURINE_OT_thickness_overlay,)
