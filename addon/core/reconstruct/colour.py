# SPDX-License-Identifier: GPL-3.0-or-later
"""The views' colours projected onto a reconstructed mesh, as vertex colours.

Every vertex takes the colour each view shows at its projection, weighted by how squarely
the view faces it (its normal against the view direction, squared) and only from views that
see it: a per-view depth buffer of the vertices themselves stands for occlusion, so an arm
held in front of the body does not paint the chest it hides. The mesh is in the
reconstruction's normalised frame (height 1, feet on z = 0, centred on x = y = 0, facing -Y);
views are placed as the reconstruction reads them (each framed on its own silhouette).
"""

from __future__ import annotations

import numpy as np

from ..mesh.trimesh import TriMesh
from .views import VIEW_ANGLES

# Views whose silhouette centre is the figure's centre. A diagonal view's own centre is not
# (the reconstruction aligns it against the others), so it does not paint.
PLACED_VIEWS = ("front", "back", "left", "right")


def vertex_normals(mesh: TriMesh) -> np.ndarray:
    """Area-weighted unit normals per vertex."""
    fn = mesh.face_normals(normalize=False)
    acc = np.zeros_like(mesh.vertices)
    for k in range(3):
        for axis in range(3):
            acc[:, axis] += np.bincount(mesh.triangles[:, k], weights=fn[:, axis], minlength=len(mesh.vertices))
    norm = np.linalg.norm(acc, axis=1, keepdims=True)
    return acc / np.where(norm > 0, norm, 1.0)


def _placement(matte: np.ndarray, threshold: float):
    solid = matte > threshold
    rows = np.nonzero(solid.any(axis=1))[0]
    cols = np.nonzero(solid.any(axis=0))[0]
    if len(rows) < 2 or len(cols) < 2:
        return None
    height = float(rows[-1] + 1 - rows[0])
    return float(rows[-1] + 1), (cols[0] + cols[-1] + 1) / 2.0, height


def project_colours(mesh: TriMesh, viewset, threshold: float = 0.5, buffer_cells: int = 192) -> np.ndarray:
    """(N, 3) float colours in [0, 1] for the mesh's vertices from the view set's images."""
    verts = mesh.vertices
    normals = vertex_normals(mesh)
    total = np.zeros((len(verts), 3))
    weight = np.zeros(len(verts))
    for slot, view in viewset.views.items():
        if slot not in PLACED_VIEWS:
            continue
        place = _placement(view.matte, threshold)
        if place is None:
            continue
        bottom, centre, height = place
        t = np.radians(VIEW_ANGLES[slot])
        right = np.array([np.cos(t), np.sin(t), 0.0])
        towards_camera = np.array([np.sin(t), -np.cos(t), 0.0])
        u = verts @ right
        depth = -(verts @ towards_camera)  # smaller = nearer the camera
        rows = np.clip((bottom - verts[:, 2] * height).astype(np.int64), 0, view.matte.shape[0] - 1)
        cols = np.clip((centre + u * height).astype(np.int64), 0, view.matte.shape[1] - 1)
        # Occlusion: the nearest vertex per cell of a coarse buffer hides those behind it.
        cell = np.clip((rows * buffer_cells) // view.matte.shape[0], 0, buffer_cells - 1) * buffer_cells \
            + np.clip((cols * buffer_cells) // view.matte.shape[1], 0, buffer_cells - 1)
        nearest = np.full(buffer_cells * buffer_cells, np.inf)
        np.minimum.at(nearest, cell, depth)
        visible = depth <= nearest[cell] + 2.5 / buffer_cells
        facing = np.clip(normals @ towards_camera, 0.0, 1.0) ** 2
        on_figure = view.matte[rows, cols] > threshold
        w = np.where(visible & on_figure, facing, 0.0)
        total += w[:, None] * view.rgb[rows, cols].astype(np.float64) / 255.0
        weight += w
    seen = weight > 1e-6
    colours = np.empty((len(verts), 3))
    fallback = total[seen].sum(axis=0) / max(weight[seen].sum(), 1e-6) if seen.any() else np.full(3, 0.6)
    colours[seen] = total[seen] / weight[seen][:, None]
    colours[~seen] = fallback
    return np.clip(colours, 0.0, 1.0)
