# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-scene settings of the workflow (saved with the .blend; never any secret)."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

PRESET_ITEMS = [
    ("resin", "Resin", "Resin printer: minimum wall 0.6 mm"),
    ("fdm", "FDM 0.4 mm", "Filament printer with a 0.4 mm nozzle: minimum wall 1.0 mm"),
]


class FIGURINE_PG_settings(bpy.types.PropertyGroup):
    front_image: StringProperty(name="Front", subtype="FILE_PATH", description="Front view image (required)")
    back_image: StringProperty(name="Back", subtype="FILE_PATH", description="Back view image")
    left_image: StringProperty(name="Left", subtype="FILE_PATH",
                               description="Left view: the character faces the viewer's right")
    right_image: StringProperty(name="Right", subtype="FILE_PATH",
                                description="Right view: the character faces the viewer's left")
    job_dir: StringProperty(name="Job Folder", subtype="DIR_PATH",
                            description="Folder where every step of this figurine is kept")
    height_mm: FloatProperty(name="Height", default=32.0, min=1.0, max=2000.0, precision=1,
                             description="Printed figure height in millimetres")
    resolution: IntProperty(name="Resolution", default=160, min=32, max=512,
                            description="Local reconstruction grid size along the figure's height")
    preset: EnumProperty(name="Printer", items=PRESET_ITEMS, default="resin",
                         description="Print-check thresholds")
    export_path: StringProperty(name="Export File", subtype="FILE_PATH",
                                description="Where Export writes (.stl, .obj or .ply)")
    last_export: StringProperty(name="Last Export", description="The last file written")
    last_report: StringProperty(name="Last Report", description="The last report.json written")


classes = (FIGURINE_PG_settings,)


def register_properties() -> None:
    bpy.types.Scene.figurine = PointerProperty(type=FIGURINE_PG_settings)


def unregister_properties() -> None:
    del bpy.types.Scene.figurine
