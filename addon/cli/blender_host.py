# SPDX-License-Identifier: GPL-3.0-or-later
"""Commands that need Blender start from an empty scene, whichever host runs them; and every
command that checks, repairs or exports a mesh loads it here, through the one core import
(``core.mesh.load``: weld, pose, units), so they all judge and write the same mesh."""

from __future__ import annotations

import contextlib

from .output import quiet_stdout

ORIENT_HELP = ("pose: auto (default: keep the file's pose unless the model clearly lies down), keep, "
               "or the axis that is up (+X -X +Y -Y +Z -Z)")


@contextlib.contextmanager
def empty_scene():
    """Import bpy, load factory settings with no objects, keep Blender's chatter off stdout."""
    with quiet_stdout():
        import bpy

        bpy.ops.wm.read_factory_settings(use_empty=True)
        yield bpy


def _read_with_blender(model, fmt):
    with empty_scene():
        from ..blender import pipeline

        return pipeline.read_with_blender(model, fmt)


def load_mesh(path, out, *, height_mm=None, orient: str = "auto"):
    """The welded, posed mesh in mm (``core.mesh.load.LoadedMesh``) for a check or a measure:
    STL without Blender, other formats through Blender's importers. Warnings go to ``out``."""
    from ..core.mesh.load import load_mesh as core_load

    out.progress("import", f"reading {path}")
    loaded = core_load(path, height_mm=height_mm, orient=orient, read_with_blender=_read_with_blender)
    _say(loaded, out)
    return loaded


def import_object(path, out, *, height_mm=None, orient: str = "auto"):
    """Inside ``empty_scene()``: the file as one Blender object (UV seams and textures kept)
    in the same pose and millimetres as ``load_mesh`` gives, and its ``LoadedMesh``."""
    from ..blender import pipeline

    out.progress("import", f"reading {path}")
    obj, loaded = pipeline.import_for_print(path, height_mm=height_mm, orient=orient, to_mm=True)
    _say(loaded, out)
    return obj, loaded


def _say(loaded, out) -> None:
    welded = len(loaded.mesh.vertices)
    if welded < loaded.vertices_read:
        out.progress("weld", f"{loaded.vertices_read:,} vertices in the file, {welded:,} distinct positions")
    for warning in loaded.warnings:
        out.warn(warning)
