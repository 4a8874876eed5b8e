# SPDX-License-Identifier: GPL-3.0-or-later
"""Run by a background Blender child process (see :mod:`.offload`), never imported by the
add-on: reads a mesh from an .npz, runs the OpenVDB voxel Remesh modifier, writes the result.

    blender -b --factory-startup -P vdb_remesh_child.py -- IN.npz OUT.npz VOXEL_SIZE

Only bpy and numpy: the child has no add-on installed (factory settings)."""

import sys

import bpy
import numpy as np


def main() -> None:
    src, dest, voxel = sys.argv[sys.argv.index("--") + 1:][:3]
    data = np.load(src)
    verts, tris = data["vertices"].astype(np.float32), data["triangles"].astype(np.int32)
    mesh = bpy.data.meshes.new("remesh_in")
    mesh.vertices.add(len(verts))
    mesh.vertices.foreach_set("co", verts.ravel())
    mesh.loops.add(tris.size)
    mesh.loops.foreach_set("vertex_index", tris.ravel())
    mesh.polygons.add(len(tris))
    mesh.polygons.foreach_set("loop_start", np.arange(0, tris.size, 3, dtype=np.int32))
    mesh.update(calc_edges=True)
    obj = bpy.data.objects.new("remesh_in", mesh)
    bpy.context.scene.collection.objects.link(obj)
    mod = obj.modifiers.new("Remesh", "REMESH")
    mod.mode, mod.voxel_size, mod.adaptivity = "VOXEL", float(voxel), 0.0
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    out = evaluated.to_mesh()
    out.calc_loop_triangles()
    co = np.empty(len(out.vertices) * 3, np.float32)
    out.vertices.foreach_get("co", co)
    tri = np.empty(len(out.loop_triangles) * 3, np.int32)
    out.loop_triangles.foreach_get("vertices", tri)
    with open(dest + ".part", "wb") as fh:
        np.savez(fh, vertices=co.reshape(-1, 3), triangles=tri.reshape(-1, 3))
    import os

    os.replace(dest + ".part", dest)


main()
