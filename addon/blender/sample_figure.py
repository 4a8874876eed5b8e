# SPDX-License-Identifier: GPL-3.0-or-later
"""A small procedural character on a round base, and its four views on studio gray.

The project makes its own sample data: the demo and the tests reconstruct this figure from
its renders and compare the result with the known ground-truth mesh.
"""

from __future__ import annotations

import os
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix

from ..core import atomic
from ..core.images import STUDIO_GRAY
from ..core.mesh.trimesh import TriMesh
from ..core.mesh.stl import write_stl
from . import meshio, remesh, render

# (name, shape, centre xyz, size xyz, colour) in figure units; the figure is ~2 units tall and
# faces -Y: nose and toes point forward so the views have a readable facing direction.
SKIN, SHIRT, TROUSERS, SHOES, HAIR, BASE = ((0.80, 0.55, 0.42), (0.15, 0.35, 0.70), (0.25, 0.22, 0.20),
                                            (0.10, 0.08, 0.07), (0.35, 0.18, 0.08), (0.30, 0.30, 0.32))
# Arms hang close to the body with a clear gap (0.04 units, about 0.65 mm at 32 mm): parts
# that touch at a single grazing line would make an unprintable crevice in any model.
PARTS = [  # sizes are full extents (width x, depth y, height z)
    ("base", "cylinder", (0.0, 0.0, 0.06), (1.10, 1.10, 0.12), BASE),
    ("leg_l", "cylinder", (0.13, 0.0, 0.52), (0.18, 0.18, 0.80), TROUSERS),
    ("leg_r", "cylinder", (-0.13, 0.0, 0.52), (0.18, 0.18, 0.80), TROUSERS),
    ("foot_l", "sphere", (0.13, -0.08, 0.17), (0.17, 0.30, 0.13), SHOES),
    ("foot_r", "sphere", (-0.13, -0.08, 0.17), (0.17, 0.30, 0.13), SHOES),
    ("hips", "sphere", (0.0, 0.0, 0.92), (0.50, 0.32, 0.28), TROUSERS),
    ("torso", "sphere", (0.0, 0.0, 1.17), (0.54, 0.34, 0.64), SHIRT),
    ("shoulders", "sphere", (0.0, 0.0, 1.40), (0.80, 0.30, 0.18), SHIRT),
    ("arm_l", "cylinder", (0.375, 0.0, 1.13), (0.13, 0.13, 0.50), SHIRT),
    ("arm_r", "cylinder", (-0.375, 0.0, 1.13), (0.13, 0.13, 0.50), SHIRT),
    ("hand_l", "sphere", (0.375, 0.0, 0.85), (0.14, 0.14, 0.16), SKIN),
    ("hand_r", "sphere", (-0.375, 0.0, 0.85), (0.14, 0.14, 0.16), SKIN),
    ("neck", "cylinder", (0.0, 0.0, 1.52), (0.14, 0.14, 0.16), SKIN),
    ("head", "sphere", (0.0, 0.0, 1.72), (0.38, 0.36, 0.42), SKIN),
    ("nose", "sphere", (0.0, -0.18, 1.70), (0.08, 0.10, 0.08), SKIN),
    ("hair", "sphere", (0.0, 0.03, 1.82), (0.40, 0.36, 0.28), HAIR),
]


def _part_mesh(shape: str, centre, size) -> "bpy.types.Mesh":
    bm = bmesh.new()
    if shape == "sphere":
        bmesh.ops.create_uvsphere(bm, u_segments=48, v_segments=24, radius=0.5)
    else:
        bmesh.ops.create_cone(bm, cap_ends=True, segments=48, radius1=0.5, radius2=0.5, depth=1.0)
    bmesh.ops.transform(bm, matrix=Matrix.Translation(centre) @ Matrix.Diagonal((*size, 1.0)),
                        verts=list(bm.verts))
    mesh = bpy.data.meshes.new("figurine_sample_part")
    bm.to_mesh(mesh)
    bm.free()
    return mesh


def build_sample_objects(collection=None) -> list:
    """One coloured object per body part (for rendering the views)."""
    collection = collection or bpy.context.scene.collection
    objects = []
    for name, shape, centre, size, colour in PARTS:
        mesh = _part_mesh(shape, centre, size)
        mat = bpy.data.materials.new(f"figurine_sample_{name}")
        mat.diffuse_color = (*colour, 1.0)
        mesh.materials.append(mat)
        obj = bpy.data.objects.new(f"sample_{name}", mesh)
        collection.objects.link(obj)
        objects.append(obj)
    return objects


def ground_truth(objects, voxel_size: float = 0.008) -> TriMesh:
    """The union of the parts as one closed surface (OpenVDB voxel remesh)."""
    parts = [meshio.object_to_trimesh(o) for o in objects]
    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    merged = TriMesh(np.concatenate([p.vertices for p in parts]),
                     np.concatenate([p.triangles + o for p, o in zip(parts, offsets)]))
    return remesh.voxel_remesh(merged, voxel_size)


def publish_view(rendered: Path, out_dir: Path, view: str) -> dict[str, Path]:
    """A transparent render as ``<view>.png`` on flat #BEBEBE and ``<view>_rgba.png`` (the
    render itself, moved): what a view set and its true matte look like."""
    from PIL import Image

    with Image.open(rendered) as im:
        rgba = im.convert("RGBA")
    on_gray = Image.new("RGBA", rgba.size, (*STUDIO_GRAY, 255))
    on_gray.alpha_composite(rgba)
    target = out_dir / f"{view}.png"
    with atomic.atomic_path(target) as tmp:
        on_gray.convert("RGB").save(tmp, format="PNG")
    rgba_target = out_dir / f"{view}_rgba.png"
    os.replace(rendered, rgba_target)
    return {view: target, f"{view}_rgba": rgba_target}


def write_sample(out_dir: str | os.PathLike, size: int = 512) -> dict[str, Path]:
    """Write ``front/back/left/right.png`` on flat #BEBEBE, ``*_rgba.png`` with true alpha,
    and ``ground_truth.stl`` (figure units, feet on z = 0)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    objects = build_sample_objects()
    try:
        rgba_paths = render.render_views(objects, out_dir, size=size, prefix="render_")
        written: dict[str, Path] = {}
        for view, path in rgba_paths.items():
            written.update(publish_view(path, out_dir, view))
        written["ground_truth"] = write_stl(out_dir / "ground_truth.stl", ground_truth(objects))
        return written
    finally:
        remove_objects(objects)


def remove_objects(objects) -> None:
    """Remove the figure's objects with their meshes and the materials nothing else uses."""
    for obj in objects:
        mesh, mats = obj.data, list(obj.data.materials)
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(mesh)
        for mat in mats:
            if mat is not None and mat.users == 0:
                bpy.data.materials.remove(mat)
