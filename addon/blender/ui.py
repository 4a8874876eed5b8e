# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Figurine" tab in the 3D viewport's sidebar."""

from __future__ import annotations

import bpy


class FIGURINE_PT_main(bpy.types.Panel):
    bl_label = "Figurine Forge"
    bl_idname = "FIGURINE_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Figurine"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        col = layout.column(align=True)
        for slot in ("front", "back", "left", "right"):
            col.prop(s, f"{slot}_image")
        layout.prop(s, "job_dir")
        row = layout.row(align=True)
        row.prop(s, "height_mm")
        row.prop(s, "preset", text="")
        if not s.front_image:
            layout.label(text="Set a front view image to begin", icon="INFO")
        elif not s.job_dir:
            layout.label(text="Choose a job folder for the results", icon="INFO")
        else:
            layout.operator("figurine.run_job", icon="PLAY")
        obj = context.active_object
        box = layout.box()
        if obj is None or obj.type != "MESH":
            box.label(text="Select or import a figure mesh", icon="INFO")
            box.operator("figurine.import_mesh", icon="IMPORT")
        else:
            box.label(text=obj.name, icon="OBJECT_DATA")
            row = box.row(align=True)
            row.operator("figurine.clay", text="Clay").enable = True
            row.operator("figurine.clay", text="Colours").enable = False
            box.operator("figurine.scale_to_height")
            box.prop(s, "export_path")
            box.operator("figurine.export_mesh", icon="EXPORT")
        if s.last_export:
            layout.label(text=f"Last file: {bpy.path.basename(s.last_export)}", icon="FILE")


classes = (FIGURINE_PT_main,)
