# SPDX-License-Identifier: GPL-3.0-or-later
"""Exports of the figure as it is in Blender: materials, textures, UVs and vertex colours kept.

Every export works on a private copy of the object (modifiers applied, world transform baked)
so the user's figure is never changed. A triangle budget is met on that copy by Blender's own
Weld (exact duplicates only: generator files split vertices at UV seams) and Decimate (collapse)
modifiers, which carry UVs, colour attributes and material indices through the collapse. Then
Blender's official exporters write it (glTF, FBX, OBJ with path_mode COPY) into a private
folder, and ``core.atomic`` publishes the file — or the OBJ with its .mtl and textures — at once.

Units are described in ``core.mesh.exportformats``.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
from pathlib import Path
from typing import Iterator

import bpy
import numpy as np
from mathutils import Matrix

from ..core import atomic

from ..core.mesh import exportformats, threemf
from ..core.errors import BadInputError, OutputError
from . import display, meshio

WELD_TOLERANCE = 1e-6      # of the model's size: exact duplicates at UV seams, nothing else
BUDGET_ATTEMPTS = 4        # Decimate's ratio is approximate; tighten it this many times at most
COPY_NAME = "figurine_export"
GEOMETRY_ONLY = ("stl", "ply", "3mf")


# -- counting and units -------------------------------------------------------------------------
def triangle_count(mesh: "bpy.types.Mesh") -> int:
    """Triangles the mesh makes once triangulated (an n-gon makes n - 2)."""
    sizes = np.empty(len(mesh.polygons), np.int64)
    mesh.polygons.foreach_get("loop_total", sizes)
    return int(np.maximum(sizes - 2, 0).sum())


def metres_per_unit(scene) -> float:
    """What one Blender unit is in metres: the scene's unit scale, as Blender's own glTF
    importer and FBX exporter read it (unit system None means metres)."""
    us = scene.unit_settings
    return 1.0 if us.system == "NONE" else float(us.scale_length)


# -- the private copy ---------------------------------------------------------------------------
@contextlib.contextmanager
def export_copy(obj, scale: float = 1.0) -> Iterator["bpy.types.Object"]:
    """A plain copy of ``obj`` (modifiers applied, world transform and ``scale`` baked in, every
    attribute kept), linked to the scene while the block runs, then removed with its mesh."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = bpy.data.meshes.new_from_object(obj.evaluated_get(depsgraph), preserve_all_data_layers=True,
                                           depsgraph=depsgraph)
    mesh.transform(Matrix.Scale(scale, 4) @ obj.matrix_world)
    if scale < 0 or obj.matrix_world.determinant() < 0:
        mesh.flip_normals()
    _tidy_materials(mesh, obj)
    # The files name the figure (object and mesh) as the user named it: the originals step
    # aside meanwhile.
    name, mesh_name = obj.name, obj.data.name
    obj.name = f"{name} ({COPY_NAME})"
    obj.data.name = f"{mesh_name} ({COPY_NAME})"
    copy = bpy.data.objects.new(name, mesh)
    mesh.name = mesh_name
    bpy.context.scene.collection.objects.link(copy)
    try:
        yield copy
    finally:
        written_mesh: bpy.types.Mesh = copy.data  # type: ignore[assignment]  # decimation may swap it
        bpy.data.objects.remove(copy)
        bpy.data.meshes.remove(written_mesh)
        obj.name = name
        obj.data.name = mesh_name
        bpy.context.view_layer.update()  # no stale entry for exporters that walk the view layer


def _tidy_materials(mesh, obj) -> None:
    """Materials as the exporters need them: slots linked to the object are copied onto the
    mesh, empty slots dropped and face indices remapped, indices past the last slot clamped, so
    no written file refers to a material that is not in it. A mesh without UVs (a repaired or
    remeshed figure) cannot show a texture: its textured materials are left out rather than
    written pointing at texture coordinates that do not exist."""
    slots = [s.material for s in obj.material_slots] if obj.material_slots else list(mesh.materials)
    if not mesh.uv_layers:
        slots = [None if _uses_images(m) else m for m in slots]
    index = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("material_index", index)
    kept = [m for m in slots if m is not None]
    remap = np.zeros(max(len(slots), 1), np.int32)
    position = 0
    for i, m in enumerate(slots):  # a handful of slots, not per element
        remap[i] = position if m is not None else 0
        position += m is not None
    index = remap[np.clip(index, 0, len(remap) - 1)]
    mesh.materials.clear()
    for m in kept:
        mesh.materials.append(m)
    mesh.polygons.foreach_set("material_index", index)
    mesh.update()


# -- decimation --------------------------------------------------------------------------------
def decimate_to_budget(obj, max_triangles: int) -> dict:
    """Bring ``obj`` (a plain mesh object) to at most ``max_triangles`` triangles with Blender's
    Weld + Decimate (collapse) modifiers, applied. UVs, colour attributes and materials go
    through the collapse; seams stay seams (the UVs are per face corner)."""
    mesh = obj.data
    old_name = mesh.name
    before = triangle_count(mesh)
    result = {"triangles_before": before, "triangles_after": before, "max_triangles": int(max_triangles),
              "decimated": False}
    if before <= max_triangles:
        return result
    size = float(np.ptp(_positions(mesh), axis=0).max()) if len(mesh.vertices) else 0.0
    weld = obj.modifiers.new("FigurineWeld", "WELD")
    weld.mode = "ALL"
    weld.merge_threshold = max(size * WELD_TOLERANCE, 1e-12)
    decimate = obj.modifiers.new("FigurineDecimate", "DECIMATE")
    decimate.decimate_type = "COLLAPSE"
    decimate.use_collapse_triangulate = True
    ratio = max_triangles / before
    try:
        for _ in range(BUDGET_ATTEMPTS):
            decimate.ratio = min(max(ratio, 1e-6), 1.0)
            depsgraph = bpy.context.evaluated_depsgraph_get()
            after = triangle_count(obj.evaluated_get(depsgraph).data)
            if after <= max_triangles:
                break
            ratio *= 0.99 * max_triangles / after
        else:
            raise OutputError(f"Decimate could not reach {max_triangles:,} triangles (it stopped at {after:,})",
                              hint="allow more triangles")
        # The evaluated mesh as it is: asking for all data layers would run the Decimate again
        # (a second, full evaluation); UVs, colour attributes and materials are there already.
        new_mesh = bpy.data.meshes.new_from_object(obj.evaluated_get(depsgraph), preserve_all_data_layers=False,
                                                   depsgraph=depsgraph)
    finally:
        obj.modifiers.remove(decimate)
        obj.modifiers.remove(weld)
    old = obj.data
    obj.data = new_mesh
    bpy.data.meshes.remove(old)
    new_mesh.name = old_name
    result.update(triangles_after=triangle_count(new_mesh), decimated=True)
    return result


def _positions(mesh) -> np.ndarray:
    co = np.empty(len(mesh.vertices) * 3, np.float64)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


# -- writers ----------------------------------------------------------------------------------
def _has_colours(mesh) -> bool:
    return len(mesh.color_attributes) > 0


def _write_glb(obj, path: Path) -> None:
    kwargs = dict(filepath=str(path), export_format="GLB", use_selection=True, export_apply=True,
                  export_yup=True, export_animations=False, export_cameras=False, export_lights=False,
                  export_materials="EXPORT", export_image_format="AUTO", export_texcoords=True)
    if "export_vertex_color" in _operator_options(bpy.ops.export_scene.gltf):
        kwargs["export_vertex_color"] = "ACTIVE" if _has_colours(obj.data) else "NONE"
    _run(bpy.ops.export_scene.gltf, "GLB", **kwargs)
    doc = exportformats.glb_document(path)
    dangling = exportformats.glb_dangling_references(doc)
    if dangling:
        raise OutputError(f"the GLB written refers to what it does not hold: {dangling[0]}",
                          hint="report this with the model; the file was not kept")


def _write_fbx(obj, path: Path, metres: float) -> None:
    # apply_unit_scale off: the geometry is scaled here, metres to FBX centimetres, baked into
    # the vertices (FBX_SCALE_NONE), so UnitScaleFactor is 1 and every reader agrees on size.
    _run(bpy.ops.export_scene.fbx, "FBX", filepath=str(path), use_selection=True, object_types={"MESH"},
         use_mesh_modifiers=True, apply_unit_scale=False, apply_scale_options="FBX_SCALE_NONE",
         global_scale=metres, axis_forward="-Z", axis_up="Y", mesh_smooth_type="FACE",
         colors_type="SRGB", add_leaf_bones=False, bake_anim=False, path_mode="COPY", embed_textures=True,
         use_custom_props=False)


def _write_obj(obj, path: Path) -> None:
    with _materials_for_mtl(obj, path.parent):
        _run(bpy.ops.wm.obj_export, "OBJ", filepath=str(path), export_selected_objects=True, apply_modifiers=True,
             export_materials=len(obj.data.materials) > 0, path_mode="COPY", export_uv=True, export_normals=True,
             export_colors=_has_colours(obj.data), global_scale=1.0, forward_axis="NEGATIVE_Y", up_axis="Z")


def _run(operator, label: str, **kwargs) -> None:
    try:
        result = operator(**kwargs)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise OutputError(f"Blender's {label} exporter failed: {first[:200]}") from None
    if "FINISHED" not in result:
        raise OutputError(f"Blender's {label} exporter did not finish")


def _operator_options(operator) -> set[str]:
    return {p.identifier for p in operator.get_rna_type().properties}


def _images(obj) -> list["bpy.types.Image"]:
    images = []
    for slot_material in obj.data.materials:
        if slot_material is None or slot_material.node_tree is None:
            continue
        for node in slot_material.node_tree.nodes:
            if node.type == "TEX_IMAGE" and node.image is not None and node.image not in images:
                images.append(node.image)
    return images


@contextlib.contextmanager
def _materials_for_mtl(obj, folder: Path) -> Iterator[None]:
    """What the OBJ exporter needs to write ``map_Kd``: an image file on disk, linked straight
    into Base Color. Each textured material of the copy is swapped for a duplicate (same name;
    the user's material steps aside meanwhile) whose base-colour image — found upstream of Base
    Color, e.g. behind the glTF importer's vertex-colour Mix — is linked directly; an image that
    lives only inside Blender (packed from a GLB, painted) is saved into the private export
    folder first. The user's materials and images are left as they were."""
    swaps: list[tuple["bpy.types.Material", "bpy.types.Material", str]] = []
    loaded: list["bpy.types.Image"] = []
    try:
        for i, material in enumerate(obj.data.materials):
            image = _base_colour_image(material)
            if image is None:
                continue
            name = material.name
            material.name = f"{name} ({COPY_NAME})"
            duplicate = material.copy()
            duplicate.name = name
            swaps.append((material, duplicate, name))
            obj.data.materials[i] = duplicate
            nodes, links = duplicate.node_tree.nodes, duplicate.node_tree.links
            bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
            texture = nodes.new("ShaderNodeTexImage")
            texture.image = _image_on_disk(image, folder, loaded)
            links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
        yield
    finally:
        for material, duplicate, name in swaps:
            for slot in range(len(obj.data.materials)):
                if obj.data.materials[slot] == duplicate:
                    obj.data.materials[slot] = material
            bpy.data.materials.remove(duplicate)
            material.name = name
        for image in loaded:
            bpy.data.images.remove(image)


def _uses_images(material) -> bool:
    return material is not None and material.node_tree is not None and any(
        n.type == "TEX_IMAGE" and n.image is not None for n in material.node_tree.nodes)


def _base_colour_image(material) -> "bpy.types.Image | None":
    """The image texture that feeds the Principled BSDF's Base Color, directly or through
    other nodes (a Mix with vertex colours, a hue/saturation tweak): the nearest one upstream."""
    if material is None or material.node_tree is None:
        return None
    bsdf = next((n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        return None
    frontier = [link.from_node for link in bsdf.inputs["Base Color"].links]
    seen = set()
    while frontier:  # a node graph of a handful of nodes
        node = frontier.pop(0)
        if node.name in seen:
            continue
        seen.add(node.name)
        if node.type == "TEX_IMAGE" and node.image is not None:
            return node.image
        frontier.extend(link.from_node for socket in node.inputs for link in socket.links)
    return None


_IMAGE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "TARGA": "tga", "TARGA_RAW": "tga", "BMP": "bmp",
                     "TIFF": "tif", "OPEN_EXR": "exr", "HDR": "hdr"}


def _image_on_disk(image, folder: Path, loaded: list) -> "bpy.types.Image":
    """``image`` when its file exists on disk and it is not packed; else a copy saved into
    ``folder`` (the exporter then copies it beside the OBJ under that name)."""
    source = bpy.path.abspath(image.filepath_raw) if image.filepath_raw else ""
    if image.packed_file is None and source and os.path.isfile(source):
        return image
    stem = bpy.path.clean_name(Path(image.name).stem) or "texture"
    extension = _IMAGE_EXTENSIONS.get(image.file_format, "png") if image.packed_file is not None else "png"
    target = folder / f"{stem}.{extension}"
    number = 1
    while target.exists():  # two images of the same name: both kept
        number += 1
        target = folder / f"{stem}_{number}.{extension}"
    if image.packed_file is not None:
        target.write_bytes(image.packed_file.data)
    else:
        image.save(filepath=str(target), quality=95)  # painted and never saved: written as PNG
    copy = bpy.data.images.load(str(target), check_existing=False)
    loaded.append(copy)
    return copy


# -- the export ---------------------------------------------------------------------------------
def export(obj, path: str | os.PathLike, *, fmt: str | None = None, max_triangles: int | None = None,
           overwrite: bool = True) -> dict:
    """Write ``obj`` to ``path`` (format from ``fmt`` or the extension; units per
    ``core.mesh.exportformats``), decimated on a copy to ``max_triangles`` when given. Atomic,
    never over one of the figure's own input files, never over an existing file unless
    ``overwrite``. Returns what was written."""
    target, fmt = exportformats.resolve_target(path, fmt)
    budget = exportformats.check_triangle_budget(max_triangles)
    view_layer = bpy.context.view_layer
    # A script's direct data edits (a removed UV layer, say) do not always tag the mesh, and the
    # exporters read the evaluated copy: tag it so the file is what the object holds now.
    obj.data.update_tag()
    view_layer.update()  # an object a script has just linked is not listed before this
    if obj.name not in view_layer.objects:
        raise BadInputError(f"'{obj.name}' is not in the current view layer", hint="link it to the scene")
    inputs = [obj.get("figurine_source", "")] + [bpy.path.abspath(i.filepath) for i in _images(obj) if i.filepath]
    exportformats.refuse_input_as_output([target], inputs)
    metres = metres_per_unit(bpy.context.scene)
    scale = metres if fmt == "glb" else 1.0
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    try:
        with display.full_density(obj), _subject(obj, fmt, scale, budget) as (subject, counts):  # full mesh
            for o in selected:
                o.select_set(False)
            subject.select_set(True)
            view_layer.objects.active = subject
            files = _write(subject, target, fmt, metres, overwrite, inputs)
    finally:
        for o in selected:
            if o.name in view_layer.objects:
                o.select_set(True)
        view_layer.objects.active = active
    spec = exportformats.FORMATS[fmt]
    return {"path": str(target), "format": fmt, "bytes": target.stat().st_size, "unit": spec.unit,
            "textures": spec.textures, "files": [str(f) for f in files], **counts}


@contextlib.contextmanager
def _subject(obj, fmt: str, scale: float, budget: int | None) -> Iterator[tuple["bpy.types.Object", dict]]:
    """What the exporter writes, and its triangle counts. A print file without a budget is
    written from the figure itself, as the exporters apply modifiers and transforms anyway
    (no copy of a million-triangle print mesh); anything else from a private copy."""
    if budget is None and fmt in GEOMETRY_ONLY:
        n = triangle_count(obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data)
        yield obj, {"triangles_before": n, "triangles_after": n, "max_triangles": None, "decimated": False}
        return
    with export_copy(obj, scale) as copy:
        if budget:
            counts = decimate_to_budget(copy, budget)
        else:
            n = triangle_count(copy.data)  # type: ignore[arg-type]
            counts = {"triangles_before": n, "triangles_after": n, "max_triangles": None, "decimated": False}
        yield copy, counts


def _write(subject, target: Path, fmt: str, metres: float, overwrite: bool, inputs) -> list[Path]:
    if fmt == "obj":  # the .obj, its .mtl and the textures, published together
        file_set = atomic.FileSet(target, overwrite=overwrite)
        with file_set as folder:
            _write_obj(subject, folder / target.name)
            # A texture already in place with the same bytes (the input's own, when exporting
            # beside it) is left alone by the file set; anything else must not hit an input.
            staged = [(p, target.parent / p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
            exportformats.refuse_input_as_output(
                [dst for src, dst in staged if not (dst.is_file() and filecmp.cmp(src, dst, shallow=False))], inputs)
        return file_set.published
    with atomic.atomic_path(target, overwrite=overwrite) as tmp:
        if fmt == "glb":
            _write_glb(subject, tmp)
        elif fmt == "fbx":
            _write_fbx(subject, tmp, metres)
        elif fmt == "3mf":
            threemf.write_3mf(tmp, meshio.object_to_trimesh(subject), name=subject.name)
        elif fmt == "stl":
            _run(bpy.ops.wm.stl_export, "STL", filepath=str(tmp), export_selected_objects=True, ascii_format=False,
                 apply_modifiers=True, global_scale=1.0, use_scene_unit=False)
        else:
            _run(bpy.ops.wm.ply_export, "PLY", filepath=str(tmp), export_selected_objects=True, apply_modifiers=True,
                 ascii_format=False, global_scale=1.0, forward_axis="NEGATIVE_Y", up_axis="Z")
    return [target]
