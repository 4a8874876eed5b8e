# SPDX-License-Identifier: GPL-3.0-or-later
"""Print-check findings in Blender: run the core checks on an object, keep the results, select
a finding's elements in Edit Mode and paint the thickness map, all through foreach_get/set.

Findings live in a module-level cache keyed by object name (no scene properties): they are
derived data, recomputed by the check operator, and would only bloat the .blend.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np

from ..core import printcheck
from ..core.errors import BadInputError
from ..core.mesh.trimesh import TriMesh
from . import meshio

THICKNESS_ATTRIBUTE = "figurine_thickness"

# Display names and what they select, in panel order.
FINDINGS = (
    ("non_manifold_edges", "Non-manifold edges"),
    ("flipped_edges", "Flipped edges"),
    ("intersecting_faces", "Intersecting faces"),
    ("degenerate_faces", "Degenerate faces"),
    ("degenerate_edges", "Degenerate edges"),
    ("distorted_faces", "Distorted faces"),
    ("thin_faces", "Thin walls"),
    ("fragile_faces", "Fragile protrusions"),
    ("sharp_edges", "Sharp edges"),
    ("overhang_faces", "Overhangs"),
    ("floating_part_faces", "Floating parts"),
    ("tiny_part_faces", "Tiny parts"),
)


# The report's check each finding belongs to (its pass/fail verdict), where the names differ.
CHECK_OF_FINDING = {"fragile_faces": "fragile_protrusions", "floating_part_faces": "floating_parts",
                    "tiny_part_faces": "tiny_parts"}
# What a finding means for the print, where the name alone does not say it.
FINDING_ADVICE = {"overhang_faces": "needs supports", "thin_faces": "may break or not print",
                  "fragile_faces": "may snap off", "sharp_edges": "knife edges"}


def verdict(result: "ObjectFindings", finding: str) -> str:
    """"fail", "warn" (reported, does not fail this printer) or "ok" for one finding row."""
    check = CHECK_OF_FINDING.get(finding, finding)
    if check in result.report.get("failures", ()):
        return "fail"
    if check in result.report.get("warnings", ()):
        return "warn"
    return "ok"


def element_count(result: "ObjectFindings", finding: str) -> int:
    elements = result.faces.get(finding) if finding in result.faces else result.edges.get(finding)
    return 0 if elements is None else int(len(elements))


@dataclass
class ObjectFindings:
    report: dict
    faces: dict  # finding -> polygon indices of the object's mesh
    edges: dict  # finding -> edge indices of the object's mesh
    vertex_thickness: np.ndarray


_CACHE: dict[str, ObjectFindings] = {}


def get(obj_name: str) -> ObjectFindings | None:
    return _CACHE.get(obj_name)


def clear(obj_name: str | None = None) -> None:
    if obj_name is None:
        _CACHE.clear()
    else:
        _CACHE.pop(obj_name, None)


@dataclass
class CheckInput:
    """What a check needs from an object, read on the main thread as plain arrays."""

    name: str
    mesh: TriMesh  # world coordinates, the object's own vertex indices
    polygon_of_triangle: np.ndarray
    edge_keys: np.ndarray  # each edge of the mesh as min(v) * n + max(v)
    n_vertices: int
    n_polygons: int
    n_edges: int


def read_object(obj) -> CheckInput:
    """Main thread: the object's triangles, their polygons and its edges."""
    if obj is None or obj.type != "MESH":
        raise BadInputError("no mesh object selected", hint="select the figure (a mesh object) first")
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    mesh = obj.data
    tm, poly = meshio.object_triangles(obj)
    if tm.is_empty:
        raise BadInputError(f"'{obj.name}' has no faces", hint="select a mesh with geometry")
    ev = np.empty(len(mesh.edges) * 2, np.int32)
    mesh.edges.foreach_get("vertices", ev)
    ev = ev.reshape(-1, 2).astype(np.int64)
    n = max(len(mesh.vertices), 1)
    keys = np.minimum(ev[:, 0], ev[:, 1]) * n + np.maximum(ev[:, 0], ev[:, 1])
    return CheckInput(obj.name, tm, poly, keys, len(mesh.vertices), len(mesh.polygons), len(mesh.edges))


def analyze(data: CheckInput, height_mm: float | None, settings: printcheck.PrintSettings,
            ctl=None) -> ObjectFindings:
    """Any thread (no bpy): run the checks and express the findings in the object's own
    polygon and edge indices. ``ctl`` is a task control (progress, check_cancel) or None."""
    from ..core.mesh.load import analysis_weld_map

    # Judged welded, as the CLI's import judges it (a textured import keeps its UV seams split
    # in the object); findings are mapped back to the object's own vertices and edges.
    first, to_welded, _grid = analysis_weld_map(data.mesh.vertices, len(data.mesh.triangles))
    tm, poly = TriMesh(data.mesh.vertices[first], to_welded[data.mesh.triangles]), data.polygon_of_triangle
    if height_mm:
        tm = printcheck.scale_to_height(tm, height_mm)
    if ctl is not None:
        ctl.progress(0.1, f"checking {len(tm.triangles)} triangles")
    def step(fraction: float, name: str) -> None:  # each check as it finishes: 0.1 .. 0.9
        ctl.progress(0.1 + 0.8 * fraction, f"checked {name.replace('_', ' ')}")

    analysis = printcheck.analyze(tm, settings, polygon_of_triangle=poly, progress=step if ctl is not None else None)
    if ctl is not None:
        ctl.check_cancel()
        ctl.progress(0.9, "listing the findings")
    report = analysis.report
    if height_mm:
        report["height_mm"] = float(height_mm)
    n_obj, n = max(data.n_vertices, 1), max(len(tm.vertices), 1)
    a, b = to_welded[data.edge_keys // n_obj], to_welded[data.edge_keys % n_obj]
    keys = np.minimum(a, b) * n + np.maximum(a, b)  # the object's edges in welded numbering
    order = np.argsort(keys)
    sorted_keys = keys[order]
    faces, edges = {}, {}
    for name, _label in FINDINGS:
        idx = analysis.elements[name]
        if printcheck.FINDING_KINDS[name] == "face":
            faces[name] = np.unique(poly[idx]) if len(idx) else np.zeros(0, np.int64)
        else:
            pairs = analysis.edges[idx]
            k = pairs[:, 0] * n + pairs[:, 1]
            pos = np.clip(np.searchsorted(sorted_keys, k), 0, max(len(order) - 1, 0))
            found = (sorted_keys[pos] == k) if len(order) else np.zeros(len(k), bool)
            # Every object edge on a welded edge (a seam has two): match the whole run of equal keys.
            lo = np.searchsorted(sorted_keys, k[found], side="left")
            hi = np.searchsorted(sorted_keys, k[found], side="right")
            count = hi - lo
            within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
            edges[name] = np.unique(order[np.repeat(lo, count) + within])
    return ObjectFindings(report=report, faces=faces, edges=edges,
                          vertex_thickness=analysis.vertex_thickness[to_welded])


def store(data: CheckInput, result: ObjectFindings, settings: printcheck.PrintSettings) -> None:
    """Main thread: keep the findings and paint the thickness map, if the object is still
    the one that was read."""
    obj = bpy.data.objects.get(data.name)
    if obj is None or obj.type != "MESH":
        raise BadInputError(f"'{data.name}' was removed or renamed while it was checked", hint="check it again")
    was_edit = obj.mode == "EDIT"
    if was_edit:
        obj.update_from_editmode()
    mesh = obj.data
    if (len(mesh.vertices), len(mesh.polygons), len(mesh.edges)) != (data.n_vertices, data.n_polygons, data.n_edges):
        raise BadInputError(f"'{data.name}' was edited while it was checked", hint="run Check Print again")
    _CACHE[data.name] = result
    with bpy.context.temp_override(active_object=obj, object=obj):
        if was_edit:  # the colours go into the mesh data, which Edit Mode would overwrite
            bpy.ops.object.mode_set(mode="OBJECT")
        write_thickness_attribute(obj, result.vertex_thickness, settings.probe_mm, settings.min_wall_mm)
        if was_edit:
            bpy.ops.object.mode_set(mode="EDIT")


def analyze_object(obj, height_mm: float | None, settings: printcheck.PrintSettings) -> ObjectFindings:
    """The whole check on the main thread: read, analyse, store."""
    data = read_object(obj)
    result = analyze(data, height_mm, settings)
    store(data, result, settings)
    return result


def write_thickness_attribute(obj, vertex_thickness: np.ndarray, probe_mm: float, min_wall_mm: float) -> None:
    """Paint the thickness map as a point colour attribute: red below the minimum wall,
    through yellow, to green at the probe distance (and beyond)."""
    mesh = obj.data
    attrs = mesh.color_attributes
    if THICKNESS_ATTRIBUTE in attrs:
        attrs.remove(attrs[THICKNESS_ATTRIBUTE])
    attr = attrs.new(THICKNESS_ATTRIBUTE, "FLOAT_COLOR", "POINT")
    t = np.asarray(vertex_thickness, dtype=np.float64)
    span = max(probe_mm - min_wall_mm, 1e-9)
    x = np.clip((t - min_wall_mm) / span, 0.0, 1.0)  # 0 at (and under) the minimum, 1 at the probe
    rgba = np.empty((len(t), 4), np.float32)
    rgba[:, 0] = np.where(x < 0.5, 1.0, 2.0 * (1.0 - x))
    rgba[:, 1] = np.where(t < min_wall_mm, 0.0, np.where(x < 0.5, 2.0 * x, 1.0))
    rgba[:, 2] = 0.0
    rgba[:, 3] = 1.0
    attr.data.foreach_set("color", rgba.ravel())
    attrs.active_color = attr
    mesh.update()


def _write_flags(mesh, name: str, domain: str, values: np.ndarray) -> None:
    old = mesh.attributes.get(name)
    if old is not None:
        mesh.attributes.remove(old)
    attr = mesh.attributes.new(name, "BOOLEAN", domain)
    attr.data.foreach_set("value", np.ascontiguousarray(values, dtype=bool))


def select_elements(obj, faces: np.ndarray | None = None, edges: np.ndarray | None = None) -> int:
    """Select exactly these polygons / edges (and their vertices) and enter Edit Mode.

    Selection flags are written with foreach_set in Object Mode, then Edit Mode picks them up."""
    if bpy.context.view_layer.objects.active is not obj:
        bpy.context.view_layer.objects.active = obj
    if obj.mode == "EDIT":
        bpy.ops.object.mode_set(mode="OBJECT")
    mesh = obj.data
    nv, ne, npoly = len(mesh.vertices), len(mesh.edges), len(mesh.polygons)
    vsel = np.zeros(nv, dtype=bool)
    esel = np.zeros(ne, dtype=bool)
    psel = np.zeros(npoly, dtype=bool)
    ev = np.empty(ne * 2, np.int32)
    mesh.edges.foreach_get("vertices", ev)
    ev = ev.reshape(-1, 2)
    if faces is not None and len(faces):
        psel[faces] = True
        loop_start = np.empty(npoly, np.int32)
        loop_total = np.empty(npoly, np.int32)
        mesh.polygons.foreach_get("loop_start", loop_start)
        mesh.polygons.foreach_get("loop_total", loop_total)
        loop_v = np.empty(len(mesh.loops), np.int32)
        mesh.loops.foreach_get("vertex_index", loop_v)
        loop_e = np.empty(len(mesh.loops), np.int32)
        mesh.loops.foreach_get("edge_index", loop_e)
        in_sel = np.repeat(psel, loop_total)
        vsel[loop_v[in_sel]] = True
        esel[loop_e[in_sel]] = True
    if edges is not None and len(edges):
        esel[edges] = True
        vsel[ev[edges].ravel()] = True
    # Selection lives in boolean attributes; writing them is one buffer copy each. (In bpy
    # 5.0.1 ``edges.foreach_set("select")`` crashes and the existing ".select_edge" rejects a
    # correctly sized buffer, so the attributes are recreated.)
    _write_flags(mesh, ".select_vert", "POINT", vsel)
    _write_flags(mesh, ".select_edge", "EDGE", esel)
    _write_flags(mesh, ".select_poly", "FACE", psel)
    mesh.update()
    # The select mode must match before Edit Mode loads the flags: in vertex mode, selected
    # vertices would pull in every face around them.
    face_mode = faces is not None and len(faces) > 0
    bpy.context.tool_settings.mesh_select_mode = (False, not face_mode, face_mode)
    bpy.ops.object.mode_set(mode="EDIT")
    return int(psel.sum() if faces is not None and len(faces) else esel.sum())
