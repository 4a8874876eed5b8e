# SPDX-License-Identifier: GPL-3.0-or-later
"""Print preparation over arrays (no Blender): bases, deviation, orientation, hollowing,
feet-to-base contact and the input guards every repair step shares."""

from __future__ import annotations

import numpy as np

from ..errors import BadInputError
from ..mesh.trimesh import TriMesh

# The triangle limit is shared by every command (core.mesh.limits); re-exported for callers.
from ..mesh.limits import DEFAULT_MAX_TRIANGLES, check_triangle_budget, max_triangles  # noqa: F401


def validate_mesh(mesh: TriMesh, name: str = "the mesh", limit: int | None = None) -> None:
    """Refuse meshes no repair can work with, with a message saying what to do."""
    if mesh.is_empty:
        raise BadInputError(f"{name} has no faces", hint="select a mesh with geometry")
    check_triangle_budget(len(mesh.triangles), name, limit)
    if not np.isfinite(mesh.vertices).all():
        raise BadInputError(f"{name} has invalid (NaN or infinite) coordinates",
                            hint="repair or re-import the model")
    if (mesh.triangles.min() < 0) or (mesh.triangles.max() >= len(mesh.vertices)):
        raise BadInputError(f"{name} has faces that point at missing vertices", hint="re-import the model")
    size = mesh.size()
    if float(size.max()) <= 0:
        raise BadInputError(f"{name} has no size (all vertices in one place)", hint="select a 3D figure")


def drop_floating_bits(mesh: TriMesh, volume_fraction: float = 0.01, area_fraction: float = 0.05, *,
                       isolated_only: bool = False, extent_fraction: float = 0.1) -> tuple[TriMesh, int]:
    """Remove loose parts that are tiny next to the largest one, by volume *and* area, and
    small against the whole model (under ``extent_fraction`` of its height, Z: the repair
    judges specks on the posed model).

    Volume alone would throw away an open sheet (a cape with a hole has next to no enclosed
    volume); area alone would keep a crumpled speck. A part stays if either is significant —
    or if it is not small in itself: a 5 mm figure on a 100 mm diorama base is a fraction of a
    percent of the base's volume, and it is the figure. With ``isolated_only`` a small part
    also stays when its bounding box touches a large part's: it may be a separate shell pushed
    into the body (an ear, a buckle) that a voxel union should merge, not a floating bit."""
    from ..mesh.clean import compact, part_labels, part_volumes

    tri_part, n = part_labels(mesh)
    if n <= 1:
        return mesh, 0
    vol = np.abs(part_volumes(mesh, tri_part, n))
    area = np.bincount(tri_part, weights=mesh.face_areas(), minlength=n)
    corners = mesh.triangle_corners()
    lo = np.full((n, 3), np.inf)
    hi = np.full((n, 3), -np.inf)
    np.minimum.at(lo, tri_part, corners.min(axis=1))
    np.maximum.at(hi, tri_part, corners.max(axis=1))
    size = hi.max(axis=0) - lo.min(axis=0)
    model_extent = float(size[2]) if size[2] > 0 else float(size.max())
    keep = (vol >= volume_fraction * vol.max()) | (area >= area_fraction * area.max())
    keep |= (hi - lo).max(axis=1) >= extent_fraction * model_extent
    if isolated_only and not keep.all():
        small, large = np.flatnonzero(~keep), np.flatnonzero(keep)
        touches = np.all((lo[small, None] <= hi[None, large]) & (hi[small, None] >= lo[None, large]), axis=2)
        keep[small[touches.any(axis=1)]] = True
    return compact(mesh, keep[tri_part]), int(n - keep.sum())


def edge_report(mesh: TriMesh) -> dict:
    """Open/non-manifold edges and winding consistency, with 1-D integer edge keys (several
    times faster than ``np.unique(axis=0)`` on pairs, which matters on remeshed figures)."""
    t = mesh.triangles
    n = np.int64(max(len(mesh.vertices), 1))
    a = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    b = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    undirected = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    directed = np.sort(a * n + b)
    brk = np.flatnonzero(np.diff(undirected)) + 1
    counts = np.diff(np.concatenate([[0], brk, [len(undirected)]]))
    repeated = int(np.count_nonzero(directed[1:] == directed[:-1]))
    return {"non_manifold_edges": int(np.count_nonzero(counts != 2)),
            "boundary_edges": int(np.count_nonzero(counts == 1)),
            "consistent_normals": repeated == 0}
