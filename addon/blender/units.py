# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene units for printing: 1 Blender unit = 1 mm, displayed as millimetres."""

from __future__ import annotations


def use_millimetres(scene) -> bool:
    """Set the scene to millimetres; return True when something changed."""
    us = scene.unit_settings
    # scale_length is stored as a 32-bit float: 0.001 reads back 5e-11 off.
    changed = (us.system != "METRIC" or abs(us.scale_length - 0.001) > 1e-9 or us.length_unit != "MILLIMETERS")
    if changed:
        us.system = "METRIC"
        us.scale_length = 0.001
        us.length_unit = "MILLIMETERS"
    return changed


def mm_per_unit(scene) -> float:
    """Millimetres per Blender unit in this scene: the unit scale says how many metres a unit
    is (Blender's default scene: 1 unit = 1 m; the print workflow's: 1 unit = 1 mm). A scene
    without a unit system counts units as millimetres, as the print workflow does."""
    us = scene.unit_settings
    if us.system == "NONE" or not us.scale_length > 0:
        return 1.0
    return float(us.scale_length) * 1000.0


def describe_units(scene) -> str:
    """The scene's unit in words, for messages: "1 unit = 1 m"."""
    mm = mm_per_unit(scene)
    for name, size in (("m", 1000.0), ("cm", 10.0), ("mm", 1.0)):
        if abs(mm - size) < 1e-9 * size:
            return f"1 unit = 1 {name}"
    return f"1 unit = {mm:g} mm"
