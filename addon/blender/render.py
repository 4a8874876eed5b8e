# SPDX-License-Identifier: GPL-3.0-or-later
"""Orthographic Workbench renders of objects from the workflow's view directions.

Renders happen in a temporary scene so the user's scene settings (engine, camera, colour
management) are never touched. Works headless (the bpy module and ``blender -b``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import bpy
import numpy as np
from mathutils import Euler, Vector

from ..core import atomic

# Camera rotation (Euler XYZ, radians) per view; see docs/architecture.md for the convention.
VIEW_ROTATIONS = {
    "front": (math.pi / 2, 0.0, 0.0),  # at -Y looking +Y: image right = +X
    "back": (math.pi / 2, 0.0, math.pi),  # at +Y: image right = -X
    "left": (math.pi / 2, 0.0, -math.pi / 2),  # at -X: image right = -Y (faces viewer's right)
    "right": (math.pi / 2, 0.0, math.pi / 2),  # at +X: image right = +Y (faces viewer's left)
    "three_quarter": (math.radians(75), 0.0, math.radians(-35)),
}


def world_bounds(objects) -> tuple[Vector, Vector]:
    """The objects' world-space box as render framing sees it: their bounding boxes' corners
    through their world matrices (a render in a child Blender gets these as given bounds)."""
    pts = []
    for obj in objects:
        m = np.array(obj.matrix_world)
        corners = np.array([list(c) for c in obj.bound_box])
        pts.append(corners @ m[:3, :3].T + m[:3, 3])
    allpts = np.concatenate(pts)
    return Vector(allpts.min(axis=0)), Vector(allpts.max(axis=0))


def render_views(objects, out_dir: str | os.PathLike, *, views=("front", "back", "left", "right"),
                 size: int = 512, margin: float = 0.06, color: str = "MATERIAL",
                 single_color=(0.42, 0.42, 0.42), bounds=None, prefix: str = "") -> dict[str, Path]:
    """Render each view to ``out_dir/<prefix><view>.png`` as RGBA with a transparent
    background, framed like prepared input views: the objects' height spans the canvas
    minus ``margin`` top and bottom, feet on the baseline, bounding box centred.

    ``color`` is the Workbench colour type: 'MATERIAL', 'SINGLE' (clay), 'OBJECT',
    'VERTEX' (colour attributes, e.g. heat maps)."""
    objects = [o for o in objects if o is not None]
    lo, hi = (Vector(bounds[0]), Vector(bounds[1])) if bounds is not None else world_bounds(objects)
    out_dir = Path(out_dir)
    scene = bpy.data.scenes.new("Figurine Render")
    written = {}
    cam_data = bpy.data.cameras.new("Figurine Render Camera")
    cam = bpy.data.objects.new("Figurine Render Camera", cam_data)
    try:
        for obj in objects:
            scene.collection.objects.link(obj)
        scene.collection.objects.link(cam)
        scene.camera = cam
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.render.resolution_x = scene.render.resolution_y = int(size)
        scene.render.resolution_percentage = 100
        scene.render.film_transparent = True
        scene.render.image_settings.file_format = "PNG"
        scene.render.image_settings.color_mode = "RGBA"
        scene.view_settings.view_transform = "Standard"
        scene.view_settings.look = "None"
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = color
        shading.single_color = single_color
        shading.show_cavity = False
        shading.show_specular_highlight = False
        scene.display.render_aa = "8"
        cam_data.type = "ORTHO"
        height = hi.z - lo.z
        centre = (lo + hi) / 2
        span = max(hi.x - lo.x, hi.y - lo.y)
        # Same framing as core.images.prepare: height fills (1 - 2 margin) of the canvas.
        cam_data.ortho_scale = max(height / (1 - 2 * margin), span / (1 - margin))
        scale = cam_data.ortho_scale
        distance = 10.0 * max(height, span, 1e-6)
        cam_data.clip_start = distance * 0.01
        cam_data.clip_end = distance * 3
        # Feet on the baseline: the canvas bottom lies margin * scale below the lowest point.
        cam_z = lo.z - margin * scale + scale / 2
        for view in views:
            rot = Euler(VIEW_ROTATIONS[view], "XYZ")
            back = rot.to_matrix() @ Vector((0.0, 0.0, 1.0))  # camera looks along -Z local
            target = Vector((centre.x, centre.y, cam_z if view != "three_quarter" else centre.z))
            cam.location = target + back * distance
            cam.rotation_euler = rot
            if view == "three_quarter":
                cam_data.ortho_scale = scale * 1.1
            path = out_dir / f"{prefix}{view}.png"
            with atomic.atomic_path(path) as tmp:
                scene.render.filepath = str(tmp)
                with bpy.context.temp_override(scene=scene):
                    bpy.ops.render.render(write_still=True, scene=scene.name)
            cam_data.ortho_scale = scale
            written[view] = path
    finally:
        bpy.data.scenes.remove(scene)
        bpy.data.objects.remove(cam)
        bpy.data.cameras.remove(cam_data)
    return written


def paint(obj, point_rgba: np.ndarray | None = None, face_rgba: np.ndarray | None = None) -> None:
    """Give a triangle mesh object one colour attribute, per vertex or per face, for a
    Workbench 'VERTEX' render (heat maps).

    Blender's colour attributes live on points or face corners only, so per-face colours are
    repeated onto each face's corners."""
    mesh = obj.data
    if point_rgba is not None:
        attr = mesh.color_attributes.new("figurine_heat", "FLOAT_COLOR", "POINT")
        attr.data.foreach_set("color", np.ascontiguousarray(point_rgba, np.float32).ravel())
    elif face_rgba is not None:
        totals = np.empty(len(mesh.polygons), np.int32)
        mesh.polygons.foreach_get("loop_total", totals)
        attr = mesh.color_attributes.new("figurine_heat", "FLOAT_COLOR", "CORNER")
        attr.data.foreach_set("color", np.repeat(np.asarray(face_rgba, np.float32), totals, axis=0).ravel())
    else:
        raise ValueError("a heat map needs point or face colours")
    mesh.color_attributes.active_color = attr
    mesh.color_attributes.render_color_index = mesh.color_attributes.active_color_index
