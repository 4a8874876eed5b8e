# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenVDB voxel remesh through Blender's Remesh modifier, on arrays or objects."""

from __future__ import annotations

from typing import cast

import bpy

from ..core.mesh.trimesh import TriMesh
from . import meshio


def voxel_remesh(tm: TriMesh, voxel_size: float) -> TriMesh:
    """A closed manifold surface of the volume ``tm`` encloses, sampled at ``voxel_size``.

    Runs the mesh through a temporary object with a voxel Remesh modifier (OpenVDB level
    set → mesh), so the result has no holes, no self-intersections and consistent normals."""
    obj = meshio.trimesh_to_object(tm, "figurine_remesh_tmp")
    try:
        mod = obj.modifiers.new("FigurineRemesh", "REMESH")
        mod.mode = "VOXEL"
        mod.voxel_size = float(voxel_size)
        mod.adaptivity = 0.0
        mod.use_smooth_shade = True
        return meshio.object_to_trimesh(obj, world=False)
    finally:
        mesh = cast("bpy.types.Mesh", obj.data)
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(mesh)
        # The view layer keeps a stale entry of the removed object until it is updated;
        # whoever iterates it next (an exporter, a selection) would meet a None.
        bpy.context.view_layer.update()
