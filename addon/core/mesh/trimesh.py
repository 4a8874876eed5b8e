# SPDX-License-Identifier: GPL-3.0-or-later
"""A triangle mesh as numpy arrays: the currency between the core and the Blender layer.

``vertices`` is float64 (N, 3), ``triangles`` int64 (M, 3) with counter-clockwise winding seen
from outside (outward normals). Units are whatever the caller says; print code works in mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TriMesh:
    vertices: np.ndarray
    triangles: np.ndarray

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float64).reshape(-1, 3)
        self.triangles = np.ascontiguousarray(self.triangles, dtype=np.int64).reshape(-1, 3)

    @property
    def is_empty(self) -> bool:
        return len(self.triangles) == 0 or len(self.vertices) == 0

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self.triangles):
            used = np.zeros(len(self.vertices), dtype=bool)
            used[self.triangles.reshape(-1)] = True
            used = self.vertices[used]
        else:
            used = self.vertices
        # (Column by column: numpy reduces an (N, 3) array along axis 0 fifty times slower.)
        return (np.array([used[:, k].min() for k in range(3)]), np.array([used[:, k].max() for k in range(3)]))

    def size(self) -> np.ndarray:
        lo, hi = self.bounds()
        return hi - lo

    def triangle_corners(self) -> np.ndarray:
        """(M, 3, 3) corner coordinates."""
        return self.vertices[self.triangles]

    def face_normals(self, normalize: bool = True) -> np.ndarray:
        c = self.triangle_corners()
        n = np.cross(c[:, 1] - c[:, 0], c[:, 2] - c[:, 0])
        if normalize:
            length = np.linalg.norm(n, axis=1, keepdims=True)
            n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
        return n

    def face_areas(self) -> np.ndarray:
        return 0.5 * np.linalg.norm(self.face_normals(normalize=False), axis=1)

    def volume(self) -> float:
        """Signed volume by the divergence theorem (positive for outward winding)."""
        c = self.triangle_corners()
        return float(np.einsum("ij,ij->i", c[:, 0], np.cross(c[:, 1], c[:, 2])).sum() / 6.0)

    def transformed(self, scale: float = 1.0, offset=(0.0, 0.0, 0.0)) -> "TriMesh":
        return TriMesh(self.vertices * scale + np.asarray(offset, dtype=np.float64), self.triangles.copy())

    def weld(self, tolerance: float = 0.0) -> "TriMesh":
        """Merge vertices at identical (or, with tolerance, quantised) positions.

        STL stores every triangle's corners separately; topology checks need them shared.
        Distinct vertices keep the order they first appear in (see ``core.mesh.weld``)."""
        from .weld import weld_arrays

        return TriMesh(*weld_arrays(self.vertices, self.triangles, tolerance))

    def drop_degenerate_indices(self) -> "TriMesh":
        t = self.triangles
        keep = (t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])
        return TriMesh(self.vertices, t[keep])


# The topology helpers below share the print checks' implementation (``printcheck.topology``:
# one packed-key sort, vectorised union-find). Imported on use: ``printcheck`` imports this
# module for ``TriMesh``.
def edge_face_counts(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected edges (E, 2), low index first, and how many triangles use each."""
    from ..printcheck.topology import undirected_edges

    return undirected_edges(tris)


def non_manifold_edge_count(tris: np.ndarray) -> int:
    """Edges not shared by exactly two triangles (boundary or more than two faces)."""
    _, counts = edge_face_counts(tris)
    return int(np.count_nonzero(counts != 2))


def connected_components(n_vertices: int, tris: np.ndarray) -> np.ndarray:
    """Label per vertex of the connected part it belongs to: the part's smallest vertex index
    (vectorised union-find over the unique edges)."""
    from ..printcheck.topology import label_components, undirected_edges

    if len(tris) == 0:
        return np.arange(n_vertices)
    edges, _ = undirected_edges(tris, n_vertices)
    return label_components(n_vertices, edges[:, 0], edges[:, 1])


def shell_count(mesh: TriMesh) -> int:
    if len(mesh.triangles) == 0:
        return 0
    labels = connected_components(len(mesh.vertices), mesh.triangles)
    return int(np.count_nonzero(np.bincount(labels[mesh.triangles[:, 0]], minlength=len(mesh.vertices))))


def is_consistently_oriented(tris: np.ndarray) -> bool:
    """Every directed edge appears once: neighbouring faces agree on winding."""
    from ..printcheck.topology import directed_edges_unique

    return directed_edges_unique(tris)
