# SPDX-License-Identifier: GPL-3.0-or-later
"""The workflow's steps in Blender, one function each.

Operators (``operators/``) and CLI commands (``cli/``) both call these functions, so the
sidebar panel, user scripts under ``blender -b`` and the headless companion behave the same.
Each function raises a ``core.errors.FigurineError`` with a one-line message on bad input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import bpy
import numpy as np
from mathutils import Matrix

from ..core import atomic
from ..core.errors import BadInputError, OutputError
from ..core.meshclean import collapse_short_edges, drop_small_parts
from ..core.meshdata import TriMesh
from ..core.meshformats import require_mesh_file
from . import clay, meshio, remesh, units

DEFAULT_HEIGHT_MM = 32.0
COLLECTION_NAME = "Figurine Forge"

Progress = Callable[[str, float, str], None]  # (step, fraction 0..1, message)


def _no_progress(step: str, fraction: float, message: str) -> None:
    pass


def figurine_collection(scene=None) -> "bpy.types.Collection":
    scene = scene or bpy.context.scene
    coll = bpy.data.collections.get(COLLECTION_NAME)
    if coll is None:
        coll = bpy.data.collections.new(COLLECTION_NAME)
    if coll.name not in scene.collection.children:
        scene.collection.children.link(coll)
    return coll


# -- import ---------------------------------------------------------------------------------
_IMPORTERS = {
    "glb": lambda p: bpy.ops.import_scene.gltf(filepath=p),
    "gltf": lambda p: bpy.ops.import_scene.gltf(filepath=p),
    "obj": lambda p: bpy.ops.wm.obj_import(filepath=p),
    "stl": lambda p: bpy.ops.wm.stl_import(filepath=p),
    "ply": lambda p: bpy.ops.wm.ply_import(filepath=p),
    "fbx": lambda p: bpy.ops.import_scene.fbx(filepath=p),
}


def import_mesh_file(path: str | os.PathLike, name: str | None = None) -> "bpy.types.Object":
    """Import a mesh file with Blender's own importer as ONE mesh object (parts joined,
    transforms applied). The format is recognised from the content, not the name."""
    path = Path(path)
    fmt = require_mesh_file(path)
    scene = bpy.context.scene
    before = set(bpy.data.objects)
    try:
        result = _IMPORTERS[fmt](str(path))
    except (RuntimeError, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        _remove_objects(set(bpy.data.objects) - before)
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise BadInputError(f"{path.name} could not be imported as {fmt.upper()}: {first[:200]}",
                            hint="re-export the model or try another format") from None
    new = [o for o in bpy.data.objects if o not in before]
    meshes = [o for o in new if o.type == "MESH" and len(o.data.polygons) > 0]
    if "FINISHED" not in result or not meshes:
        _remove_objects(new)
        raise BadInputError(f"{path.name} contains no mesh with faces",
                            hint="give a file with a 3D model in it (GLB, GLTF, OBJ, STL, PLY or FBX)")
    new_names = [o.name for o in new]
    obj = _join_into_one(meshes, name or path.stem)
    # Joining consumed the other meshes; what is left (empties, cameras, lights) goes.
    _remove_objects([bpy.data.objects[n] for n in new_names if n in bpy.data.objects and n != obj.name])
    coll = figurine_collection(scene)
    for c in list(obj.users_collection):
        c.objects.unlink(obj)
    coll.objects.link(obj)
    obj["figurine_source"] = str(path)
    return obj


def _remove_objects(objects) -> None:
    for o in list(objects):
        bpy.data.objects.remove(o)


def _join_into_one(meshes, name: str) -> "bpy.types.Object":
    """Bake each object's world transform into its mesh, then join them."""
    for o in meshes:
        if o.data.users > 1:
            o.data = o.data.copy()
        o.data.transform(o.matrix_world)
        o.parent = None
        o.matrix_world = Matrix.Identity(4)
    target = meshes[0]
    if len(meshes) > 1:
        with bpy.context.temp_override(active_object=target, object=target, selected_objects=meshes,
                                       selected_editable_objects=meshes):
            bpy.ops.object.join()
    target.name = name
    target.data.name = name
    return target


# -- clay -----------------------------------------------------------------------------------
def set_clay(obj, enabled: bool = True) -> None:
    _require_mesh(obj)
    (clay.apply_clay if enabled else clay.remove_clay)(obj)


# -- scale ----------------------------------------------------------------------------------
def scale_to_height(obj, height_mm: float = DEFAULT_HEIGHT_MM, scene=None) -> dict:
    """Scale the object so its height is ``height_mm`` (1 unit = 1 mm), lowest point on z=0,
    footprint centred on the origin. Transforms are baked into the mesh."""
    _require_mesh(obj)
    if not (np.isfinite(height_mm) and 1.0 <= height_mm <= 2000.0):
        raise BadInputError(f"height {height_mm} mm is out of range", hint="use 1 to 2000 mm")
    tm = meshio.object_to_trimesh(obj)
    if not np.isfinite(tm.vertices).all():
        raise BadInputError(f"'{obj.name}' has invalid (NaN or infinite) coordinates",
                            hint="repair or re-import the model")
    lo, hi = tm.bounds()
    current = hi[2] - lo[2]
    if current <= 0:
        raise BadInputError(f"'{obj.name}' is flat (no height)", hint="select a 3D figure")
    factor = height_mm / current
    if obj.data.users > 1:
        obj.data = obj.data.copy()
    obj.data.transform(obj.matrix_world)
    obj.matrix_world = Matrix.Identity(4)
    centre = (lo + hi) / 2
    obj.data.transform(Matrix.Translation((-centre[0] * factor, -centre[1] * factor, -lo[2] * factor))
                       @ Matrix.Scale(factor, 4))
    obj.data.update()
    units_changed = units.use_millimetres(scene or bpy.context.scene)
    size = (hi - lo) * factor
    return {"height_mm": float(height_mm), "scale_factor": float(factor),
            "size_mm": [round(float(v), 4) for v in size], "scene_units_set_to_mm": units_changed}


# -- check ----------------------------------------------------------------------------------
def check_object(obj, height_mm: float | None = None, preset: str = "resin", **overrides) -> dict:
    """Run the print checks on the object as it would print at ``height_mm`` (default: its
    current size, read in millimetres through the scene's unit scale: a figure 0.032 units
    tall in a scene in metres is checked at 32 mm). Returns the core report; its "notices"
    say when the size is implausible for a figurine."""
    from ..core import printcheck
    from ..core.meshdata import TriMesh
    from .units import mm_per_unit

    tm = meshio.object_to_trimesh(_require_mesh(obj))
    if not height_mm:
        factor = mm_per_unit(bpy.context.scene)
        if factor != 1.0:
            tm = TriMesh(tm.vertices * factor, tm.triangles)
    return printcheck.check_trimesh(tm, height_mm=height_mm, preset=preset, **overrides)


# -- export ---------------------------------------------------------------------------------
EXPORT_FORMATS = ("stl", "obj", "ply", "glb", "3mf")


def export_object(obj, path: str | os.PathLike, *, overwrite: bool = True) -> dict:
    """Write the object (modifiers applied) in millimetres; the format comes from the file
    extension. Atomic: the file appears complete or not at all.

    3MF is written by ``core.threemf`` from the evaluated world-space triangles (unit
    "millimeter" in the file). GLB goes through Blender's glTF exporter with 1 glTF unit =
    1 mm, like every other format here, so all exports of a figure agree (glTF nominally means
    metres: an engine honouring that shows a 32 mm figure 32 m tall and needs a 0.001 scale)."""
    _require_mesh(obj)
    path = Path(path).expanduser()
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise OutputError(f"cannot export '.{fmt}' files",
                          hint=f"use one of: {', '.join('.' + f for f in EXPORT_FORMATS)}")
    view_layer = bpy.context.view_layer
    if obj.name not in view_layer.objects:
        raise BadInputError(f"'{obj.name}' is not in the current view layer", hint="link it to the scene")
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    for o in selected:
        o.select_set(False)
    obj.select_set(True)
    view_layer.objects.active = obj
    try:
        with atomic.atomic_path(path, overwrite=overwrite) as tmp:
            if fmt == "stl":
                result = bpy.ops.wm.stl_export(filepath=str(tmp), export_selected_objects=True, ascii_format=False,
                                               apply_modifiers=True, global_scale=1.0, use_scene_unit=False)
            elif fmt == "obj":
                result = bpy.ops.wm.obj_export(filepath=str(tmp), export_selected_objects=True, apply_modifiers=True,
                                               export_materials=False, global_scale=1.0,
                                               forward_axis="NEGATIVE_Y", up_axis="Z")
            elif fmt == "ply":
                result = bpy.ops.wm.ply_export(filepath=str(tmp), export_selected_objects=True, apply_modifiers=True,
                                               ascii_format=False, global_scale=1.0,
                                               forward_axis="NEGATIVE_Y", up_axis="Z")
            elif fmt == "glb":
                result = bpy.ops.export_scene.gltf(filepath=str(tmp), export_format="GLB", use_selection=True,
                                                   export_apply=True, export_yup=True, export_animations=False,
                                                   export_cameras=False, export_lights=False)
            else:
                from ..core import threemf

                threemf.write_3mf(tmp, meshio.object_to_trimesh(obj), name=obj.name)
                result = {"FINISHED"}
            if "FINISHED" not in result:
                raise OutputError(f"Blender's {fmt.upper()} exporter did not finish")
    finally:
        obj.select_set(False)
        for o in selected:
            if o.name in view_layer.objects:
                o.select_set(True)
        view_layer.objects.active = active
    return {"path": str(path), "format": fmt, "bytes": path.stat().st_size}


# -- local reconstruction -------------------------------------------------------------------
def finish_reconstruction(raw: TriMesh, resolution: int) -> TriMesh:
    """Make the reconstruction one clean shell: OpenVDB voxel remesh at a step finer than
    the hull grid (so no detail is lost), then drop silhouette-noise specks."""
    voxel = 1.0 / (resolution * 1.5)
    clean = remesh.voxel_remesh(raw, voxel)
    clean, _specks = drop_small_parts(clean, 0.01)
    clean, _slivers = collapse_short_edges(clean, voxel * 0.02)
    return clean


def _require_mesh(obj):
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    if len(obj.data.polygons) == 0 and not obj.modifiers:
        raise BadInputError(f"'{obj.name}' has no faces", hint="select a mesh with geometry")
    return obj
