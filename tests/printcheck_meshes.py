# SPDX-License-Identifier: GPL-3.0-or-later
"""Small meshes with known print-check answers, built with numpy (shared by the print tests)."""

from __future__ import annotations

import numpy as np

try:
    from figurine_forge.core.mesh.trimesh import TriMesh
except ModuleNotFoundError:  # inside a real Blender (tests/in_blender): the installed extension's
    import importlib

    TriMesh = importlib.import_module("bl_ext.user_default.figurine_forge.core.mesh.trimesh").TriMesh

# Unit cube corners and outward, counter-clockwise triangles (two per side).
CUBE_V = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                   [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.float64)
CUBE_F = np.array([[0, 2, 1], [0, 3, 2],  # bottom z=0
                   [4, 5, 6], [4, 6, 7],  # top z=1
                   [0, 1, 5], [0, 5, 4],  # front y=0
                   [1, 2, 6], [1, 6, 5],  # right x=1
                   [2, 3, 7], [2, 7, 6],  # back y=1
                   [3, 0, 4], [3, 4, 7]], dtype=np.int64)  # left x=0
TOP, FRONT, RIGHT = (2, 3), (4, 5), (6, 7)


def box(lo, hi) -> TriMesh:
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    return TriMesh(lo + CUBE_V * (hi - lo), CUBE_F.copy())


def cube(size=10.0, offset=(0.0, 0.0, 0.0)) -> TriMesh:
    return box(np.asarray(offset), np.asarray(offset) + size)


def join(*meshes: TriMesh) -> TriMesh:
    verts, tris, base = [], [], 0
    for m in meshes:
        verts.append(m.vertices)
        tris.append(m.triangles + base)
        base += len(m.vertices)
    return TriMesh(np.concatenate(verts), np.concatenate(tris))


def uv_sphere(center=(0.0, 0.0, 0.0), radius=1.0, segments=16, rings=8) -> TriMesh:
    """Closed sphere: two poles, ``rings - 1`` latitude rings, outward winding."""
    theta = np.linspace(0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.sin(theta)[:, None] * np.cos(phi)[None, :],
                     np.sin(theta)[:, None] * np.sin(phi)[None, :],
                     np.cos(theta)[:, None] * np.ones_like(phi)[None, :]], axis=2).reshape(-1, 3)
    verts = np.concatenate([[[0, 0, 1]], ring, [[0, 0, -1]]]) * radius + np.asarray(center)
    top, bottom = 0, len(verts) - 1
    j = np.arange(segments)
    jn = (j + 1) % segments
    tris = [np.stack([np.full(segments, top), 1 + j, 1 + jn], axis=1)]
    for r in range(rings - 2):
        a = 1 + r * segments + j
        b = 1 + r * segments + jn
        c = 1 + (r + 1) * segments + j
        d = 1 + (r + 1) * segments + jn
        tris += [np.stack([a, c, d], axis=1), np.stack([a, d, b], axis=1)]
    last = 1 + (rings - 2) * segments
    tris.append(np.stack([np.full(segments, bottom), last + jn, last + j], axis=1))
    return TriMesh(verts, np.concatenate(tris))


def sheared_box(base=4.0, height=20.0, shift=30.0) -> TriMesh:
    """A box leaning along +X: the top is moved ``shift`` mm sideways from the bottom."""
    m = box((0, 0, 0), (base, base, height))
    v = m.vertices.copy()
    v[:, 0] += v[:, 2] / height * shift
    return TriMesh(v, m.triangles)


def cube_with_slivers(size=10.0) -> TriMesh:
    """A closed cube whose top meets the front and back edges through a mid-edge vertex; the
    gap is closed by a zero-area triangle (three corners on one line) on each edge."""
    v = np.concatenate([CUBE_V * size, [[size / 2, 0, size], [size / 2, size, size]]])
    m_front, m_back = 8, 9
    keep = [f for i, f in enumerate(CUBE_F.tolist()) if i not in TOP]
    top = [[4, m_front, 6], [m_front, 5, 6],  # 4-5 edge split at m_front
           [4, 6, m_back], [4, m_back, 7]]  # 6-7 edge split at m_back
    slivers = [[4, 5, m_front], [6, 7, m_back]]
    return TriMesh(v, np.array(keep + top + slivers, dtype=np.int64))
