# SPDX-License-Identifier: GPL-3.0-or-later
"""The repair as a sequence of core steps on one numpy ``TriMesh`` (millimetres at print size).

    refuse degenerate input -> weld -> scale -> clean (specks, after the weld) -> close holes
    -> remesh (when the local fix is not clean) -> simplify to the triangle budget
    -> measure faithfulness (fail past the limits) -> base -> hollow -> decimate -> health

Blender is used only as an engine, through the narrow :class:`RepairEngine` the host passes in
(OpenVDB voxel remesh, boolean modifier, Decimate, bmesh hole filling); every measurement runs
here on arrays: edge counts, parts, self-intersections (``printcheck.spatial``), distances
(``nearest.SurfaceGrid``), volumes and silhouettes (``faithful``). The operators and
``figurine repair`` both call :func:`repair` (or its single steps).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Iterable, Protocol

import numpy as np

from ..errors import BadInputError, FigurineError
from ..mesh.trimesh import TriMesh, shell_count
from . import bases, contact, faithful
from . import hollow as core_hollow
from . import drop_floating_bits, edge_report, validate_mesh

# Voxel size per mm of print height: 32 mm -> 0.04 mm, what a resin printer (~0.035-0.05 mm
# pixels) resolves; raised when the surface would not fit the triangle budget.
VOXEL_PER_HEIGHT = 0.04 / 32.0
VOXEL_MIN_MM, VOXEL_MAX_MM = 0.02, 0.5
# A 32 mm figure needs no more triangles than this: slicers and printers resolve nothing finer.
DEFAULT_TRIANGLE_BUDGET = 1_000_000
DEFAULT_SINK_MM = 0.4
# The boolean solvers worth using, best first. FAST is not: it fails on touching and
# coplanar faces, which every fuse of a figure into a base has.
SOLVER_PREFERENCE = ("MANIFOLD", "EXACT")


class RepairEngine(Protocol):
    """What the repair needs from a host that has the tools (Blender): arrays in, arrays out."""

    def close_holes(self, mesh: TriMesh, weld_distance: float) -> tuple[TriMesh, dict]: ...

    def voxel_remesh(self, mesh: TriMesh, voxel_size: float) -> TriMesh: ...

    def boolean_solvers(self) -> list[str]: ...

    def boolean(self, a: TriMesh, b: TriMesh, operation: str, solver: str) -> TriMesh: ...

    def decimate(self, mesh: TriMesh, target_triangles: int) -> TriMesh: ...

    def distances_within(self, mesh: TriMesh, points: np.ndarray, radius: float) -> np.ndarray: ...


def preferred_solvers(available: Iterable[str]) -> list[str]:
    """The boolean solvers to try, best first, among those the running host offers
    (Blender 4.2-4.4: FAST and EXACT; 4.5+: MANIFOLD too)."""
    offered = set(available)
    usable = [s for s in SOLVER_PREFERENCE if s in offered]
    if not usable:
        raise FigurineError(f"no usable boolean solver (this Blender offers {', '.join(sorted(offered)) or 'none'})",
                            hint="use Blender 4.2 or newer")
    return usable


@dataclass
class RepairOptions:
    height_mm: float | None = None  # None: the mesh is already in mm at its print size
    mode: str = "AUTO"  # AUTO (local fix when clean, else voxel), LOCAL, VOXEL
    voxel_size_mm: float = 0.0  # 0: from the height and the triangle budget
    max_triangles: int = DEFAULT_TRIANGLE_BUDGET
    base: bases.BaseSpec | None = None
    sink_mm: float = DEFAULT_SINK_MM
    fuse_method: str = "AUTO"
    hollow_wall_mm: float | None = None
    drain_mm: float = 2.0
    decimate_to: int | None = None  # a digital target after the print steps
    limits: faithful.FaithfulnessLimits = field(default_factory=faithful.FaithfulnessLimits)
    measure: bool = True


@dataclass
class RepairResult:
    mesh: TriMesh
    steps: list[dict]
    faithfulness: dict | None
    final: dict

    @property
    def step(self) -> dict:
        return {s["step"]: s for s in self.steps}


# -- measurements ---------------------------------------------------------------------------
def intersecting_face_count(mesh: TriMesh) -> int:
    """Faces crossing other faces, by the print checks' engine (one sweep, exact tests)."""
    from ..printcheck.spatial import self_intersections

    if len(mesh.triangles) < 2:
        return 0
    pairs = self_intersections(mesh.vertices, mesh.triangles)
    return int(len(np.unique(pairs))) if len(pairs) else 0


def health(mesh: TriMesh, *, intersections: bool = True) -> dict:
    edges = edge_report(mesh)
    out = {"triangles": int(len(mesh.triangles)), "non_manifold_edges": edges["non_manifold_edges"],
           "parts": shell_count(mesh), "consistent_normals": edges["consistent_normals"],
           "volume_mm3": round(mesh.volume(), 4)}
    if intersections:
        out["intersecting_faces"] = intersecting_face_count(mesh)
    out["watertight"] = bool(out["non_manifold_edges"] == 0 and out["consistent_normals"] and out["volume_mm3"] > 0
                             and out.get("intersecting_faces", 0) == 0)
    return out


# -- steps ----------------------------------------------------------------------------------
def refuse_degenerate(mesh: TriMesh, name: str = "the mesh") -> None:
    """Refuse what no repair can make a figure of, as ``check`` refuses it (exit 2): no faces,
    bad coordinates, no size, flat (one triangle, a plane), no surface."""
    validate_mesh(mesh, name)
    used = mesh.vertices[np.unique(mesh.triangles)]
    size = float(np.ptp(used, axis=0).max())
    if len(used) < 4:
        raise BadInputError(f"{name} is flat: {len(mesh.triangles)} triangle(s) on {len(used)} vertices enclose nothing",
                            hint="give a 3D figure (a closed or nearly closed surface)")
    centred = used - used.mean(axis=0)
    if len(centred) > 200_000:
        centred = centred[:: len(centred) // 200_000 + 1]
    thickness = float(np.linalg.svd(centred, compute_uv=False)[-1]) / np.sqrt(len(centred))
    if thickness <= 1e-5 * size:
        raise BadInputError(f"{name} is flat (all its faces lie in one plane), so it has no volume to print",
                            hint="give a 3D figure; a flat mesh cannot be repaired into one")
    if float(mesh.face_areas().sum()) <= 1e-9 * size * size:
        raise BadInputError(f"{name} has no surface (all faces are degenerate)", hint="re-export the model")


def weld(mesh: TriMesh) -> tuple[TriMesh, dict]:
    """Split vertices (UV seams, STL corners) merged by position, before anything counts parts."""
    from ..mesh.load import weld_for_analysis

    before = len(mesh.vertices)
    welded, tol = weld_for_analysis(mesh)
    welded = welded.drop_degenerate_indices()
    return welded, {"step": "weld", "vertices_before": before, "vertices_after": int(len(welded.vertices)),
                    "tolerance": tol}


def scale_to_height(mesh: TriMesh, height_mm: float | None) -> tuple[TriMesh, dict]:
    """Uniform scale to ``height_mm`` (Z), lowest point on z = 0, footprint centred."""
    lo, hi = mesh.bounds()
    if height_mm is None:
        factor = 1.0
    else:
        if not (np.isfinite(height_mm) and 1.0 <= height_mm <= 2000.0):
            raise BadInputError(f"height {height_mm} mm is out of range", hint="use 1 to 2000 mm")
        if hi[2] - lo[2] <= 0:
            raise BadInputError("the mesh is flat (no height along Z)", hint="stand the figure up (--orient)")
        factor = float(height_mm) / float(hi[2] - lo[2])
    centre = (lo + hi) / 2
    offset = np.array([-centre[0], -centre[1], -lo[2]]) * factor
    out = mesh.transformed(factor, offset)
    return out, {"step": "scale", "scale_factor": factor, "size_mm": [round(float(x), 4) for x in out.size()]}


def remove_specks(mesh: TriMesh, *, isolated_only: bool = True) -> tuple[TriMesh, dict]:
    """Floating bits that are tiny next to the largest part (volume and area), judged on the
    welded mesh: before the weld every triangle of a split GLB is its own 'part'.

    A small part whose box touches a large one may be a shell pushed into the body (an ear, a
    buckle) that the remesh merges, so it stays — unless every part is already closed and
    nothing crosses anything: then a tiny part is a speck beside the figure."""
    kept, removed = drop_floating_bits(mesh, isolated_only=isolated_only)
    if isolated_only and shell_count(kept) > 1 and health(kept)["watertight"]:
        kept, apart = drop_floating_bits(kept)
        removed += apart
    return kept, {"step": "clean", "removed_parts": int(removed)}


def voxel_size_for(mesh: TriMesh, height_mm: float | None = None,
                   max_triangles: int = DEFAULT_TRIANGLE_BUDGET) -> tuple[float, str]:
    """Voxel size (mesh units) for a figure printed ``height_mm`` tall (default: its height),
    raised so the remesh fits the triangle budget (about two triangles per voxel face)."""
    size = mesh.size()
    height = float(size[2]) if size[2] > 0 else float(size.max())
    print_height = float(height_mm) if height_mm else height
    units_per_mm = height / print_height
    mm = float(np.clip(print_height * VOXEL_PER_HEIGHT, VOXEL_MIN_MM, VOXEL_MAX_MM))
    reason = f"{mm:.3f} mm for a {print_height:.1f} mm print"
    area_mm2 = float(mesh.face_areas().sum()) / units_per_mm ** 2
    # A remesh has about 2.4 triangles per voxel face of surface; aim at 90 % of the budget so
    # the result fits without a Decimate pass.
    needed = float(np.sqrt(2.4 * area_mm2 / (0.9 * max(max_triangles, 1))))
    if needed > mm:
        reason = (f"{needed:.3f} mm (raised from {mm:.3f} mm so the {area_mm2:.0f} mm² surface fits "
                  f"{max_triangles:,} triangles)")
        mm = needed
    return mm * units_per_mm, reason


def _remesh(engine: RepairEngine, mesh: TriMesh, vs: float) -> TriMesh:
    """OpenVDB remesh, then the coincident vertices it emits where two sheets touch at a point
    are welded (unwelded, those faces count as intersecting each other)."""
    from ..mesh.weld import weld_arrays

    out = engine.voxel_remesh(mesh, vs)
    if out.is_empty:
        return out
    return TriMesh(*weld_arrays(out.vertices, out.triangles)).drop_degenerate_indices()


def make_printable(mesh: TriMesh, engine: RepairEngine, *, mode: str = "AUTO", voxel_size_mm: float = 0.0,
                   height_mm: float | None = None, max_triangles: int = DEFAULT_TRIANGLE_BUDGET) -> tuple[TriMesh, dict]:
    """One closed, consistently wound, self-intersection-free part (mesh in mm).

    Holes are closed first in every case (the remesh's inside/outside flood fill would leak
    through them). AUTO keeps that local fix when it is clean and one part; otherwise (or with
    VOXEL) the closed mesh is voxel remeshed at a size that fits the triangle budget."""
    mode = mode.upper()
    if mode not in ("AUTO", "LOCAL", "VOXEL"):
        raise BadInputError(f"unknown repair mode '{mode}'", hint="use AUTO, LOCAL or VOXEL")
    started = time.perf_counter()
    before = health(mesh)
    weld_distance = float(mesh.size().max()) * 1e-6
    fixed, local = engine.close_holes(mesh, weld_distance)
    if fixed.is_empty:
        raise BadInputError("nothing is left of the mesh after removing its degenerate faces",
                            hint="give a 3D figure")
    state = health(fixed)
    removed = 0
    info: dict = {"step": "make_printable", "method": "local", **local, "before": before}
    closed = fixed
    if mode == "VOXEL" or (mode == "AUTO" and not (state["watertight"] and state["parts"] == 1)):
        if voxel_size_mm > 0:
            vs, reason = float(voxel_size_mm), f"{voxel_size_mm:.3f} mm (given)"
        else:
            vs, reason = voxel_size_for(fixed, height_mm, max_triangles)
        t0 = time.perf_counter()
        fixed = _remesh(engine, fixed, vs)
        if fixed.is_empty:
            raise FigurineError("the voxel remesh produced nothing",
                                hint="the figure may be thinner than a voxel; use a smaller voxel size (--voxel)")
        fixed, specks = drop_floating_bits(fixed)
        removed += specks
        info.update({"method": "voxel", "voxel_size_mm": round(vs, 5), "voxel_size_reason": reason,
                     "remesh_seconds": round(time.perf_counter() - t0, 3)})
        state = health(fixed, intersections=False)
    info["removed_parts"] = removed
    info["after"] = state
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["_closed"] = closed  # the input with its holes closed: the solid the figure was
    return fixed, info


def simplify(mesh: TriMesh, engine: RepairEngine, max_triangles: int) -> tuple[TriMesh, dict]:
    """Down to the triangle budget (Blender's Decimate) before base and hollowing see it."""
    n = len(mesh.triangles)
    if n <= max_triangles:
        return mesh, {"step": "simplify", "changed": False, "triangles": n, "budget": int(max_triangles)}
    t0 = time.perf_counter()
    out = engine.decimate(mesh, int(max_triangles * 0.98))
    return out, {"step": "simplify", "changed": True, "triangles_before": n, "triangles": int(len(out.triangles)),
                 "budget": int(max_triangles), "seconds": round(time.perf_counter() - t0, 3)}


def _union(engine: RepairEngine, a: TriMesh, b: TriMesh, vs: float, method: str,
           max_triangles: int = DEFAULT_TRIANGLE_BUDGET) -> tuple[TriMesh, str, dict]:
    """One watertight shell from two overlapping closed parts: the best boolean solver the host
    has keeps every original triangle; if its result is not clean, a voxel union at ``vs``.

    Where the figure's surface crosses the base's top, a boolean's new vertices (stored in
    single precision) can leave a few sliver faces that cross; moving ``a`` by a hundredth of
    a millimetre changes where those cuts fall, so each solver is tried at a few such offsets."""
    if method in ("AUTO", "BOOLEAN"):
        scale = float(np.linalg.norm(a.size())) * 4e-4
        for solver in preferred_solvers(engine.boolean_solvers()):
            for nudge in ((0.0, 0.0, 0.0), (0.31, 0.17, -0.23), (-0.21, 0.33, 0.13)):
                try:
                    out = engine.boolean(a.transformed(1.0, np.asarray(nudge) * scale), b, "UNION", solver)
                except (RuntimeError, FigurineError):
                    break
                state = health(out)
                if state["watertight"] and state["parts"] == 1:
                    return out, f"boolean ({solver.lower()})", state
        if method == "BOOLEAN":
            raise FigurineError("the boolean union did not give one clean shell",
                                hint="run Make Printable on the figure first, or use the voxel method")
    merged = TriMesh(np.concatenate([a.vertices, b.vertices]), np.concatenate([a.triangles, b.triangles + len(a.vertices)]))
    if vs <= 0:
        vs = voxel_size_for(merged, None, max_triangles)[0]
    out, _ = drop_floating_bits(_remesh(engine, merged, vs))
    return out, "voxel", health(out)


# The feet must run this much longer one way than the other for an oval to be turned.
OVAL_TURN_RATIO = 1.3


def oval_along_feet(spec: bases.BaseSpec, span) -> tuple[bases.BaseSpec, bool]:
    """An oval base lies along the figure's feet: a horse's hooves run front to back (Y), so
    "oval60x35" (60 mm along X) would sit across it. Turned a quarter (width and depth swapped)
    when the feet's extent (X, Y) runs clearly longer along the oval's short side; a person's
    feet, side by side, keep it as given."""
    if spec.kind != "oval" or spec.width == spec.depth:
        return spec, False
    along_long, along_short = (span[0], span[1]) if spec.width > spec.depth else (span[1], span[0])
    if along_short > OVAL_TURN_RATIO * along_long:
        return replace(spec, width=spec.depth, depth=spec.width), True
    return spec, False


def add_base(mesh: TriMesh, engine: RepairEngine, spec: bases.BaseSpec, *, sink_mm: float = DEFAULT_SINK_MM,
             method: str = "AUTO", voxel_size_mm: float = 0.0,
             max_triangles: int = DEFAULT_TRIANGLE_BUDGET) -> tuple[TriMesh, dict]:
    """The figure on a base, fused into one watertight shell; base bottom on z = 0."""
    method = method.upper()
    if method not in ("AUTO", "BOOLEAN", "VOXEL"):
        raise BadInputError(f"unknown fuse method '{method}'", hint="use AUTO, BOOLEAN or VOXEL")
    spec = spec.validated()
    if not (np.isfinite(sink_mm) and 0.0 < sink_mm <= spec.thickness):
        raise BadInputError(f"sink depth {sink_mm} mm is out of range",
                            hint=f"use more than 0 and at most the base thickness ({spec.thickness:g} mm)")
    started = time.perf_counter()
    state = health(mesh, intersections=False)
    if state["non_manifold_edges"] or not state["consistent_normals"]:
        raise BadInputError(f"the figure is not watertight ({state['non_manifold_edges']} open or non-manifold edges)",
                            hint="run Make Printable before adding a base")
    lo, hi = mesh.bounds()
    v = mesh.vertices
    feet = v[v[:, 2] <= lo[2] + 0.05 * (hi[2] - lo[2])]
    centre = (feet[:, :2].min(axis=0) + feet[:, :2].max(axis=0)) / 2.0
    spec, turned = oval_along_feet(spec, feet[:, :2].max(axis=0) - feet[:, :2].min(axis=0))
    top = spec.thickness + spec.texture
    placed = mesh.transformed(1.0, (-centre[0], -centre[1], top - sink_mm - lo[2]))
    base_mesh = bases.make_base(spec)
    reach = contact.feet_contact(placed, spec, spec.thickness)
    fused, used, after = _union(engine, placed, base_mesh, voxel_size_mm, method, max_triangles)
    out_lo, out_hi = fused.bounds()
    info = {"step": "add_base", "base": {"kind": spec.kind, "width_mm": spec.width, "depth_mm": spec.depth,
                                         "thickness_mm": spec.thickness, "bevel_mm": spec.bevel,
                                         "texture_mm": spec.texture},
            "sink_mm": float(sink_mm), "method": used, **reach, "after": after,
            **({"turned": f"the oval turned to lie along the feet: {spec.width:g} x {spec.depth:g} mm"}
               if turned else {}),
            "size_mm": [round(float(x), 4) for x in out_hi - out_lo], "seconds": round(time.perf_counter() - started, 3)}
    if not reach["feet_reach_base"]:
        info["warning"] = reach["message"]
    return fused, info


def hollow(mesh: TriMesh, engine: RepairEngine, wall_mm: float = 1.5, drain_mm: float = 2.0) -> tuple[TriMesh, dict]:
    """Hollow for resin printing: walls of at least ``wall_mm``, drain holes of ``drain_mm``."""
    if not (np.isfinite(wall_mm) and 0.3 <= wall_mm <= 20.0):
        raise BadInputError(f"wall thickness {wall_mm} mm is out of range", hint="use 0.3 to 20 mm (resin: 1.5–2.5)")
    if not (np.isfinite(drain_mm) and (drain_mm == 0 or 0.5 <= drain_mm <= 10.0)):
        raise BadInputError(f"drain hole diameter {drain_mm} mm is out of range", hint="use 0 (none) or 0.5 to 10 mm")
    started = time.perf_counter()
    state = health(mesh, intersections=False)
    if state["non_manifold_edges"] or state["volume_mm3"] <= 0:
        raise BadInputError("the figure is not watertight", hint="run Make Printable before hollowing")
    extra: list = []
    result_mesh = cutter_mesh = None
    used, after = "", {}
    cutter = None
    for _attempt in range(3):
        try:
            cutter = core_hollow.cavity_cutter(mesh, wall_mm, drain_mm, within_fn=engine.distances_within,
                                               extra_drains=extra)
        except core_hollow.NoCleanDrain as why:
            return mesh, {"step": "hollow", "changed": False, "wall_mm": wall_mm,
                          "message": f"{why}: the figure stays solid (a sealed hollow would trap resin)"}
        if cutter is None:
            return mesh, {"step": "hollow", "changed": False, "wall_mm": wall_mm,
                          "message": f"no part of the figure is thicker than twice the {wall_mm:g} mm wall; nothing to hollow"}
        result_mesh, used, after, cutter_mesh = _subtract_cutter(engine, mesh, cutter)
        sealed = sealed_voids(result_mesh)
        if not sealed or drain_mm == 0:
            break
        extra += sealed  # a void the drains missed: drill from its lowest point too
    assert result_mesh is not None and cutter_mesh is not None and cutter is not None
    saving = core_hollow.volume_saving(mesh, result_mesh)
    sealed = sealed_voids(result_mesh)
    cv = cutter_mesh.vertices
    in_pipe = np.zeros(len(cv), bool)
    for d in cutter.drains:
        in_pipe |= (np.hypot(cv[:, 0] - d["x"], cv[:, 1] - d["y"]) <= d["diameter"] / 2 + 2 * cutter.spacing)
    from .nearest import SurfaceGrid

    walls = SurfaceGrid(mesh).nearest(cv[~in_pipe])[0] if (~in_pipe).any() else np.zeros(0)
    info = {"step": "hollow", "changed": True, "wall_mm": wall_mm, "drain_mm": drain_mm, "boolean": used,
            "grid_step_mm": round(cutter.spacing, 4), "cavities": cutter.cavities, "drains": cutter.drains,
            "min_wall_measured_mm": round(float(walls.min()), 4) if len(walls) else None,
            "sealed_voids": len(sealed), **saving, "after": after, "seconds": round(time.perf_counter() - started, 3)}
    if sealed:
        info["warning"] = f"{len(sealed)} hollow space(s) have no drain hole and would trap resin"
    return result_mesh, info


def _subtract_cutter(engine: RepairEngine, figure: TriMesh, cutter) -> tuple:
    # Surface nets can leave a non-manifold spot; a remesh at half the grid step cleans the
    # cutter (its inside faces are never seen, so the coarse surface costs nothing).
    cutter_mesh = engine.voxel_remesh(cutter.mesh, cutter.spacing * 0.5)
    # Where a drain pipe meets the outer surface at a grazing angle a boolean can leave sliver
    # faces that cross; the cutter is nudged by a fraction of a grid step and the cut repeated.
    solvers = preferred_solvers(engine.boolean_solvers())
    for nudge in ((0.0, 0.0, 0.0), (0.043, 0.031, 0.057), (-0.037, 0.049, -0.029), (0.061, -0.053, 0.041)):
        moved = cutter_mesh.transformed(1.0, np.asarray(nudge) * cutter.spacing)
        for solver in solvers:
            try:
                out = engine.boolean(figure, moved, "DIFFERENCE", solver)
            except (RuntimeError, FigurineError):
                continue
            h = health(out)
            if h["watertight"] and out.volume() < figure.volume():
                return out, solver.lower(), h, moved
    raise FigurineError("hollowing failed: the boolean did not give a clean result",
                        hint="run Make Printable first, or try a thicker wall")


def sealed_voids(mesh: TriMesh) -> list:
    """Lowest points of closed inner shells (negative volume): cavities without a way out."""
    from ..mesh.clean import part_labels, part_volumes

    tri_part, n = part_labels(mesh)
    if n <= 1:
        return []
    vols = part_volumes(mesh, tri_part, n)
    points = []
    for part in np.flatnonzero(vols < 0):
        pv = mesh.vertices[np.unique(mesh.triangles[tri_part == part])]
        points.append(tuple(float(c) for c in pv[np.argmin(pv[:, 2])]))
    return points


def decimate(mesh: TriMesh, engine: RepairEngine, target_triangles: int) -> tuple[TriMesh, dict]:
    """Collapse-decimate to about ``target_triangles`` (games, web), with the deviation it cost."""
    from .nearest import surface_deviation

    if not (isinstance(target_triangles, (int, np.integer)) and 100 <= int(target_triangles) <= 50_000_000):
        raise BadInputError(f"target of {target_triangles} triangles is out of range", hint="use 100 or more")
    started = time.perf_counter()
    n = len(mesh.triangles)
    if target_triangles >= n:
        return mesh, {"step": "decimate", "changed": False, "triangles": n,
                      "message": f"already {n:,} triangles, at or below the target {int(target_triangles):,}"}
    out = engine.decimate(mesh, int(target_triangles))
    return out, {"step": "decimate", "changed": True, "triangles_before": n, "triangles_after": int(len(out.triangles)),
                 "target": int(target_triangles), "deviation": surface_deviation(mesh, out, samples=20_000),
                 "after": health(out, intersections=False), "seconds": round(time.perf_counter() - started, 3)}


# -- the whole repair -----------------------------------------------------------------------
def printable(mesh: TriMesh, engine: RepairEngine, options: RepairOptions, *, name: str = "the mesh",
              progress=None) -> tuple[TriMesh, list[dict], dict | None]:
    """The figure made printable and measured: refuse degenerate input, weld, scale, drop
    specks, close holes, remesh when needed, simplify to the budget, measure faithfulness.
    Raises ``faithful.RepairLossError`` (exit 1) when the result is not the input any more."""
    say = progress or (lambda step, message: None)
    refuse_degenerate(mesh, name)
    steps: list[dict] = []
    mesh, info = weld(mesh)
    steps.append(info)
    mesh, info = scale_to_height(mesh, options.height_mm)
    steps.append(info)
    refuse_degenerate(mesh, name)
    mesh, info = remove_specks(mesh)
    steps.append(info)
    original = mesh
    say("repair", f"making it printable ({options.mode.lower()})")
    mesh, fix = make_printable(mesh, engine, mode=options.mode, voxel_size_mm=options.voxel_size_mm,
                               max_triangles=options.max_triangles)
    closed = fix.pop("_closed")
    fix["removed_parts"] += steps[-1]["removed_parts"]
    steps.append(fix)
    if abs(closed.volume()) <= 1e-6 * float(np.prod(np.maximum(closed.size(), 1e-12))):
        raise BadInputError(f"{name} encloses no volume (an open sheet or a flat shape)",
                            hint="give a 3D figure; a surface without an inside cannot be printed solid")
    if len(mesh.triangles) > options.max_triangles:
        say("simplify", f"{len(mesh.triangles):,} triangles down to {options.max_triangles:,}")
    mesh, info = simplify(mesh, engine, options.max_triangles)
    steps.append(info)
    faith = None
    if options.measure:
        say("measure", "comparing the result with the input")
        t0 = time.perf_counter()
        # Input faces more than a voxel inside the remeshed solid were buried in it.
        depth = fix["voxel_size_mm"] if "voxel_size_mm" in fix else None
        faith = faithful.measure(original, mesh, solid_original=closed, internal_depth=depth, limits=options.limits)
        faith["seconds"] = round(time.perf_counter() - t0, 3)
        fix["deviation"] = faith["deviation"]
        steps.append({"step": "measure", **faith})
        faithful.judge(faith)
    return mesh, steps, faith


def repair(mesh: TriMesh, engine: RepairEngine, options: RepairOptions, *, name: str = "the mesh",
           progress=None) -> RepairResult:
    """Every step in order on arrays; raises ``faithful.RepairLossError`` (exit 1) when the
    repaired figure is not the input any more or is still not watertight, ``BadInputError``
    (exit 2) on unusable input. ``mesh`` is in its final pose; with ``options.height_mm`` it is
    scaled to it, else it is taken to be in mm."""
    say = progress or (lambda step, message: None)
    started = time.perf_counter()
    mesh, steps, faith = printable(mesh, engine, options, name=name, progress=progress)
    if options.base is not None:
        b = options.base
        size = f"{b.width:g} x {b.depth:g}" if b.kind == "oval" else f"{b.width:g}"
        say("base", f"adding a {b.kind} {size} mm base")
        mesh, info = add_base(mesh, engine, b, sink_mm=options.sink_mm, method=options.fuse_method,
                              voxel_size_mm=options.voxel_size_mm, max_triangles=options.max_triangles)
        if "turned" in info:
            say("base", info["turned"])
        steps.append(info)
    if options.hollow_wall_mm is not None:
        say("hollow", f"walls of {options.hollow_wall_mm:g} mm")
        mesh, info = hollow(mesh, engine, options.hollow_wall_mm, options.drain_mm)
        steps.append(info)
    if options.decimate_to is not None:
        say("decimate", f"to about {options.decimate_to} triangles")
        mesh, info = decimate(mesh, engine, options.decimate_to)
        steps.append(info)
    say("health", "measuring the result")
    final = health(mesh)
    final["seconds"] = round(time.perf_counter() - started, 3)
    if not final["watertight"]:
        raise faithful.RepairLossError(
            f"the repaired figure is still not watertight ({final['non_manifold_edges']} open or non-manifold edges, "
            f"{final.get('intersecting_faces', 0)} intersecting faces)",
            hint="nothing was written; try --mode voxel or a smaller voxel size (--voxel)",
            report={"final": final, "steps": steps})
    return RepairResult(mesh, steps, faith, final)
