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
