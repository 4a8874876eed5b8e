# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand a figure up: longest extent vertical, feet down, facing -Y, lowest point on z = 0.

Only the 24 axis-aligned rotations are considered: generated meshes come out aligned to some
axis convention (Y-up glTF, Z-up OBJ/STL), and a free rotation (e.g. principal axes) would tilt
a figure that holds a spear or spreads its arms. The rule, in order:

1. *Up axis*: the axis with the largest bounding-box extent (a standing figure is taller than
   wide or deep). A caller may force it.
2. *Feet end*: the end of that axis with the larger support footprint — the bounding rectangle
   of the vertices in the last 4 % of the height. Two feet (or a base) spread wider than the
   top of a head. When the two ends are within 20 % of each other the current direction is kept
   (positive axis up), since then the evidence is too weak to turn a figure on its head.
3. *Facing*: the smallest rotation that brings the up axis to +Z keeps the other axes'
   convention: a glTF figure (Y up, facing +Z) comes out facing -Y, which is what the views
   pipeline produces. A caller may turn it about Z in quarter turns.
4. Lowest point on z = 0, footprint centred on x = y = 0.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadInputError
from ..meshdata import TriMesh

AXES = {"+X": (0, 1), "-X": (0, -1), "+Y": (1, 1), "-Y": (1, -1), "+Z": (2, 1), "-Z": (2, -1)}
SUPPORT_SLICE = 0.04
SUPPORT_RATIO = 1.2


def _rotation_to_z(axis: int, sign: int) -> np.ndarray:
    """The smallest rotation that sends ``sign * e_axis`` to +Z (a 3×3 matrix)."""
    table = {
        (2, 1): np.eye(3),
        (2, -1): np.diag([1.0, -1.0, -1.0]),  # half turn about X
        # Quarter turn about X: +Y -> +Z and +Z -> -Y, so glTF's front (+Z) ends up at -Y.
        (1, 1): np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
        (1, -1): np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
        (0, 1): np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]]),  # quarter turns about Y
        (0, -1): np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]),
    }
    return table[(axis, sign)]


def _support_area(v: np.ndarray, axis: int, at_low_end: bool) -> float:
    h = v[:, axis]
    lo, hi = h.min(), h.max()
    band = SUPPORT_SLICE * (hi - lo)
    pick = v[h <= lo + band] if at_low_end else v[h >= hi - band]
    others = [i for i in range(3) if i != axis]
    ext = pick[:, others].max(axis=0) - pick[:, others].min(axis=0)
    return float(ext[0] * ext[1])


def _quarter_turns_z(turns: int) -> np.ndarray:
    c, s = [(1, 0), (0, 1), (-1, 0), (0, -1)][turns % 4]
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def upright_transform(mesh: TriMesh, up: str = "AUTO", turn_quarters: int = 0) -> tuple[np.ndarray, dict]:
    """A 4×4 matrix that stands the mesh up, and a description of the decision."""
    if mesh.is_empty:
        raise BadInputError("the mesh has no faces", hint="select a mesh with geometry")
    v = mesh.vertices[np.unique(mesh.triangles)]
    if not np.isfinite(v).all():
        raise BadInputError("the mesh has invalid (NaN or infinite) coordinates", hint="repair or re-import the model")
    ext = v.max(axis=0) - v.min(axis=0)
    if float(ext.max()) <= 0:
        raise BadInputError("the mesh has no size", hint="select a 3D figure")
    info: dict = {"extent_before": [round(float(e), 5) for e in ext]}
    if up.upper() != "AUTO":
        if up.upper() not in AXES:
            raise BadInputError(f"unknown up axis '{up}'", hint="use AUTO, +X, -X, +Y, -Y, +Z or -Z")
        axis, sign = AXES[up.upper()]
        info["rule"] = "up axis given"
    else:
        axis = int(np.argmax(ext))
        low, high = _support_area(v, axis, True), _support_area(v, axis, False)
        if high > SUPPORT_RATIO * low:
            sign = -1  # the wide end is at the top of the axis: turn the figure over
            info["rule"] = "longest axis up; wider footprint at its top end, so turned over"
        else:
            sign = 1
            info["rule"] = ("longest axis up; wider footprint at its low end" if low > SUPPORT_RATIO * high
                            else "longest axis up; both ends alike, kept the current direction")
        info["support_mm2"] = {"low_end": round(low, 4), "high_end": round(high, 4)}
    rot = _quarter_turns_z(turn_quarters) @ _rotation_to_z(axis, sign)
    name = [k for k, (a, s) in AXES.items() if a == axis and s == sign][0]
    info["up_was"] = name
    moved = v @ rot.T
    lo, hi = moved.min(axis=0), moved.max(axis=0)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    m = np.eye(4)
    m[:3, :3] = rot
    m[:3, 3] = shift
    info["rotated"] = not np.allclose(rot, np.eye(3))
    info["turn_quarters"] = int(turn_quarters % 4)
    info["size_mm"] = [round(float(e), 5) for e in hi - lo]
    return m, info


def apply_transform(mesh: TriMesh, matrix: np.ndarray) -> TriMesh:
    m = np.asarray(matrix, dtype=np.float64)
    tris = mesh.triangles if np.linalg.det(m[:3, :3]) > 0 else mesh.triangles[:, ::-1]
    return TriMesh(mesh.vertices @ m[:3, :3].T + m[:3, 3], tris.copy())
