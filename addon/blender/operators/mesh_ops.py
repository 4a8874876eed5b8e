# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators on the figure mesh: import, clay, scale, export."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, FloatProperty, StringProperty

from .. import pipeline
from .common import abspath, reports_errors

IMPORT_FILTER = "*.glb;*.gltf;*.obj;*.stl;*.ply;*.fbx"


class FIGURINE_OT_import_mesh(bpy.types.Operator):
    """Import a generated mesh (GLB, GLTF, OBJ, STL, PLY or FBX) as one object"""

    bl_idname = "figurine.import_mesh"
    bl_label = "Import Mesh"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(subtype="FILE_PATH")
    filter_glob: StringProperty(default=IMPORT_FILTER, options={"HIDDEN"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    @reports_errors
    def execute(self, context):
        # The CLI's import: the same pose decision (units stay the scene's business here).
        obj, loaded = pipeline.import_for_print(abspath(self.filepath), to_mm=False)
        for o in context.view_layer.objects:
            o.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        for warning in loaded.warnings:
            if "--height" not in warning:  # sizes are judged in the panel after Scale to Height
                self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Imported '{obj.name}' ({len(obj.data.polygons)} faces)")
        return {"FINISHED"}


class FIGURINE_OT_clay(bpy.types.Operator):
    """Show the active figure as neutral gray clay (or restore its materials)"""

    bl_idname = "figurine.clay"
    bl_label = "Clay"
    bl_options = {"REGISTER", "UNDO"}

    enable: BoolProperty(name="Clay", default=True)

    @reports_errors
    def execute(self, context):
        pipeline.set_clay(context.active_object, self.enable)
        return {"FINISHED"}


class FIGURINE_OT_scale_to_height(bpy.types.Operator):
    """Scale the active figure to a printed height in millimetres, standing on z = 0"""

    bl_idname = "figurine.scale_to_height"
    bl_label = "Scale to Height"
    bl_options = {"REGISTER", "UNDO"}

    height_mm: FloatProperty(name="Height (mm)", default=0.0, min=0.0, max=2000.0,
                             description="Target height; 0 uses the scene's Figurine height")

    @reports_errors
    def execute(self, context):
        height = self.height_mm or context.scene.figurine.height_mm
        result = pipeline.scale_to_height(context.active_object, height, context.scene)
        x, y, z = result["size_mm"]
        self.report({"INFO"}, f"Figure is now {x:.1f} × {y:.1f} × {z:.1f} mm")
        return {"FINISHED"}


class FIGURINE_OT_export_mesh(bpy.types.Operator):
    """Export the active figure in millimetres (.stl, .obj, .ply, .3mf or .glb from the file name)"""

    bl_idname = "figurine.export_mesh"
    bl_label = "Export"
    bl_options = {"REGISTER"}

    filepath: StringProperty(subtype="FILE_PATH", description="Output file; empty uses the scene's Export File")
    overwrite: BoolProperty(name="Overwrite", default=False, description="Replace an existing file")

    @reports_errors
    def execute(self, context):
        settings = context.scene.figurine
        path = abspath(self.filepath or settings.export_path)
        if not path:
            self.report({"ERROR"}, "No export file given — set Export File in the Figurine panel")
            return {"CANCELLED"}
        written = pipeline.export_object(context.active_object, path, overwrite=self.overwrite)
        settings.last_export = written["path"]
        self.report({"INFO"}, f"Wrote {written['path']}")
        return {"FINISHED"}


classes = (FIGURINE_OT_import_mesh, FIGURINE_OT_clay, FIGURINE_OT_scale_to_height, FIGURINE_OT_export_mesh)
