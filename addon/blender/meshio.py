# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender mesh data ⇄ core ``TriMesh`` arrays, through foreach_get/foreach_set only."""

from __future__ import annotations

from typing import cast

import bpy
import numpy as np

from ..core.errors import BadInputError
from ..core.mesh.trimesh import TriMesh


def mesh_triangles(mesh: "bpy.types.Mesh", matrix=None) -> tuple[TriMesh, np.ndarray]:
    """The mesh's triangles (its own vertex indices, so results map back 1:1) and the
    polygon each triangle comes from; coordinates transformed by ``matrix`` when given."""
    mesh.calc_loop_triangles()
    n_verts, n_tris = len(mesh.vertices), len(mesh.loop_triangles)
    co = np.empty(n_verts * 3, np.float32)
    mesh.vertices.foreach_get("co", co)
    tris = np.empty(n_tris * 3, np.int32)
    mesh.loop_triangles.foreach_get("vertices", tris)
    poly = np.empty(n_tris, np.int32)
    mesh.loop_triangles.foreach_get("polygon_index", poly)
    verts = co.reshape(-1, 3).astype(np.float64)
    tris = tris.reshape(-1, 3)
    if matrix is not None:
        m = np.array(matrix, dtype=np.float64)
        verts = verts @ m[:3, :3].T + m[:3, 3]
        if np.linalg.det(m[:3, :3]) < 0:  # a mirroring transform flips the winding
            tris = tris[:, ::-1]
    return TriMesh(verts, tris), poly.astype(np.int64)


def object_triangles(obj: "bpy.types.Object") -> tuple[TriMesh, np.ndarray]:
    """A mesh object's own (unevaluated) triangles in world space, with their polygons."""
    return mesh_triangles(cast("bpy.types.Mesh", obj.data), obj.matrix_world)


def mesh_to_trimesh(mesh: "bpy.types.Mesh", matrix=None) -> TriMesh:
    return mesh_triangles(mesh, matrix)[0]


def object_to_trimesh(obj: "bpy.types.Object", *, world: bool = True, evaluated: bool = True) -> TriMesh:
    """The object's triangles (modifiers applied by default) in world or local space."""
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    if evaluated:
        from .display import full_density  # the full mesh, never the viewport's lighter copy

        with full_density(obj):
            depsgraph = bpy.context.evaluated_depsgraph_get()
            eval_obj = obj.evaluated_get(depsgraph)
            mesh = cast("bpy.types.Mesh", eval_obj.to_mesh())
            try:
                result = mesh_to_trimesh(mesh, obj.matrix_world if world else None)
            finally:
                eval_obj.to_mesh_clear()
    else:
        result = mesh_to_trimesh(cast("bpy.types.Mesh", obj.data), obj.matrix_world if world else None)
    if result.is_empty:
        raise BadInputError(f"'{obj.name}' has no faces", hint="select a mesh with geometry")
    return result


def trimesh_to_mesh(tm: TriMesh, name: str) -> "bpy.types.Mesh":
    """A new mesh datablock holding the triangles (no Python loop over elements)."""
    mesh = bpy.data.meshes.new(name)
    n_v, n_t = len(tm.vertices), len(tm.triangles)
    mesh.vertices.add(n_v)
    mesh.vertices.foreach_set("co", tm.vertices.astype(np.float32).ravel())
    mesh.loops.add(n_t * 3)
    mesh.loops.foreach_set("vertex_index", tm.triangles.astype(np.int32).ravel())
    mesh.polygons.add(n_t)
    mesh.polygons.foreach_set("loop_start", np.arange(0, n_t * 3, 3, dtype=np.int32))
    mesh.update(calc_edges=True)
    mesh.validate(clean_customdata=False)
    return mesh


def trimesh_to_object(tm: TriMesh, name: str, collection=None) -> "bpy.types.Object":
    mesh = trimesh_to_mesh(tm, name)
    obj = bpy.data.objects.new(name, mesh)
    (collection or bpy.context.scene.collection).objects.link(obj)
    return obj


def replace_object_mesh(obj: "bpy.types.Object", tm: TriMesh) -> None:
    """Swap the object's mesh data for the given triangles (materials kept)."""
    old = cast("bpy.types.Mesh", obj.data)
    new = trimesh_to_mesh(tm, old.name)
    for mat in old.materials:
        new.materials.append(mat)
    obj.data = new
    if old.users == 0:
        bpy.data.meshes.remove(old)
