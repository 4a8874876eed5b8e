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
from typing import Callable, Collection, cast

import bpy
import numpy as np
from mathutils import Matrix

from ..core import atomic

from ..core.mesh import exportformats
from ..core.errors import BadInputError, OutputError
from ..core.mesh.clean import collapse_short_edges, drop_small_parts
from ..core.mesh.trimesh import TriMesh
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
_IMPORTERS: dict[str, Callable[[str], Collection[str]]] = {
    "glb": lambda p: bpy.ops.import_scene.gltf(filepath=p),
    "gltf": lambda p: bpy.ops.import_scene.gltf(filepath=p),
    "obj": lambda p: bpy.ops.wm.obj_import(filepath=p),
    "stl": lambda p: _import_stl_with_core(p),
    "ply": lambda p: bpy.ops.wm.ply_import(filepath=p),
    "fbx": lambda p: bpy.ops.import_scene.fbx(filepath=p),
}


def _import_stl_with_core(path: str) -> set[str]:
    """STL through the core's reader, the one ``check`` uses: Blender's importer reads a
    non-number as 0 where the core refuses the file, and welds the same corners the same way."""
    from ..core.mesh.stl import read_stl

    meshio.trimesh_to_object(read_stl(path), Path(path).stem)
    return {"FINISHED"}


def import_mesh_file(path: str | os.PathLike, name: str | None = None) -> "bpy.types.Object":
    """Import a mesh file with Blender's own importer as ONE mesh object (parts joined,
    transforms applied). The format is recognised from the content, not the name; a zip
    holding a model and its textures imports like the model (unpacked safely, its images
    packed into the .blend so nothing points into the temporary folder). The object keeps
    every vertex the file has: UV seams stay split (welding is for analysis only)."""
    from ..core.mesh.load import opened_model

    path = Path(path)
    with opened_model(path) as (model, fmt):
        before_images = set(bpy.data.images)
        obj = _import_one(model, fmt, name or path.stem, label=path.name)
        if model != path:
            for image in set(bpy.data.images) - before_images:
                if image.source == "FILE" and image.packed_file is None and image.filepath:
                    image.pack()
    obj["figurine_source"] = str(path)
    obj["figurine_format"] = fmt
    return obj


def import_for_print(path: str | os.PathLike, *, height_mm: float | None = None, orient: str = "auto",
                     to_mm: bool = True, weld: bool = False, name: str | None = None):
    """Import for checking, repairing or exporting: the object (seams kept) and the core's
    ``LoadedMesh`` (welded, posed, in mm) of the same file, with the pose (and, with
    ``to_mm``, the unit scale) baked into the object, so the object and the analysed mesh
    agree. The CLI passes ``to_mm`` (its files are mm); the panel leaves units to the scene.
    ``weld`` (print repair, which needs no UVs) replaces the object's mesh by the welded one,
    materials kept; without it the object keeps every split vertex for the digital branch."""
    from ..core.mesh.load import finish_import

    obj = import_mesh_file(path, name)
    try:
        raw, poly = meshio.object_triangles(obj)
        loaded = finish_import(raw, fmt=str(obj["figurine_format"]), source=Path(path), polygon_of_triangle=poly,
                               height_given=height_mm is not None, orient=orient)
    except BaseException:
        _remove_objects([obj])
        raise
    matrix = loaded.file_to_mm(with_units=to_mm)
    if weld:
        scale = 1.0 if to_mm else 1.0 / loaded.units.to_mm
        meshio.replace_object_mesh(obj, loaded.mesh if scale == 1.0 else loaded.mesh.transformed(scale))
    elif not np.allclose(matrix, np.eye(4)):
        obj.data.transform(Matrix(matrix.tolist()))
        obj.data.update()
    if not to_mm and loaded.units.to_mm != 1.0:  # the object stays in file units: say what they are
        obj["figurine_unit"] = loaded.units.unit
    return obj, loaded


def read_with_blender(model: Path, fmt: str) -> tuple[TriMesh, np.ndarray]:
    """The core loader's adapter (``core.mesh.load.BlenderReader``): the file's triangles in
    file units, Z up (the importers convert glTF's Y up), and the polygon of each; the
    temporary object is removed again."""
    obj = _import_one(model, fmt, model.stem, label=model.name)
    try:
        return meshio.object_triangles(obj)
    finally:
        mesh = cast("bpy.types.Mesh", obj.data)
        _remove_objects([obj])
        if mesh.users == 0:
            bpy.data.meshes.remove(mesh)


def _import_one(path: Path, fmt: str, name: str, *, label: str) -> "bpy.types.Object":
    scene = bpy.context.scene
    before = set(bpy.data.objects)
    try:
        result = _IMPORTERS[fmt](str(path))
    except (RuntimeError, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
        _remove_objects(set(bpy.data.objects) - before)
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise BadInputError(f"{label} could not be imported as {fmt.upper()}: {first[:200]}",
                            hint="re-export the model or try another format") from None
    new = [o for o in bpy.data.objects if o not in before]
    meshes = [o for o in new if o.type == "MESH" and len(o.data.polygons) > 0]
    if "FINISHED" not in result or not meshes:
        _remove_objects(new)
        raise BadInputError(f"{label} contains no mesh with faces",
                            hint="give a file with a 3D model in it (GLB, GLTF, OBJ, STL, PLY or FBX)")
    new_names = [o.name for o in new]
    obj = _join_into_one(meshes, name)
    # Joining consumed the other meshes; what is left (empties, cameras, lights) goes.
    _remove_objects([bpy.data.objects[n] for n in new_names if n in bpy.data.objects and n != obj.name])
    coll = figurine_collection(scene)
    for c in list(obj.users_collection):
        c.objects.unlink(obj)
    coll.objects.link(obj)
    bpy.context.view_layer.update()  # objects linked from Python reach the view layer only now
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
    from ..core.mesh.trimesh import TriMesh
    from .units import mm_per_unit

    from ..core.mesh.load import weld_for_analysis

    # Welded as the CLI's import welds: a textured import keeps its UV seams split in the object.
    tm, _tol = weld_for_analysis(meshio.object_to_trimesh(_require_mesh(obj)))
    if not height_mm:
        factor = mm_per_unit(bpy.context.scene)
        if factor != 1.0:
            tm = TriMesh(tm.vertices * factor, tm.triangles)
    return printcheck.check_trimesh(tm, height_mm=height_mm, preset=preset, **overrides)


# -- export ---------------------------------------------------------------------------------
EXPORT_FORMATS = exportformats.EXPORT_FORMATS


def export_object(obj, path: str | os.PathLike, *, fmt: str | None = None, max_triangles: int | None = None,
                  overwrite: bool = True) -> dict:
    """Write the object (modifiers applied; the user's object is never changed) as ``fmt`` or
    the format of the file extension: STL, 3MF, PLY and OBJ in millimetres for printing (OBJ
    with its .mtl and textures), GLB in metres and FBX in centimetres with textures embedded
    (see ``core.mesh.exportformats``). ``max_triangles`` decimates the written copy with Blender's
    Decimate, keeping UVs, colours and materials. Atomic; an existing file is replaced only
    with ``overwrite``, an input of the figure never. Returns path, format, unit, bytes, files
    and the triangles before/after."""
    from . import digital

    _require_mesh(obj)
    return digital.export(obj, path, fmt=fmt, max_triangles=max_triangles, overwrite=overwrite)


# -- local reconstruction -------------------------------------------------------------------
def finish_reconstruction(raw: TriMesh, resolution: int) -> TriMesh:
    """Make the reconstruction one clean shell: OpenVDB voxel remesh at a step finer than
    the hull grid (so no detail is lost), then drop silhouette-noise specks."""
    return clean_reconstruction(remesh.voxel_remesh(raw, reconstruction_voxel(resolution)), resolution)


def reconstruction_voxel(resolution: int) -> float:
    return 1.0 / (resolution * 1.5)


def clean_reconstruction(remeshed: TriMesh, resolution: int) -> TriMesh:
    """Any thread (numpy only): the remeshed reconstruction without specks and slivers."""
    voxel = reconstruction_voxel(resolution)
    clean, _specks = drop_small_parts(remeshed, 0.01)
    clean, _slivers = collapse_short_edges(clean, voxel * 0.02)
    return clean


def _require_mesh(obj):
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    if len(obj.data.polygons) == 0 and not obj.modifiers:
        raise BadInputError(f"'{obj.name}' has no faces", hint="select a mesh with geometry")
    return obj
