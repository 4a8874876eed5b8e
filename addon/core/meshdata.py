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
        used = self.vertices[np.unique(self.triangles)] if len(self.triangles) else self.vertices
        return used.min(axis=0), used.max(axis=0)

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

        STL stores every triangle's corners separately; topology checks need them shared."""
        v = self.vertices
        key = np.round(v / tolerance).astype(np.int64) if tolerance > 0 else v
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        return TriMesh(v[first], inverse[self.triangles])

    def drop_degenerate_indices(self) -> "TriMesh":
        t = self.triangles
        keep = (t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])
        return TriMesh(self.vertices, t[keep])


def edge_face_counts(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique undirected edges (E, 2) and how many triangles use each."""
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e.sort(axis=1)
    edges, counts = np.unique(e, axis=0, return_counts=True)
    return edges, counts


def non_manifold_edge_count(tris: np.ndarray) -> int:
    """Edges not shared by exactly two triangles (boundary or more than two faces)."""
    _, counts = edge_face_counts(tris)
    return int(np.count_nonzero(counts != 2))


def connected_components(n_vertices: int, tris: np.ndarray) -> np.ndarray:
    """Label per vertex of the connected part it belongs to (union-find, vectorised)."""
    parent = np.arange(n_vertices)
    if len(tris) == 0:
        return parent
    a = np.concatenate([tris[:, 0], tris[:, 1]])
    b = np.concatenate([tris[:, 1], tris[:, 2]])
    # Pointer-jumping label propagation: each round every edge pulls both ends to the smaller
    # label, then labels are compressed. Converges in O(log diameter) vectorised rounds.
    while True:
        la, lb = parent[a], parent[b]
        low = np.minimum(la, lb)
        changed = False
        for side in (la, lb):
            mask = low < parent[side]
            if mask.any():
                np.minimum.at(parent, side[mask], low[mask])
                changed = True
        parent = parent[parent]
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        if not changed:
            return parent


def shell_count(mesh: TriMesh) -> int:
    used = np.unique(mesh.triangles)
    labels = connected_components(len(mesh.vertices), mesh.triangles)
    return int(len(np.unique(labels[used])))


def is_consistently_oriented(tris: np.ndarray) -> bool:
    """Every directed edge appears once: neighbouring faces agree on winding."""
    d = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    _, counts = np.unique(d, axis=0, return_counts=True)
    return bool(np.all(counts == 1))
