# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a new figure appears in the scene: beside what is already visible, never hidden
inside it (a generated figure is about 1 m tall, like Blender's default 2 m cube at the
origin), and, in the GUI, with the viewport framed on it.

Only the object's location moves (its mesh keeps the coordinates the pipeline gave it), so
Scale to Height, which bakes the transform and stands the figure on the origin, is unchanged.
"""

from __future__ import annotations

import bpy
import numpy as np

from . import display

GAP_FRACTION = 0.25  # space left between the figure and the other objects, as a part of its width


def world_bounds(obj) -> tuple[np.ndarray, np.ndarray] | None:
    """The object's world-space bounding box (min, max corners), from its 8 local box corners."""
    corners = np.array([tuple(c) for c in obj.bound_box], dtype=np.float64)
    if not len(corners) or not np.isfinite(corners).all():
        return None
    m = np.array(obj.matrix_world, dtype=np.float64)
    world = corners @ m[:3, :3].T + m[:3, 3]
    return world.min(axis=0), world.max(axis=0)


def _others_bounds(obj, view_layer) -> tuple[np.ndarray, np.ndarray] | None:
    boxes = []
    for other in view_layer.objects:
        if other is obj or other.type not in {"MESH", "CURVE", "SURFACE", "META", "FONT", "VOLUME", "GPENCIL",
                                              "GREASEPENCIL", "POINTCLOUD", "CURVES"}:
            continue
        if not other.visible_get(view_layer=view_layer):
            continue
        box = world_bounds(other)
        if box is not None:
            boxes.append(box)
    if not boxes:
        return None
    return np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)


def place_beside_visible(obj, view_layer=None) -> tuple[float, float, float] | None:
    """Move ``obj`` along +X until its bounds clear every other visible object's bounds (with
    a gap), feet on the same level as before. Returns the offset applied, None when nothing
    overlapped and the object stayed where it was."""
    view_layer = view_layer or bpy.context.view_layer
    view_layer.update()  # a just-linked object's matrix and bounds are current only after an update
    own = world_bounds(obj)
    others = _others_bounds(obj, view_layer)
    if own is None or others is None:
        return None
    (lo, hi), (olo, ohi) = own, others
    if np.any(hi < olo) or np.any(lo > ohi):  # the boxes do not overlap: it is visible already
        return None
    width = float(hi[0] - lo[0])
    gap = GAP_FRACTION * max(width, float(ohi[0] - olo[0]) * 0.1, 1e-6)
    dx = float(ohi[0] + gap - lo[0])
    obj.location.x += dx
    view_layer.update()
    return (dx, 0.0, 0.0)


def frame_in_viewports(obj, context=None) -> int:
    """GUI only: select ``obj`` alone, make it active and frame every 3D viewport on it
    (``view3d.view_selected``). Returns how many viewports were framed (0 in background)."""
    if bpy.app.background:
        return 0
    context = context or bpy.context
    wm = context.window_manager
    framed = 0
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type != "VIEW_3D":
                continue
            region = next((r for r in area.regions if r.type == "WINDOW"), None)
            if region is None:
                continue
            with context.temp_override(window=window, area=area, region=region):
                try:
                    bpy.ops.view3d.view_selected()
                except RuntimeError:  # the viewport refused (e.g. a locked camera view): leave it
                    continue
                framed += 1
    return framed


def show_new_figure(obj, context=None) -> tuple[float, float, float] | None:
    """The one call for every operator that brings a figure into the scene: select it, move it
    beside what is visible if it would be hidden there, frame it in the GUI's viewports."""
    context = context or bpy.context
    view_layer = context.view_layer
    if obj.name not in view_layer.objects:
        return None
    for o in view_layer.objects:
        o.select_set(False)
    obj.select_set(True)
    view_layer.objects.active = obj
    offset = place_beside_visible(obj, view_layer)
    frame_in_viewports(obj, context)
    display.lighten(obj)  # GUI: a dense figure shows a lighter copy (the print path never sees it)
    return offset
