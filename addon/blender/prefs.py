# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: stored in Blender's user preferences, never in a .blend file."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty


def addon_package() -> str:
    # The extension's package name differs by install (bl_ext.<repo>.figurine_forge).
    return __package__.rsplit(".", 1)[0]


class FIGURINE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = addon_package()

    output_dir: StringProperty(name="Output Folder", subtype="DIR_PATH",
                               description="Default parent folder for new job folders")

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "output_dir")


def get_preferences(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(addon_package())
    return addon.preferences if addon else None


classes = (FIGURINE_AP_preferences,)
