# SPDX-License-Identifier: GPL-3.0-or-later
"""Commands that need Blender start from an empty scene, whichever host runs them."""

from __future__ import annotations

import contextlib

from .output import quiet_stdout


@contextlib.contextmanager
def empty_scene():
    """Import bpy, load factory settings with no objects, keep Blender's chatter off stdout."""
    with quiet_stdout():
        import bpy

        bpy.ops.wm.read_factory_settings(use_empty=True)
        yield bpy
