# SPDX-License-Identifier: GPL-3.0-or-later
"""Figurine Forge: from character images to a printable miniature, inside Blender.

This file stays free of bpy imports at module level so that ``figurine_forge.core`` (which
knows nothing of Blender) can be imported by plain Python tools and tests.
"""


def register():
    from .blender import registration

    registration.register()


def unregister():
    from .blender import registration

    registration.unregister()
