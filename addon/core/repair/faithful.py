# SPDX-License-Identifier: GPL-3.0-or-later
"""Is the repaired figure still the figure? Faithfulness of a repair against its input.

Measured at the print size (mm): the two-sided surface distance (``nearest.surface_deviation``),
the change of the solid's volume, the agreement of the silhouettes along X, Y and Z, and the
regions of the input surface the result no longer covers (a lost arm, a thin limb the voxels
erased). Volumes and silhouettes come from one occupancy grid per mesh with the *non-zero
winding* rule: the input is often several overlapping closed shells (an arm pushed into a
body), whose union is the solid — parity would count the overlap as outside.

A repair past the limits fails with :class:`RepairLossError` (exit 1) and a message that says
what was lost and where.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EXIT_CHECK_FAILED, FigurineError
from ..mesh.trimesh import TriMesh
from ..voxelize import voxelize
from .nearest import surface_deviation

MAX_GRID_VOXELS = 4_000_000


class RepairLossError(FigurineError):
    """The repair lost part of the figure (or changed it past the limits): nothing is written."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, message: str, *, hint: str = "", report: dict | None = None):
        super().__init__(message, hint=hint)
        self.report = report or {}


@dataclass(frozen=True)
class FaithfulnessLimits:
    """Defaults a user accepts for a 32 mm figure (all in mm at the print size)."""

    mean_deviation_mm: float = 0.05
    volume_change_percent: float = 3.0
    min_silhouette: float = 0.95
    lost_distance_mm: float = 0.5  # input surface this far from the result is missing
    lost_area_mm2: float = 1.0  # ... and this much of it is a lost part


def winding_occupancy(mesh: TriMesh, lo: np.ndarray, step: float, shape) -> np.ndarray:
    """Boolean (X, Y, Z) grid of voxel centres ``lo + (i + 0.5) * step`` inside the mesh by the
    non-zero winding rule: overlapping shells (an input made of parts) are one solid."""
    return voxelize(mesh, lo, step, shape, rule="nonzero")


def _common_grid(a: TriMesh, b: TriMesh, max_voxels: int = MAX_GRID_VOXELS):
    lo = np.minimum(a.bounds()[0], b.bounds()[0])
    hi = np.maximum(a.bounds()[1], b.bounds()[1])
    size = np.maximum(hi - lo, 1e-9)
    step = float((np.prod(size) / max_voxels) ** (1.0 / 3.0))
    step = max(step, float(size.max()) / 1024)
    lo = lo - step
    shape = np.ceil((hi - lo) / step).astype(np.int64) + 2
    return lo, step, shape


def _silhouette_iou(a: np.ndarray, b: np.ndarray) -> list[float]:
    out = []
    for axis in range(3):
        pa, pb = a.any(axis=axis), b.any(axis=axis)
        union = np.count_nonzero(pa | pb)
        out.append(float(np.count_nonzero(pa & pb) / union) if union else 1.0)
    return out


def _describe_place(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> str:
    """'near the top-left (z 24-31 mm)' for a cluster of points in a figure's box (-Y front)."""
    centre = points.mean(axis=0)
    rel = (centre - lo) / np.maximum(hi - lo, 1e-9)
    vertical = "top" if rel[2] > 2 / 3 else ("bottom" if rel[2] < 1 / 3 else "middle")
    side = "left" if rel[0] < 1 / 3 else ("right" if rel[0] > 2 / 3 else "")
    depth = "front" if rel[1] < 1 / 4 else ("back" if rel[1] > 3 / 4 else "")
    words = "-".join(w for w in (vertical, side) if w) + (f", {depth}" if depth else "")
    z0, z1 = float(points[:, 2].min()), float(points[:, 2].max())
    return f"near the {words} (z {z0:.0f}-{z1:.0f} mm)"


def _largest_cluster(points: np.ndarray, link: float) -> np.ndarray:
    """Indices of the largest group of points chained together at most ~``link`` apart
    (cells of size ``link``, face-and-corner neighbours joined)."""
    from ..printcheck.topology import label_components

    cells = np.floor((points - points.min(axis=0)) / link).astype(np.int64)
    dims = cells.max(axis=0) + 3
    key = ((cells[:, 0] + 1) * dims[1] + cells[:, 1] + 1) * dims[2] + cells[:, 2] + 1
    uniq, inverse = np.unique(key, return_inverse=True)
    a_list, b_list = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dz in (-1, 0, 1):
                if (dx, dy, dz) <= (0, 0, 0):
                    continue
                other = uniq + (dx * dims[1] + dy) * dims[2] + dz
                slot = np.minimum(np.searchsorted(uniq, other), len(uniq) - 1)
                hit = uniq[slot] == other
                a_list.append(np.flatnonzero(hit))
                b_list.append(slot[hit])
    labels = label_components(len(uniq), np.concatenate(a_list), np.concatenate(b_list))
    point_label = labels[inverse.reshape(-1)]
    values, counts = np.unique(point_label, return_counts=True)
    return np.flatnonzero(point_label == values[np.argmax(counts)])


def _part_boxes(mesh: TriMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per part: bounding box (lo, hi), triangle count; and the part of each triangle."""
    from ..mesh.clean import part_labels

    tri_part, n = part_labels(mesh)
    corners = mesh.triangle_corners()
    lo = np.full((n, 3), np.inf)
    hi = np.full((n, 3), -np.inf)
    np.minimum.at(lo, tri_part, corners.min(axis=1))
    np.maximum.at(hi, tri_part, corners.max(axis=1))
    return lo, hi, np.bincount(tri_part, minlength=n), tri_part


def touching_groups(mesh: TriMesh, max_parts: int = 2000) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Separate pieces of a mesh when parts whose boxes touch count as one (overlapping shells
    of one figure): their number, and per piece its box (lo, hi) and triangle count.
    ``max_parts`` bounds the pairwise test (more parts: each its own piece)."""
    from ..printcheck.topology import label_components

    lo, hi, count, _ = _part_boxes(mesh)
    n = len(lo)
    if n <= 1 or n > max_parts:
        return n, lo, hi, count
    touch = np.all((lo[:, None] <= hi[None]) & (hi[:, None] >= lo[None]), axis=2)
    a, b = np.nonzero(np.triu(touch, 1))
    _, group = np.unique(label_components(n, a, b), return_inverse=True)
    m = int(group.max()) + 1
    g_lo = np.full((m, 3), np.inf)
    g_hi = np.full((m, 3), -np.inf)
    np.minimum.at(g_lo, group, lo)
    np.maximum.at(g_hi, group, hi)
    return m, g_lo, g_hi, np.bincount(group, weights=count, minlength=m)


def measure(original: TriMesh, result: TriMesh, *, solid_original: TriMesh | None = None,
            internal_depth: float | None = None, samples: int = 40_000,
            limits: FaithfulnessLimits = FaithfulnessLimits()) -> dict:
    """Faithfulness of ``result`` to ``original`` (both in mm at the print size).

    ``solid_original``: the original with its holes closed, for the volume and silhouettes
    (an open surface has no inside); ``original`` (the surface the user gave, specks removed)
    is what the distances are measured against."""
    solid = solid_original if solid_original is not None else original
    lo, step, shape = _common_grid(solid, result)
    occ_before = winding_occupancy(solid, lo, step, shape)
    occ_after = winding_occupancy(result, lo, step, shape)

    def inside_result(points: np.ndarray) -> np.ndarray:
        ijk = np.floor((points - lo) / step).astype(np.int64)
        ok = np.all((ijk >= 0) & (ijk < shape), axis=1)
        out = np.zeros(len(points), bool)
        i = ijk[ok]
        out[ok] = occ_after[i[:, 0], i[:, 1], i[:, 2]]
        return out

    # Buried faces: deeper than the grid can misjudge (a voxel's half diagonal), and at least
    # the depth the caller gives.
    depth = max(internal_depth or 0.0, 0.9 * step)
    cap = max(4.0 * limits.lost_distance_mm, 2.0)
    dev = surface_deviation(original, result, samples=samples, internal_depth=depth, inside_fn=inside_result,
                            cap=cap, keep_points=True)
    pts, dist, kept = dev.pop("_points"), dev.pop("_distances"), dev.pop("_kept")
    v_before = float(np.count_nonzero(occ_before)) * step ** 3
    v_after = float(np.count_nonzero(occ_after)) * step ** 3
    change = 100.0 * (v_after - v_before) / v_before if v_before > 0 else 0.0
    sil = _silhouette_iou(occ_before, occ_after)
    area = float(original.face_areas().sum())
    # Lost: input surface far from the result *and outside it*. Far inside it is a face
    # buried in the solid (a leg's end inside the body), which the result rightly drops.
    lost = kept & (dist > limits.lost_distance_mm)
    far = np.flatnonzero(lost)
    lost[far[inside_result(pts[far])]] = False
    lost_area = area * float(np.count_nonzero(lost)) / max(len(pts), 1)
    report: dict = {
        "deviation": dev, "volume_before_mm3": round(v_before, 3), "volume_after_mm3": round(v_after, 3),
        "volume_change_percent": round(change, 3), "silhouette_agreement": {k: round(v, 4) for k, v in zip("xyz", sil)},
        "lost_area_mm2": round(lost_area, 3), "grid_step_mm": round(step, 5),
        "limits": {"mean_deviation_mm": limits.mean_deviation_mm, "volume_change_percent": limits.volume_change_percent,
                   "min_silhouette": limits.min_silhouette, "lost_distance_mm": limits.lost_distance_mm,
                   "lost_area_mm2": limits.lost_area_mm2},
    }
    problems = []
    where = ""
    if lost_area > limits.lost_area_mm2:
        lost_pts = pts[lost]
        cluster = lost_pts[_largest_cluster(lost_pts, max(4.0 * step, 0.5))]
        lo_fig, hi_fig = original.bounds()
        where = _describe_place(cluster, lo_fig, hi_fig)
        cluster_area = area * len(cluster) / max(len(pts), 1)
        report["largest_lost_region"] = {"area_mm2": round(cluster_area, 3), "where": where,
                                         "centre_mm": [round(float(x), 3) for x in cluster.mean(axis=0)]}
        problems.append(f"{lost_area:.1f} mm² of the figure's surface is gone (more than "
                        f"{limits.lost_distance_mm:g} mm from the result); the largest missing region is {where}")
    if abs(change) > limits.volume_change_percent:
        problems.append(f"the repair {'lost' if change < 0 else 'added'} {abs(change):.1f} % of the volume")
    if dev["mean_mm"] > limits.mean_deviation_mm:
        problems.append(f"the surface moved {dev['mean_mm']:.3f} mm on average (limit {limits.mean_deviation_mm:g} mm)")
    worst = int(np.argmin(sil))
    if sil[worst] < limits.min_silhouette:
        problems.append(f"the outline seen along {'XYZ'[worst]} agrees only {100 * sil[worst]:.0f} % with the input's")
    pieces_before = touching_groups(original)[0]
    pieces_after, lo_r, hi_r, count_r = touching_groups(result)
    report["pieces_before"], report["pieces_after"] = pieces_before, pieces_after
    if pieces_after > pieces_before:
        # The repair cut the figure apart (a thin link the voxels could not hold).
        loose = np.argsort(count_r)[: pieces_after - pieces_before]
        centre = (lo_r[loose] + hi_r[loose]) / 2
        lo_fig, hi_fig = original.bounds()
        where = _describe_place(centre, lo_fig, hi_fig).split(" (")[0]
        problems.append(f"the repair broke the figure into {pieces_after} separate pieces (the input was "
                        f"{pieces_before}); the piece that came loose is {where} "
                        f"(z {lo_r[loose][:, 2].min():.0f}-{hi_r[loose][:, 2].max():.0f} mm)")
    report["ok"] = not problems
    report["problems"] = problems
    return report


def judge(report: dict) -> None:
    """Raise :class:`RepairLossError` naming what was lost when the report is past its limits."""
    if report.get("ok", True):
        return
    raise RepairLossError("the repair is not faithful to the figure: " + "; ".join(report["problems"]),
                          hint="nothing was written; use a smaller voxel size (--voxel), a local repair "
                               "(--mode local), or relax the limits (--max-deviation, --max-volume-change) "
                               "if this is acceptable", report=report)
