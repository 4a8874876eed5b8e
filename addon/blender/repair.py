# SPDX-License-Identifier: GPL-3.0-or-later
"""Print preparation in Blender: the engine adapter the core repair runs on, and the object
wrappers the operators call.

The repair itself is ``core.repair.pipeline``: steps on one numpy ``TriMesh``. This module
gives it :class:`BlenderEngine` — Blender's C-level tools on whole meshes (OpenVDB voxel
remesh, the Boolean and Decimate modifiers, bmesh hole filling) — and, for the panel, reads an
object once, runs a core step and writes the result back once (modifiers applied, transform
baked). Every measurement (health, intersections, distances) runs in the core.
"""

from __future__ import annotations

import functools

import bmesh
import bpy
import numpy as np
from mathutils import Matrix

from ..core.errors import BadInputError
from ..core.mesh.trimesh import TriMesh
from ..core.repair import check_triangle_budget, validate_mesh
from ..core.repair import bases, orient as core_orient
from ..core.repair import pipeline as core
from ..core.repair.nearest import distances_within
from ..core.printcheck.settings import PrintSettings
from . import meshio, remesh
from .degenerate import dissolve_degenerate

DEFAULT_SINK_MM = core.DEFAULT_SINK_MM
VOXEL_PER_HEIGHT = core.VOXEL_PER_HEIGHT
mesh_health = core.health
voxel_size_for = core.voxel_size_for


def _tidy(step):
    """Temporary objects (remesh, boolean, decimate) are removed from bpy.data, but the view
    layer keeps stale entries until it is updated; exporters iterating it would then meet a
    None. Update it whatever the outcome."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        finally:
            bpy.context.view_layer.update()

    return wrapper


# -- the engine -----------------------------------------------------------------------------
def available_boolean_solvers() -> list[str]:
    """The Boolean modifier's solvers in the running Blender (4.2-4.4: FAST, EXACT; 4.5+ also
    MANIFOLD), read from its RNA enum rather than found by trying."""
    prop = bpy.types.BooleanModifier.bl_rna.properties["solver"]
    return [item.identifier for item in prop.enum_items]  # type: ignore[attr-defined]


class _TempObject:
    """A temporary object holding triangles, removed (with its mesh) on exit."""

    def __init__(self, tm: TriMesh, name: str):
        self.obj = meshio.trimesh_to_object(tm, name)

    def __enter__(self):
        return self.obj

    def __exit__(self, *exc):
        mesh: bpy.types.Mesh = self.obj.data  # type: ignore[assignment]
        bpy.data.objects.remove(self.obj)
        bpy.data.meshes.remove(mesh)
        bpy.context.view_layer.update()  # drop the stale entry exporters would meet
        return False


def _without_slivers(mesh: TriMesh) -> TriMesh:
    """What a voxel remesh or a collapse hands back, less the triangles the print check would
    call degenerate (the repair works in mm at print size, as the check judges); twice the
    check's width, as the file is written in single precision, which may narrow a triangle
    just over the line to just under it. Not a boolean's result: the slivers where the
    figure's cut crosses a base's flat top lie in a straight line, and mending them there
    folded the seam (tried on the horse scan)."""
    return dissolve_degenerate(mesh, 2.0 * PrintSettings().degenerate_mm)[0]


class BlenderEngine:
    """``core.repair.pipeline.RepairEngine`` on Blender's tools: arrays in, arrays out."""

    def close_holes(self, mesh: TriMesh, weld_distance: float) -> tuple[TriMesh, dict]:
        return local_repair(mesh, weld_distance)

    def voxel_remesh(self, mesh: TriMesh, voxel_size: float) -> TriMesh:
        return _without_slivers(remesh.voxel_remesh(mesh, voxel_size))

    def boolean_solvers(self) -> list[str]:
        return available_boolean_solvers()

    def boolean(self, a: TriMesh, b: TriMesh, operation: str, solver: str) -> TriMesh:
        with _TempObject(a, "figurine_bool_a") as obj_a, _TempObject(b, "figurine_bool_b") as obj_b:
            mod = obj_a.modifiers.new("FigurineBoolean", "BOOLEAN")
            mod.operation = operation
            mod.solver = solver
            mod.object = obj_b
            return meshio.object_to_trimesh(obj_a, world=False)

    def decimate(self, mesh: TriMesh, target_triangles: int) -> TriMesh:
        with _TempObject(mesh, "figurine_decimate_tmp") as tmp:
            mod = tmp.modifiers.new("FigurineDecimate", "DECIMATE")
            mod.decimate_type = "COLLAPSE"
            mod.ratio = min(1.0, float(target_triangles) / max(len(mesh.triangles), 1))
            mod.use_collapse_triangulate = True
            return _without_slivers(meshio.object_to_trimesh(tmp, world=False))

    def distances_within(self, mesh: TriMesh, points: np.ndarray, radius: float) -> np.ndarray:
        return distances_within(mesh, points, radius)


ENGINE = BlenderEngine()


# -- object in, object out ------------------------------------------------------------------
def _figure(obj, name: str | None = None) -> TriMesh:
    """The object's evaluated triangles in world space, refused early when unusable."""
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    label = f"'{obj.name}'"
    # Polygons never outnumber triangles: refuse a huge mesh before evaluating anything.
    check_triangle_budget(len(obj.data.polygons), label)
    tm = meshio.object_to_trimesh(obj)
    validate_mesh(tm, label)
    return tm


def _write_back(obj, tm: TriMesh) -> None:
    """Replace the object's mesh with world-space triangles; the evaluated result already
    contains the modifiers, so they are removed and the transform reset."""
    meshio.replace_object_mesh(obj, tm)
    obj.modifiers.clear()
    obj.matrix_world = Matrix.Identity(4)
    obj.data.update()


def _to_bmesh(tm: TriMesh) -> bmesh.types.BMesh:
    mesh = meshio.trimesh_to_mesh(tm, "figurine_repair_tmp")
    bm = bmesh.new()
    bm.from_mesh(mesh)
    bpy.data.meshes.remove(mesh)
    return bm


def _from_bmesh(bm: bmesh.types.BMesh) -> TriMesh:
    mesh = bpy.data.meshes.new("figurine_repair_tmp")
    try:
        bm.to_mesh(mesh)
        return meshio.mesh_to_trimesh(mesh)
    finally:
        bpy.data.meshes.remove(mesh)


def local_repair(tm: TriMesh, weld_distance: float) -> tuple[TriMesh, dict]:
    """Detail-preserving fixes with bmesh operators over the whole mesh: weld split vertices,
    fill holes (new faces triangulated), drop degenerate faces, make normals consistent."""
    bm = _to_bmesh(tm)
    try:
        n_verts = len(bm.verts)
        bmesh.ops.remove_doubles(bm, verts=bm.verts[:], dist=weld_distance)
        welded = n_verts - len(bm.verts)
        bmesh.ops.dissolve_degenerate(bm, edges=bm.edges[:], dist=weld_distance)
        # holes_fill only acts on the boundary edges among those given, so all edges are
        # passed instead of a Python scan for boundaries.
        filled = bmesh.ops.holes_fill(bm, edges=bm.edges[:], sides=0)["faces"]
        if filled:
            bmesh.ops.triangulate(bm, faces=filled, quad_method="BEAUTY", ngon_method="BEAUTY")
        bmesh.ops.recalc_face_normals(bm, faces=bm.faces[:])
        out = _from_bmesh(bm)
    finally:
        bm.free()
    flipped_all = False
    if not out.is_empty and out.volume() < 0:  # recalc picked inward for a shape it could not judge
        out = TriMesh(out.vertices, out.triangles[:, ::-1])
        flipped_all = True
    return out, {"welded_vertices": int(welded), "holes_filled": len(filled), "turned_inside_out": flipped_all}


# -- orient ---------------------------------------------------------------------------------
@_tidy
def orient(obj, up: str = "AUTO", turn_quarters: int = 0) -> dict:
    """Upright, facing -Y, lowest point on z = 0 (see core.repair.orient for the rules)."""
    tm = _figure(obj)
    matrix, info = core_orient.upright_transform(tm, up, turn_quarters)
    _write_back(obj, core_orient.apply_transform(tm, matrix))
    return {"step": "orient", **info}


# -- make printable -------------------------------------------------------------------------
@_tidy
def make_printable(obj, *, mode: str = "AUTO", voxel_size_mm: float = 0.0, measure_deviation: bool = True,
                   max_triangles: int = core.DEFAULT_TRIANGLE_BUDGET,
                   limits: core.faithful.FaithfulnessLimits | None = None) -> dict:
    """One closed, consistently wound, self-intersection-free part, measured against the
    object as it was (scene units read as mm). A repair that lost part of the figure raises
    ``RepairLossError`` and leaves the object untouched."""
    tm = _figure(obj)
    options = core.RepairOptions(mode=mode.upper(), voxel_size_mm=voxel_size_mm, max_triangles=max_triangles,
                                 measure=measure_deviation, limits=limits or core.faithful.FaithfulnessLimits())
    mesh, steps, faith = core.printable(tm, ENGINE, options, name=f"'{obj.name}'")
    result = dict(next(s for s in steps if s["step"] == "make_printable"))
    result["after"] = core.health(mesh)
    result["steps"] = steps
    if faith is not None:
        result["faithfulness"] = {k: v for k, v in faith.items() if k != "deviation"}
    _write_back(obj, mesh)
    if not result["after"]["watertight"]:
        result["warning"] = "the result is still not watertight; try mode VOXEL or a smaller voxel size"
    elif result["after"]["parts"] > 1:
        result["warning"] = f"{result['after']['parts']} separate parts remain (large pieces are kept); join them or add a base"
    return result


@_tidy
def add_base(obj, base: str | bases.BaseSpec = "round32", *, sink_mm: float = DEFAULT_SINK_MM,
             method: str = "AUTO", voxel_size_mm: float = 0.0) -> dict:
    """Put the figure on a base and fuse both into one watertight shell (base bottom on z = 0)."""
    spec = bases.parse_preset(base) if isinstance(base, str) else base.validated()
    figure = _figure(obj)
    try:
        fused, result = core.add_base(figure, ENGINE, spec, sink_mm=sink_mm, method=method, voxel_size_mm=voxel_size_mm)
    except BadInputError as exc:
        if "not watertight" in exc.message:
            raise BadInputError(f"'{obj.name}' is not watertight", hint=exc.hint) from None
        raise
    _write_back(obj, fused)
    return result


@_tidy
def hollow(obj, wall_mm: float = 1.5, drain_mm: float = 2.0) -> dict:
    """Hollow for resin printing: walls of at least ``wall_mm``, drain holes of ``drain_mm``
    through the floor of each cavity. The volume saving is measured on the result."""
    figure = _figure(obj)
    out, result = core.hollow(figure, ENGINE, wall_mm, drain_mm)
    if result["changed"]:
        _write_back(obj, out)
    return result


@_tidy
def decimate(obj, target_triangles: int) -> dict:
    """Collapse-decimate to about ``target_triangles`` (for games and the web); reports the
    deviation from the full mesh so the silhouette loss is visible."""
    if not (isinstance(target_triangles, (int, np.integer)) and 100 <= int(target_triangles) <= 50_000_000):
        raise BadInputError(f"target of {target_triangles} triangles is out of range", hint="use 100 or more")
    figure = _figure(obj)
    out, result = core.decimate(figure, ENGINE, int(target_triangles))
    if result["changed"]:
        _write_back(obj, out)
    return result
