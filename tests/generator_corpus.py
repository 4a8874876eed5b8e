# SPDX-License-Identifier: GPL-3.0-or-later
"""Models as generators and scanners really deliver them, built from the project's own figures.

Every member is a figure in *figure units* (about 2 units tall, as generators deliver: read as
glTF they are metres), Z up, facing -Y, built from the primitives of ``tests/repair_meshes`` and
the sample character's part table (``blender/sample_figure.PARTS``). Closed members are made one
shell the way a generator's mesh is (OpenVDB voxel remesh of the union of the parts).

Files are written the way generators write them:

* ``write_glb``: bpy smart UV project + an image texture + Blender's glTF exporter. The exporter
  splits every vertex on a UV seam (the mesh arrives as many open UV islands until welded) and
  converts Z up to glTF's Y up; the unit is the metre.
* ``write_stl``: the same triangles as a binary STL in the same units (metres read as mm: a
  2 mm "figure", which the loader must report as implausible).

Stable API (other branches use it): ``MEMBERS``, ``EXPECT``, ``member_mesh(name)``,
``write_glb(mesh, path)``, ``write_stl(mesh, path, scale=1.0)``, ``write_member(name, folder)``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from figurine_forge.core.mesh.trimesh import TriMesh
from printcheck_meshes import join
from repair_meshes import cylinder, ellipsoid

# name -> what a correct import must find (closed one-part members: no non-manifold edge, one part)
EXPECT: dict[str, dict] = {
    "figure": {"closed": True, "parts": 1, "upright": True},
    "on_base": {"closed": True, "parts": 1, "upright": True},
    "chibi": {"closed": True, "parts": 1, "upright": True},
    "quadruped": {"closed": True, "parts": 1, "upright": True},
    "raised_arms": {"closed": True, "parts": 1, "upright": True},
    "bust": {"closed": True, "parts": 1, "upright": True},
    "lying": {"closed": True, "parts": 1, "upright": False},
    "speck": {"closed": True, "parts": 2, "upright": True},
    "holes": {"closed": False, "parts": 1, "upright": True},
    "interpenetrating": {"closed": True, "parts": 2, "upright": True},
}
MEMBERS = tuple(EXPECT)
VOXEL = 0.02  # figure units: ~100 voxels over a 2-unit figure, 10k-40k triangles


def _sample_parts(with_base: bool) -> list[TriMesh]:
    """The sample character's parts (blender/sample_figure.PARTS) as numpy primitives."""
    import bpy  # noqa: F401  (bmesh, imported by sample_figure, needs bpy loaded first)

    from figurine_forge.blender.sample_figure import PARTS

    parts = []
    for name, shape, centre, size, _colour in PARTS:
        if name == "base" and not with_base:
            continue
        cx, cy, cz = centre
        sx, sy, sz = size
        if shape == "sphere":
            parts.append(ellipsoid((sx / 2, sy / 2, sz / 2), centre, 32, 16))
        else:  # the table's cylinders are round (sx == sy) and vertical
            parts.append(cylinder(sx / 2, cz - sz / 2, cz + sz / 2, (cx, cy), 32))
    return parts


def _chibi() -> list[TriMesh]:
    """A big-headed figure: the head is wider than the feet and a third of the height."""
    return [cylinder(0.09, 0.0, 0.45, (0.1, 0.0)), cylinder(0.09, 0.0, 0.45, (-0.1, 0.0)),
            ellipsoid((0.1, 0.16, 0.07), (0.1, -0.05, 0.06), 24, 12),
            ellipsoid((0.1, 0.16, 0.07), (-0.1, -0.05, 0.06), 24, 12),
            ellipsoid((0.28, 0.2, 0.34), (0.0, 0.0, 0.7), 32, 16),  # body
            ellipsoid((0.06, 0.06, 0.22), (0.3, 0.0, 0.66), 16, 8),
            ellipsoid((0.06, 0.06, 0.22), (-0.3, 0.0, 0.66), 16, 8),
            ellipsoid((0.62, 0.52, 0.55), (0.0, 0.0, 1.45), 48, 24),  # head, wider than everything
            ellipsoid((0.08, 0.06, 0.06), (0.0, -0.52, 1.4), 16, 8)]  # nose (faces -Y)


def _quadruped() -> list[TriMesh]:
    """Four legs, a horizontal body longer than the animal is tall, a raised head at -Y, a tail."""
    legs = [cylinder(0.09, 0.0, 0.75, (x, y)) for x in (-0.2, 0.2) for y in (-0.6, 0.6)]
    return legs + [ellipsoid((0.32, 0.85, 0.32), (0.0, 0.0, 0.9), 48, 24),  # body along Y
                   cylinder(0.12, 0.95, 1.45, (0.0, -0.8)),  # neck
                   ellipsoid((0.16, 0.32, 0.16), (0.0, -1.0, 1.5), 32, 16),  # head, muzzle to -Y
                   ellipsoid((0.05, 0.3, 0.05), (0.0, 0.95, 1.0), 16, 8)]  # tail


def _raised_arms() -> list[TriMesh]:
    """A statue with both arms raised above the head (the top end is wider than the head)."""
    parts = [p for p, row in zip(_sample_parts(False), _part_names(False)) if row not in
             ("arm_l", "arm_r", "hand_l", "hand_r")]
    for x in (0.42, -0.42):
        parts += [cylinder(0.065, 1.35, 2.05, (x, 0.0)), ellipsoid((0.08, 0.08, 0.09), (x, 0.0, 2.1), 16, 8),
                  ellipsoid((0.2, 0.08, 0.07), (x * 0.75, 0.0, 1.4), 16, 8)]  # shoulder to arm
    return parts


def _part_names(with_base: bool) -> list[str]:
    import bpy  # noqa: F401

    from figurine_forge.blender.sample_figure import PARTS

    return [row[0] for row in PARTS if with_base or row[0] != "base"]


def _bust() -> list[TriMesh]:
    """Head and shoulders on a short round plinth: wider than tall-ish, widest low down."""
    return [cylinder(0.3, 0.0, 0.2, (0.0, 0.0), 48),
            ellipsoid((0.55, 0.28, 0.4), (0.0, 0.0, 0.45), 48, 24),  # chest and shoulders
            cylinder(0.1, 0.7, 0.95, (0.0, 0.0)),
            ellipsoid((0.22, 0.24, 0.28), (0.0, 0.0, 1.1), 32, 16),
            ellipsoid((0.04, 0.06, 0.04), (0.0, -0.24, 1.08), 16, 8)]


def _union(parts: list[TriMesh], voxel: float = VOXEL) -> TriMesh:
    """One closed shell of the parts' union, as a generator's mesh is (OpenVDB voxel remesh)."""
    from figurine_forge.blender.remesh import voxel_remesh

    return voxel_remesh(join(*parts), voxel)


def _lie_on_back(mesh: TriMesh) -> TriMesh:
    """Standing (Z up, facing -Y) -> lying on its back: face up (+Z), head towards +Y."""
    rot = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # (x, y, z) -> (x, z, -y)
    v = mesh.vertices @ rot.T
    v[:, 2] -= v[:, 2].min()
    return TriMesh(v, mesh.triangles.copy())


@functools.lru_cache(maxsize=None)
def member_mesh(name: str) -> TriMesh:
    """The member as triangles in figure units (Z up, facing -Y, lowest point on z = 0).

    Cached: callers must not modify the arrays in place."""
    if name not in EXPECT:
        raise KeyError(f"unknown corpus member {name!r}; one of {', '.join(MEMBERS)}")
    if name == "figure":
        return _union(_sample_parts(False))
    if name == "on_base":
        return _union(_sample_parts(True))
    if name == "chibi":
        return _union(_chibi())
    if name == "quadruped":
        return _union(_quadruped())
    if name == "raised_arms":
        return _union(_raised_arms())
    if name == "bust":
        return _union(_bust())
    if name == "lying":
        return _lie_on_back(member_mesh("figure"))
    base = member_mesh("figure")
    if name == "speck":  # a crumb floating beside the head, as reconstructions leave them
        return join(base, _union([ellipsoid((0.03, 0.03, 0.03), (0.45, 0.0, 1.75), 16, 8)], 0.01))
    if name == "holes":  # a few triangles missing on the torso and the head
        centre = base.vertices[base.triangles].mean(axis=1)
        order = np.argsort(np.linalg.norm(centre[:, None, :] - np.array([[0.0, -0.17, 1.2], [0.0, 0.1, 1.9]]),
                                          axis=2).min(axis=1))
        keep = np.ones(len(base.triangles), bool)
        keep[order[::7][:6]] = False  # six separate triangles near the two points: six small holes
        return TriMesh(base.vertices.copy(), base.triangles[keep])
    # interpenetrating: a staff (its own closed shell) through the right hand and the ground
    staff = _union([cylinder(0.035, 0.02, 1.6, (-0.375, 0.0), 24)], 0.01)
    return join(base, staff)


def write_stl(mesh: TriMesh, path, scale: float = 1.0) -> Path:
    """Binary STL of the triangles (corners unshared, as STL has them) in the mesh's units x scale."""
    from figurine_forge.core.mesh.stl import write_stl as core_write_stl

    return core_write_stl(Path(path), TriMesh(mesh.vertices * scale, mesh.triangles.copy()))


def write_glb(mesh: TriMesh, path, *, texture_size: int = 64) -> Path:
    """A textured GLB as generators deliver it: smart UV project, an image texture, glTF export
    (Y up, metres; every vertex on a UV seam split). Leaves the current scene as it was."""
    import bpy

    from figurine_forge.blender import meshio

    path = Path(path)
    obj = meshio.trimesh_to_object(mesh, "corpus_figure")
    image = bpy.data.images.new("corpus_texture", texture_size, texture_size)
    ramp = np.linspace(0.2, 0.9, texture_size * texture_size, dtype=np.float32)
    pixels = np.stack([ramp, ramp[::-1], np.full_like(ramp, 0.5), np.ones_like(ramp)], 1)
    image.pixels.foreach_set(pixels.ravel())
    image.pack()
    mat = bpy.data.materials.new("corpus_material")
    if mat.node_tree is None:  # Blender before 5.0 creates materials without nodes
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = image
    mat.node_tree.links.new(tex.outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
    obj.data.materials.append(mat)
    view_layer = bpy.context.view_layer
    view_layer.update()  # objects removed by earlier code leave stale entries until an update
    previous = [o for o in view_layer.objects if o is not None and o.select_get()]
    active = view_layer.objects.active
    try:
        for o in previous:
            o.select_set(False)
        obj.select_set(True)
        view_layer.objects.active = obj
        with bpy.context.temp_override(active_object=obj, object=obj, selected_objects=[obj],
                                       selected_editable_objects=[obj]):
            bpy.ops.object.mode_set(mode="EDIT")
            bpy.ops.mesh.select_all(action="SELECT")
            bpy.ops.uv.smart_project(angle_limit=1.15, island_margin=0.002)
            bpy.ops.object.mode_set(mode="OBJECT")
        result = bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB", use_selection=True,
                                           export_yup=True, export_animations=False)
        assert "FINISHED" in result, result
    finally:
        data = obj.data
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(data)
        bpy.data.materials.remove(mat)
        bpy.data.images.remove(image)
        for o in previous:
            if o.name in view_layer.objects:
                o.select_set(True)
        view_layer.objects.active = active
    return path


def write_member(name: str, folder) -> dict[str, Path]:
    """``{"glb": textured Y-up GLB in metres, "stl": the same triangles as STL in metres}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mesh = member_mesh(name)
    return {"glb": write_glb(mesh, folder / f"{name}.glb"), "stl": write_stl(mesh, folder / f"{name}.stl")}
