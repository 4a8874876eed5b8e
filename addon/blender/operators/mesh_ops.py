# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators on the figure mesh: import, clay, scale, export."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ...core.mesh import exportformats
from .. import pipeline
from ..placement import show_new_figure
from .common import abspath, reports_errors

IMPORT_FILTER = "*.glb;*.gltf;*.obj;*.stl;*.ply;*.fbx;*.zip"


class FIGURINE_OT_import_mesh(bpy.types.Operator):
    """Import a generated mesh (GLB, GLTF, OBJ, STL, PLY, FBX, or a zip holding one with its textures) as one object"""

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
        context.view_layer.update()
        show_new_figure(obj, context)  # selected, beside what is visible, framed in the GUI
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
        units = (" Scene units are now millimetres (1 unit = 1 mm); Ctrl+Z undoes both."
                 if result.get("scene_units_set_to_mm") else "")
        self.report({"INFO"}, f"Figure is now {x:.1f} × {y:.1f} × {z:.1f} mm.{units}")
        return {"FINISHED"}


class FIGURINE_OT_export_mesh(bpy.types.Operator):
    """Export the active figure: STL, 3MF, PLY or OBJ in millimetres for printing; GLB (metres) or FBX (centimetres) with textures for the screen. The format comes from the file name unless given"""

    bl_idname = "figurine.export_mesh"
    bl_label = "Export"
    bl_options = {"REGISTER"}

    filepath: StringProperty(subtype="FILE_PATH", description="Output file; empty uses the scene's Export File")
    format: EnumProperty(name="Format", items=[("AUTO", "From File Name", "Use the file's extension")]
                         + [(f, f.upper(), "") for f in exportformats.EXPORT_FORMATS], default="AUTO")
    max_triangles: IntProperty(name="Max Triangles", default=0, min=0,
                               description="Decimate the written copy to at most this many triangles, "
                                           "UVs and textures kept (0 keeps every triangle)")
    overwrite: BoolProperty(name="Overwrite", default=False, description="Replace an existing file")

    @reports_errors
    def execute(self, context):
        settings = context.scene.figurine
        path = abspath(self.filepath or settings.export_path)
        if not path:
            self.report({"ERROR"}, "No export file given — set Export File in the Figurine panel")
            return {"CANCELLED"}
        written = pipeline.export_object(context.active_object, path,
                                         fmt=None if self.format == "AUTO" else self.format,
                                         max_triangles=self.max_triangles or None, overwrite=self.overwrite)
        settings.last_export = written["path"]
        triangles = (f"{written['triangles_before']:,} → {written['triangles_after']:,} triangles"
                     if written["decimated"] else f"{written['triangles_after']:,} triangles")
        self.report({"INFO"}, f"Wrote {written['path']} ({written['unit']}s, {triangles})")
        return {"FINISHED"}


classes = (FIGURINE_OT_import_mesh, FIGURINE_OT_clay, FIGURINE_OT_scale_to_height, FIGURINE_OT_export_mesh)
