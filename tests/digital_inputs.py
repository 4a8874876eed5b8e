# SPDX-License-Identifier: GPL-3.0-or-later
"""Generator-like files for the digital export tests, made the way generators make them: the
project's figure in metres, Blender's smart UV project, an image texture painted with Pillow,
glTF export (Y up, vertices split at every UV seam); a vertex-coloured one; and read-back of
any exported file through Blender's own importers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

import bpy
from mathutils import Vector
from mathutils.bvhtree import BVHTree
from mathutils.geometry import barycentric_transform

from figurine_forge.blender import meshio
from repair_meshes import figure

TEXTURE_SIZE = (96, 64)  # width, height: not square, so a swapped size shows
FIGURE_HEIGHT_M = 1.6


def texture_pixels() -> np.ndarray:
    """A pattern with no symmetry: blocks of random colours (uint8, rows top to bottom)."""
    rng = np.random.default_rng(12)
    blocks = (rng.random((8, 12, 3)) * 255).astype(np.uint8)
    return np.kron(blocks, np.ones((8, 8, 1), np.uint8))


def _figure_object(name: str, seg: int = 64):
    obj = meshio.trimesh_to_object(figure(FIGURE_HEIGHT_M, seg=seg), name)
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def make_textured_glb(folder: Path, seg: int = 64, image_format: str = "png") -> Path:
    """The figure (1.6 m, about 8.4k triangles), smart-UV-projected, with a packed PNG as its
    base colour, written by Blender's glTF exporter: metres, Y up, split vertices at seams."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = _figure_object("hero", seg)
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.select_all(action="SELECT")
    bpy.ops.uv.smart_project(island_margin=0.02)
    bpy.ops.object.mode_set(mode="OBJECT")
    png = folder / f"skin_source.{image_format}"
    Image.fromarray(texture_pixels()).save(png, quality=90)
    image = bpy.data.images.load(str(png))
    image.pack()
    material = bpy.data.materials.new("skin")
    if material.node_tree is None:  # Blender 4.x; 5.0 always has one
        material.use_nodes = True
    texture = material.node_tree.nodes.new("ShaderNodeTexImage")
    texture.image = image
    bsdf = next(n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    material.node_tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
    obj.data.materials.append(material)
    path = folder / ("textured.glb" if image_format == "png" else f"textured_{image_format}.glb")
    bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB", use_selection=True)
    png.unlink()  # the texture lives only inside the GLB, as a generator delivers it
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return path


def height_colour(z: np.ndarray) -> np.ndarray:
    """The vertex colour the coloured figure has at height z (metres): red rises with height."""
    t = np.clip(z / FIGURE_HEIGHT_M, 0.0, 1.0)
    return np.stack([t, 1.0 - t, np.full_like(t, 0.25), np.ones_like(t)], -1)


def make_coloured_glb(folder: Path) -> Path:
    """The figure with a per-vertex colour (no texture), as untextured generators deliver it."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = _figure_object("painted")
    attr = obj.data.color_attributes.new("Col", "FLOAT_COLOR", "POINT")
    co = np.empty(len(obj.data.vertices) * 3)
    obj.data.vertices.foreach_get("co", co)
    attr.data.foreach_set("color", height_colour(co.reshape(-1, 3)[:, 2]).ravel())
    obj.data.color_attributes.active_color = attr
    path = folder / "coloured.glb"
    bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB", use_selection=True,
                              export_vertex_color="ACTIVE")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return path


# -- read-back ------------------------------------------------------------------------------------
@dataclass
class ReadBack:
    triangles: int
    world: np.ndarray                 # vertex positions in metres, Z up
    tri_vertices: np.ndarray          # (T, 3) vertex indices
    tri_uvs: np.ndarray | None        # (T, 3, 2) or None without a UV layer
    images: list = field(default_factory=list)   # (name, (w, h), pixels rows top-down uint8 RGB)
    colours: np.ndarray | None = None  # per vertex RGBA (point domain) or None

    def size(self) -> np.ndarray:
        return np.ptp(self.world, axis=0)


def empty_scene_keeping_addons() -> None:
    """A fresh metre scene without resetting preferences (an installed add-on stays enabled)."""
    for collection in (bpy.data.objects, bpy.data.meshes, bpy.data.materials, bpy.data.images):
        for block in list(collection):
            collection.remove(block)
    us = bpy.context.scene.unit_settings
    us.system, us.scale_length, us.length_unit = "METRIC", 1.0, "METERS"


def read_back(path: Path, keep_addons: bool = False) -> ReadBack:
    """Import ``path`` with Blender's own importer into a fresh metre scene and describe it."""
    if keep_addons:
        empty_scene_keeping_addons()
    else:
        bpy.ops.wm.read_factory_settings(use_empty=True)
    suffix = path.suffix.lower()
    if suffix == ".glb":
        bpy.ops.import_scene.gltf(filepath=str(path))
    elif suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    elif suffix == ".obj":
        # written Z up, as slicers read OBJ (see core.mesh.exportformats)
        bpy.ops.wm.obj_import(filepath=str(path), forward_axis="NEGATIVE_Y", up_axis="Z")
    else:
        raise ValueError(suffix)
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    assert len(meshes) == 1, [o.name for o in meshes]
    obj = meshes[0]
    mesh = obj.data
    mesh.calc_loop_triangles()
    n_tri = len(mesh.loop_triangles)
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    m = np.array(obj.matrix_world)
    world = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    tri_v = np.empty(n_tri * 3, np.int64)
    mesh.loop_triangles.foreach_get("vertices", tri_v)
    tri_uv = None
    if mesh.uv_layers.active is not None:
        loops = np.empty(n_tri * 3, np.int64)
        mesh.loop_triangles.foreach_get("loops", loops)
        uv = np.empty(len(mesh.loops) * 2)
        mesh.uv_layers.active.data.foreach_get("uv", uv)
        tri_uv = uv.reshape(-1, 2)[loops].reshape(-1, 3, 2)
    images = []
    for material in mesh.materials:
        for node in (material.node_tree.nodes if material and material.node_tree else []):
            if node.type == "TEX_IMAGE" and node.image is not None:
                img = node.image
                w, h = img.size
                px = np.empty(w * h * 4, np.float32)
                img.pixels.foreach_get(px)
                rgb = np.round(px.reshape(h, w, 4)[::-1, :, :3] * 255).astype(np.uint8)
                images.append((img.name, (w, h), rgb))
    colours = None
    if mesh.color_attributes:
        attr = mesh.color_attributes.active_color or mesh.color_attributes[0]
        values = np.empty(len(attr.data) * 4)
        attr.data.foreach_get("color", values)
        values = values.reshape(-1, 4)
        if attr.domain == "CORNER":  # average the corners of each vertex
            loop_v = np.empty(len(mesh.loops), np.int64)
            mesh.loops.foreach_get("vertex_index", loop_v)
            sums = np.zeros((len(mesh.vertices), 4))
            np.add.at(sums, loop_v, values)
            values = sums / np.maximum(np.bincount(loop_v, minlength=len(mesh.vertices)), 1)[:, None]
        colours = values
    return ReadBack(n_tri, world, tri_v.reshape(-1, 3), tri_uv, images, colours)


def uv_agreement(original: ReadBack, result: ReadBack, tolerance: float = 0.02) -> float:
    """Share of the result's triangles whose centre UV matches the original surface's UV at the
    nearest point (barycentric interpolation on the nearest original triangle). Scrambled or
    dropped UVs give a share near zero; a faithful decimation keeps it near one."""
    tree = BVHTree.FromPolygons([Vector(p) for p in original.world], original.tri_vertices.tolist())
    assert original.tri_uvs is not None and result.tri_uvs is not None
    centres = result.world[result.tri_vertices].mean(axis=1)
    centre_uvs = result.tri_uvs.mean(axis=1)
    good = 0
    for c, uv in zip(centres, centre_uvs):  # a test-side check over a few thousand triangles
        hit, _normal, index, _dist = tree.find_nearest(Vector(c))
        corners = [Vector(original.world[v]) for v in original.tri_vertices[index]]
        uv3 = [Vector((*original.tri_uvs[index][k], 0.0)) for k in range(3)]
        expected = barycentric_transform(hit, *corners, *uv3)
        good += abs(expected.x - uv[0]) <= tolerance and abs(expected.y - uv[1]) <= tolerance
    return good / len(centres)


def open_edges(back: ReadBack) -> int:
    """Edges with one triangle once the vertices are welded by position: cracks. The figure is
    closed, so a faithful result has none; decimating the seams' split vertices apart opens
    hundreds."""
    _, inverse = np.unique(np.round(back.world, 7), axis=0, return_inverse=True)
    tris = inverse.reshape(-1)[back.tri_vertices]
    edges = np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return int((counts == 1).sum())
