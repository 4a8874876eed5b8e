# SPDX-License-Identifier: GPL-3.0-or-later
"""Print checks over triangle arrays, in millimetres at the printed size.

Entry points:

* :func:`run_checks` (``TriMesh`` in mm, settings) -> report dict (the JSON the CLI prints).
* :func:`check_trimesh` (mesh, height_mm=None, preset="resin", **overrides) -> report dict;
  scales to ``height_mm`` first when given.
* :func:`analyze` -> :class:`PrintAnalysis` with the element indices per check and the thickness
  maps, for the Blender findings list.
* :func:`scale_to_height`, :func:`preset`, :class:`PrintSettings`.

Element indices refer to the input arrays: faces = triangle rows, vertices = vertex rows,
edges = rows of ``PrintAnalysis.edges`` (vertex pairs, low index first).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import BadInputError
from ..mesh.trimesh import TriMesh
from . import checks, spatial, topology
from .settings import ALL_CHECKS, DEFAULT_FAIL_ON, PRESETS, PrintSettings, preset

__all__ = ["ALL_CHECKS", "DEFAULT_FAIL_ON", "PLAUSIBLE_SIZE_MM", "PRESETS", "PrintAnalysis", "PrintSettings",
           "analyze", "check_trimesh", "preset", "run_checks", "scale_to_height", "size_notices"]

# Findings listed in the report (the counts cover all of them).
MAX_LISTED = 20

# What each finding selects in Blender: element kind of its indices.
FINDING_KINDS = {
    "non_manifold_edges": "edge", "flipped_edges": "edge", "boundary_edges": "edge",
    "intersecting_faces": "face", "degenerate_faces": "face", "degenerate_edges": "edge",
    "distorted_faces": "face", "thin_faces": "face", "sharp_edges": "edge", "overhang_faces": "face",
    "fragile_faces": "face", "floating_part_faces": "face", "tiny_part_faces": "face",
}


# The largest side of a plausible figurine, in mm: outside this range the units are probably
# not millimetres (a figure modelled in metres reads as ~2 mm, one in micrometres as metres).
PLAUSIBLE_SIZE_MM = (5.0, 1000.0)


def size_notices(size_mm, settings: PrintSettings) -> list[str]:
    """What the user must know about the size the mesh was checked at: a wall limit larger
    than the whole mesh (every wall is "thin": the thickness results mean nothing), or a size
    no figurine has (the mesh was probably not in millimetres). Each says what to do."""
    largest = float(max(size_mm)) if len(size_mm) else 0.0
    todo = ("check it at its printed height (CLI: --height 32; Blender: the scene's unit scale, "
            "or Scale to Height)")
    if largest <= settings.min_wall_mm:
        return [f"the mesh is only {largest:.3g} mm across, less than the {settings.min_wall_mm:g} mm wall limit: "
                f"every wall counts as thin and the thickness results mean nothing at this size. If it was not "
                f"made in millimetres (e.g. in metres), {todo}"]
    lo, hi = PLAUSIBLE_SIZE_MM
    if largest < lo:
        return [f"the mesh is only {largest:.3g} mm across, small for a figurine: if it was not made in "
                f"millimetres (e.g. in metres or centimetres), {todo}"]
    if largest > hi:
        return [f"the mesh is {largest:.4g} mm across (over {hi / 1000:g} m), large for a figurine: if it was "
                f"not made in millimetres, {todo}"]
    return []


def scale_to_height(mesh: TriMesh, height_mm: float) -> TriMesh:
    """Uniformly scale so the mesh is ``height_mm`` tall (Z), lowest point on z = 0."""
    if not (np.isfinite(height_mm) and height_mm > 0):
        raise BadInputError(f"height {height_mm} mm is not a positive size", hint="pass the printed height in mm, e.g. 32")
    lo, hi = mesh.bounds()
    current = float(hi[2] - lo[2])
    if current <= 0:
        raise BadInputError("the mesh is flat (no height along Z)", hint="check the mesh is a 3D figure standing along +Z")
    f = height_mm / current
    return TriMesh(mesh.vertices * f - np.array([0.0, 0.0, lo[2] * f]), mesh.triangles.copy())


@dataclass
class PrintAnalysis:
    """Everything the checks found: the compact report plus the arrays behind it."""

    report: dict
    elements: dict = field(default_factory=dict)  # finding name -> indices (see FINDING_KINDS)
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    face_thickness: np.ndarray = field(default_factory=lambda: np.zeros(0))  # inf = beyond probe
    vertex_thickness: np.ndarray = field(default_factory=lambda: np.zeros(0))  # capped at probe
    timings: dict = field(default_factory=dict)  # wall seconds per check
    cpu_timings: dict = field(default_factory=dict)  # CPU seconds per check (its thread); total: all threads

    def to_dict(self, include_indices: bool = False) -> dict:
        d = dict(self.report)
        if include_indices:
            d["elements"] = {k: {"kind": FINDING_KINDS[k], "indices": v.tolist()} for k, v in self.elements.items()}
            d["elements"]["edge_vertices"] = self.edges.tolist()
        return d


def _validate(mesh: TriMesh) -> None:
    if mesh.is_empty:
        raise BadInputError("the mesh has no triangles", hint="check a mesh with faces")
    if not np.all(np.isfinite(mesh.vertices)):
        raise BadInputError("the mesh has vertices at infinite or NaN positions", hint="clean the mesh and try again")
    t = mesh.triangles
    if t.min() < 0 or t.max() >= len(mesh.vertices):
        raise BadInputError("the mesh has triangles pointing at missing vertices", hint="re-export the mesh")


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


# Share of the whole analysis each step takes (a 1 M-triangle figure's CPU profile: the two
# spatial checks are four fifths of it), for progress: the fraction reported after a step is
# the sum of the shares up to it.
PROGRESS_SHARES = (
    ("geometry", 0.03), ("edges", 0.06), ("manifold", 0.02), ("degenerate", 0.01),
    ("degenerate_edges", 0.01), ("distorted", 0.01), ("sharp", 0.02), ("overhang", 0.01),
    ("parts", 0.05), ("stability", 0.01), ("thickness", 0.40), ("intersecting_faces", 0.35),
    ("regions", 0.02),
)

ProgressCallback = Callable[[float, str], None]


class _Progress:
    """Reports ``(fraction 0..1, step name)`` as the steps finish, never going back, ending at
    exactly 1.0. The two spatial checks also report batch by batch while the calling thread
    helps with them (the longest stretch on a big mesh)."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.start: dict[str, float] = {}
        total = 0.0
        for name, share in PROGRESS_SHARES:
            self.start[name] = total
            total += share
        self.total = total
        self.last = 0.0

    def _report(self, fraction: float, name: str) -> None:
        fraction = min(1.0, max(self.last, fraction))
        self.last = fraction
        if self.callback is not None:
            self.callback(fraction, name)

    def done(self, name: str) -> None:
        share = dict(PROGRESS_SHARES)[name]
        self._report(1.0 if name == PROGRESS_SHARES[-1][0] else (self.start[name] + share) / self.total, name)

    def spatial(self, *jobs) -> None:
        """While the calling thread helps the spatial checks: their batches done so far."""
        if self.callback is None:
            return
        done = total = 0
        for job in jobs:
            d, n = job.progress()
            done, total = done + d, total + n
        if total:
            lo = self.start["thickness"]
            span = self.start["regions"] - lo
            self._report((lo + span * done / total) / self.total, "thickness and intersections")


def analyze(mesh_mm: TriMesh, settings: PrintSettings | None = None, *,
            polygon_of_triangle: np.ndarray | None = None, threads: int | None = None,
            progress: ProgressCallback | None = None) -> PrintAnalysis:
    """Run every check on a mesh already in millimetres at print size.

    ``polygon_of_triangle`` (M,) maps triangles to the source mesh's polygons, for the
    distortion check (triangles alone are always flat). ``threads``: the two spatial checks
    run beside the rest (numpy releases the GIL); default min(2, CPUs). ``progress``: called
    as ``progress(fraction, step)`` in the calling thread as each check finishes (fractions
    rise to exactly 1.0; steps are the names of :data:`PROGRESS_SHARES`)."""
    settings = (settings or PRESETS["resin"]).validated()
    _validate(mesh_mm)
    v = mesh_mm.vertices
    t = mesh_mm.triangles
    n_v = len(v)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock = time.perf_counter
    start = clock()
    cpu_start = time.process_time()

    steps = _Progress(progress)
    main_thread = threading.get_ident()

    def timed(name, fn, *args, **kwargs):
        t0 = clock()
        c0 = time.thread_time()
        out = fn(*args, **kwargs)
        cpu[name] = time.thread_time() - c0
        timings[name] = clock() - t0
        if threading.get_ident() == main_thread and name in steps.start:
            steps.done(name)
        return out

    def lap(name, t0, c0):
        timings[name], cpu[name] = clock() - t0, time.thread_time() - c0
        steps.done(name)

    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(max_workers=max(1, workers)) if workers > 1 else None
    try:
        fa = timed("geometry", checks.FaceArrays, v, t, pool)
        normals, areas, centroids, lengths = fa.unit, fa.areas, fa.centroids, fa.lengths
        isect = spatial.SelfIntersections(v, t, fa.bmin, fa.bmax, fa)
        isect_job: tuple = ("intersecting_faces", isect.run, (), {})
        thickness = checks.FaceThickness(v, t, normals, centroids, settings.probe_mm, faces=fa)
        thick_job: tuple = ("thickness", thickness.run, (), {})
        # The two expensive spatial checks start first so they overlap with the rest.
        futures = {}
        if pool:
            for name, fn, args, kwargs in (isect_job, thick_job):
                futures[name] = pool.submit(timed, name, fn, *args, **kwargs)

        et = timed("edges", topology.edge_table, n_v, t)
        t0, c0 = clock(), time.thread_time()
        boundary = np.flatnonzero(et.boundary)
        non_manifold = np.flatnonzero(et.counts != 2)
        flipped = topology.flipped_edges(et)
        n_loops, _ = topology.boundary_loops(et, n_v)
        lap("manifold", t0, c0)
        degenerate = timed("degenerate", checks.degenerate_faces, areas, lengths, settings.degenerate_mm)
        degenerate_e = timed("degenerate_edges", checks.degenerate_edges, et, lengths, settings.degenerate_mm)
        distorted_polys, distorted_tris = timed("distorted", checks.distorted_polygons, normals, polygon_of_triangle,
                                                settings.distort_angle_deg)
        mpairs = topology.manifold_face_pairs(et)
        sharp = timed("sharp", checks.sharp_edges, et, normals, settings.sharp_angle_deg, flipped, mpairs)
        overhang = timed("overhang", checks.overhang_faces, v, t, normals, settings.overhang_angle_deg,
                         settings.contact_mm, fa.bmin[:, 2], fa.bmax[:, 2])

        t0, c0 = clock(), time.thread_time()
        labels = topology.label_components(n_v, et.edges[:, 0], et.edges[:, 1])
        face_part, n_parts = topology.face_parts(labels, t)
        lo, hi = fa.bmin.min(axis=0), fa.bmax.max(axis=0)
        origin = (lo + hi) / 2.0
        tet = checks.signed_volumes(v, t, origin, fa)
        part_list = checks.parts(v, t, face_part, n_parts, tet, settings.min_part_mm, settings.contact_mm,
                                 fa.bmin, fa.bmax)
        lap("parts", t0, c0)
        stab = timed("stability", checks.stability, v, t, tet, areas, centroids, origin, settings.contact_mm)

        if pool:
            # Done with the rest: work beside the two spatial checks rather than wait for them
            # (their batches are independent; the results do not depend on who ran which).
            def tick():
                steps.spatial(thickness, isect)

            timed("thickness_help", thickness.help, tick)
            timed("intersecting_help", isect.help, tick)
            thick = futures["thickness"].result()
            steps.done("thickness")
            pairs = futures["intersecting_faces"].result()
            steps.done("intersecting_faces")
        else:
            thick = timed(thick_job[0], thick_job[1], *thick_job[2], **thick_job[3])
            pairs = timed(isect_job[0], isect_job[1], *isect_job[2], **isect_job[3])
    finally:
        if pool:
            pool.shutdown(wait=True)

    t0, c0 = clock(), time.thread_time()
    intersecting = np.unique(pairs) if len(pairs) else np.zeros(0, np.int64)
    thin_mask = thick < settings.min_wall_mm
    thin = np.flatnonzero(thin_mask)
    _, thin_regions = checks.regions(thin_mask, et, thick, centroids, areas, mpairs)
    fragile_mask = thick < settings.fragile_thickness_mm
    fragile_region, fragile_list = checks.regions(fragile_mask, et, thick, centroids, areas, mpairs)
    # Fragile: a region thinner than the fragile limit that is long for its thickness.
    is_fragile = checks.long_for_thickness(fragile_list, settings.fragile_ratio)
    fragile_regions = np.flatnonzero(is_fragile)
    fragile_faces = np.flatnonzero(fragile_mask & (fragile_region >= 0) & is_fragile[np.maximum(fragile_region, 0)]) \
        if len(fragile_list) else np.zeros(0, np.int64)
    vmap = checks.vertex_thickness(n_v, t, thick, settings.probe_mm)
    lap("regions", t0, c0)

    finite = thick[np.isfinite(thick)]
    min_thickness = float(finite.min()) if len(finite) else settings.probe_mm
    volume = float(tet.sum())
    area = float(areas.sum())
    tiny_parts = np.flatnonzero(part_list.tiny)
    floating_parts = np.flatnonzero(part_list.floating)
    stable = stab["margin_mm"] > settings.stability_margin_mm

    counts = {
        "non_manifold_edges": int(len(non_manifold)),
        "flipped_edges": int(len(flipped)),
        "boundary_loops": int(n_loops),
        "intersecting_faces": int(len(intersecting)),
        "degenerate_faces": int(len(degenerate)),
        "distorted_faces": int(len(distorted_polys)),
        "thin_faces": int(len(thin)),
        "min_thickness_mm": _r(min_thickness),
        # True when no wall was found within the probe: the mesh is at least this thick.
        "min_thickness_capped": not len(finite),
        "sharp_edges": int(len(sharp)),
        "overhang_faces": int(len(overhang)),
        "loose_parts": int(n_parts),
        # Beyond the required shape:
        "boundary_edges": int(len(boundary)),
        "multi_face_edges": int(np.count_nonzero(et.counts > 2)),
        "degenerate_edges": int(len(degenerate_e)),
        "intersecting_pairs": int(len(pairs)),
        "thin_regions": len(thin_regions),
        "fragile_protrusions": len(fragile_regions),
        "floating_parts": len(floating_parts),
        "tiny_parts": len(tiny_parts),
    }
    failing = {
        "non_manifold_edges": counts["non_manifold_edges"] > 0,
        "flipped_edges": counts["flipped_edges"] > 0,
        "intersecting_faces": counts["intersecting_faces"] > 0,
        "degenerate_faces": counts["degenerate_faces"] > 0,
        "thin_faces": counts["thin_faces"] > 0,
        "floating_parts": counts["floating_parts"] > 0,
        "tiny_parts": counts["tiny_parts"] > 0,
        "unstable": not stable,
        "distorted_faces": counts["distorted_faces"] > 0,
        "sharp_edges": counts["sharp_edges"] > 0,
        "overhang_faces": counts["overhang_faces"] > 0,
        "fragile_protrusions": counts["fragile_protrusions"] > 0,
        "loose_parts": counts["loose_parts"] > 1,
    }
    failures = [k for k in ALL_CHECKS if failing[k] and k in settings.fail_on]
    warnings = [k for k in ALL_CHECKS if failing[k] and k not in settings.fail_on]
    size = hi - lo
    vol_ml = abs(volume) / 1000.0
    closed = counts["non_manifold_edges"] == 0 and counts["flipped_edges"] == 0
    timings["total"] = clock() - start
    cpu["total"] = time.process_time() - cpu_start  # all threads

    report = {
        "passed": not failures,
        "preset": settings.preset,
        "size_mm": [_r(x) for x in size],
        "volume_ml": _r(vol_ml, 6),
        "surface_area_mm2": _r(area),
        "stable": bool(stable),
        "checks": counts,
        "failures": failures,
        "warnings": warnings,
        "volume_reliable": bool(closed),
        "inside_out": bool(volume < 0),
        "material": {
            "resin_ml": _r(vol_ml, 3),
            "weight_g": _r(vol_ml * settings.density_g_per_ml, 3),
            "filament_m": _r(abs(volume) / (np.pi * (settings.filament_diameter_mm / 2.0) ** 2) / 1000.0, 3),
        },
        "stability": {k: v for k, v in stab.items() if k != "footprint_mm"},
        # (Listed: the largest parts, the thinnest regions; rows built for those only.)
        "parts": part_list.rows(np.argsort(-part_list.faces, kind="stable")[:MAX_LISTED]),
        "thin_regions": thin_regions.rows(checks.smallest_rounded(thin_regions.vmin, MAX_LISTED)),
        "fragile_protrusions": fragile_list.rows(
            fragile_regions[checks.smallest_rounded(fragile_list.median[fragile_regions], MAX_LISTED)]),
        "thresholds": settings.to_dict(),
        "counts": {"vertices": int(n_v), "triangles": int(len(t))},
        # The size the mesh was checked at, when it makes a result meaningless or suspect.
        "notices": size_notices(size, settings),
    }
    elements = {
        "non_manifold_edges": non_manifold, "flipped_edges": flipped, "boundary_edges": boundary,
        "intersecting_faces": intersecting, "degenerate_faces": degenerate, "degenerate_edges": degenerate_e,
        "distorted_faces": distorted_tris, "thin_faces": thin, "sharp_edges": sharp, "overhang_faces": overhang,
        "fragile_faces": fragile_faces,
        "floating_part_faces": np.flatnonzero(part_list.floating[face_part]),
        "tiny_part_faces": np.flatnonzero(part_list.tiny[face_part]),
    }
    return PrintAnalysis(report=report, elements={k: np.asarray(x, dtype=np.int64) for k, x in elements.items()},
                         edges=et.edges, face_thickness=thick, vertex_thickness=vmap, timings=timings,
                         cpu_timings=cpu)


def run_checks(mesh_mm: TriMesh, settings: PrintSettings | None = None, *, include_indices: bool = False,
               polygon_of_triangle: np.ndarray | None = None) -> dict:
    """The report dict for a mesh in millimetres (see module doc)."""
    return analyze(mesh_mm, settings, polygon_of_triangle=polygon_of_triangle).to_dict(include_indices)


def check_trimesh(mesh: TriMesh, height_mm: float | None = None, preset: str = "resin",
                  include_indices: bool = False, **overrides) -> dict:
    """Scale to ``height_mm`` (when given; else the mesh is taken as mm) and run the checks
    with the named preset and any threshold overridden."""
    from .settings import preset as make_preset

    settings = make_preset(preset, **overrides)
    mesh_mm = scale_to_height(mesh, height_mm) if height_mm else mesh
    report = run_checks(mesh_mm, settings, include_indices=include_indices)
    if height_mm:
        report["height_mm"] = float(height_mm)
    return report
