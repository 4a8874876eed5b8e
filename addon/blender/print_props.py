# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene settings of print preparation: ``scene.figurine_print`` (FigurinePrintSettings).

Registered through ``operators.print_ops.classes`` (this group comes first there); the
group's own ``register`` class method attaches the pointer to ``bpy.types.Scene`` once the
class is registered, so the registration module needs no extra call.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

REPAIR_MODE_ITEMS = [
    ("AUTO", "Auto", "Local fixes when they make the mesh clean, otherwise a voxel remesh"),
    ("LOCAL", "Local", "Only weld, fill holes and fix normals: keeps every original triangle"),
    ("VOXEL", "Voxel Remesh", "OpenVDB remesh: fixes self-intersections and non-manifold geometry"),
]
UP_AXIS_ITEMS = [("AUTO", "Auto", "Longest axis up, feet at the wider end")] + [
    (a, a, f"The figure's {a} axis points up") for a in ("+X", "-X", "+Y", "-Y", "+Z", "-Z")]
BASE_TYPE_ITEMS = [
    ("round", "Round", "Round base; size is the diameter"),
    ("oval", "Oval", "Oval base; size along X, depth along Y"),
    ("square", "Square", "Square base; size is the side"),
    ("hex", "Hex", "Hexagonal base; size is across the flats"),
]
FUSE_METHOD_ITEMS = [
    ("AUTO", "Auto", "Boolean union, or a voxel union when the boolean is not clean"),
    ("BOOLEAN", "Boolean", "Manifold/exact boolean union: keeps every triangle of figure and base"),
    ("VOXEL", "Voxel", "OpenVDB union of figure and base"),
]


class FigurinePrintSettings(bpy.types.PropertyGroup):
    repair_mode: EnumProperty(name="Repair", items=REPAIR_MODE_ITEMS, default="AUTO")
    voxel_size_mm: FloatProperty(name="Voxel Size", default=0.0, min=0.0, max=5.0, precision=3, unit="NONE",
                                 description="Voxel remesh size in mm; 0 chooses it from the print height "
                                             "(0.04 mm at 32 mm)")
    up_axis: EnumProperty(name="Up Axis", items=UP_AXIS_ITEMS, default="AUTO")
    turn_quarters: IntProperty(name="Turn", default=0, min=0, max=3,
                               description="Extra quarter turns about Z after standing the figure up")
    base_type: EnumProperty(name="Base", items=BASE_TYPE_ITEMS, default="round")
    base_size_mm: FloatProperty(name="Size", default=32.0, min=5.0, max=500.0, precision=1,
                                description="Diameter (round), side (square), across flats (hex) or width (oval) in mm")
    base_depth_mm: FloatProperty(name="Depth", default=35.0, min=5.0, max=500.0, precision=1,
                                 description="Oval bases: size along Y in mm")
    base_thickness_mm: FloatProperty(name="Thickness", default=3.0, min=0.5, max=50.0, precision=2)
    base_bevel_mm: FloatProperty(name="Bevel", default=0.6, min=0.0, max=10.0, precision=2,
                                 description="45° chamfer around the top edge, in mm")
    base_texture_mm: FloatProperty(name="Texture", default=0.0, min=0.0, max=5.0, precision=2,
                                   description="Height of a random ground relief on the top, in mm (0 = flat)")
    sink_mm: FloatProperty(name="Sink", default=0.4, min=0.05, max=10.0, precision=2,
                           description="How deep the feet go into the base, in mm")
    fuse_method: EnumProperty(name="Fuse", items=FUSE_METHOD_ITEMS, default="AUTO")
    hollow_wall_mm: FloatProperty(name="Wall", default=1.5, min=0.3, max=20.0, precision=2,
                                  description="Minimum wall thickness of the hollowed figure, in mm")
    drain_diameter_mm: FloatProperty(name="Drain Holes", default=2.0, min=0.0, max=10.0, precision=2,
                                     description="Diameter of the drain holes in mm (0 = none)")
    decimate_target: IntProperty(name="Triangles", default=50_000, min=100, max=50_000_000,
                                 description="Target triangle count for digital use")
    min_wall_mm: FloatProperty(name="Min Wall (mm)", default=0.0, min=0.0, max=100.0, precision=2,
                               description="Thinnest wall that passes Check All, in mm (0: the printer's own)")
    thickness_overlay: BoolProperty(name="Thickness Colours", default=False,
                                    description="The viewport shows the wall thickness map of the last check "
                                                "(red: too thin, green: thick enough)")
    overlay_previous_colour: StringProperty(default="", options={"HIDDEN"},
                                            description="The viewport colour mode before the overlay was shown")
    last_report: StringProperty(name="Last Result", default="",
                                description="What the last print-preparation step changed (JSON)")

    @classmethod
    def register(cls):
        bpy.types.Scene.figurine_print = PointerProperty(type=cls)

    @classmethod
    def unregister(cls):
        del bpy.types.Scene.figurine_print


classes = (FigurinePrintSettings,)


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
