# SPDX-License-Identifier: GPL-3.0-or-later
"""PLY geometry in numpy, for checks and measurements without Blender.

Reads the layouts scanners and generators write: ``binary_little_endian``,
``binary_big_endian`` or ``ascii``; a ``vertex`` element with x, y, z (and any other scalar
properties); a ``face`` element whose faces are all triangles. Anything else (polygons, list
properties elsewhere, extra elements after the faces) is left to Blender's importer:
``read_ply`` then returns None. Blender's PLY importer keeps the file's axes (Z up), so do we.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from .trimesh import TriMesh

_TYPES = {"char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
          "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
          "float": "f4", "float32": "f4", "double": "f8", "float64": "f8"}


def read_ply(path: str | os.PathLike) -> TriMesh | None:
    """Triangles in file units, or None when the layout needs Blender's importer."""
    path = Path(path)
    data = path.read_bytes()
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise BadInputError(f"{path.name} is not a PLY file", hint="re-export the model as PLY")
    body_start = data.index(b"\n", end) + 1
    header = data[:end].decode("ascii", errors="replace").splitlines()
    fmt = ""
    names: list[str] = []
    counts: list[int] = []
    scalars: list[list[tuple[str, str]]] = []  # per element: (property, type)
    lists: list[list[tuple[str, str]]] = []  # per element: (count type, item type)
    try:
        for line in header:
            words = line.split()
            if not words:
                continue
            if words[0] == "format" and len(words) > 1:
                fmt = words[1]
            elif words[0] == "element" and len(words) == 3:
                names.append(words[1])
                counts.append(int(words[2]))
                scalars.append([])
                lists.append([])
            elif words[0] == "property" and names:
                if words[1] == "list" and len(words) == 5:
                    lists[-1].append((words[2], words[3]))
                elif len(words) == 3:
                    scalars[-1].append((words[2], words[1]))
    except ValueError:
        raise BadInputError(f"{path.name} has a damaged header", hint="re-export the model as PLY") from None
    if names != ["vertex", "face"] or fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        return None  # other elements (edges, materials...): Blender's importer knows them
    n_v, n_f, vprops = counts[0], counts[1], scalars[0]
    if lists[0] or scalars[1] or len(lists[1]) != 1 or any(t not in _TYPES for _, t in vprops):
        return None
    count_t, index_t = lists[1][0]
    if count_t not in _TYPES or index_t not in _TYPES or not {"x", "y", "z"} <= {p for p, _ in vprops}:
        return None
    try:
        if fmt == "ascii":
            verts, tris = _ascii(data[body_start:], n_v, n_f, vprops)
        else:
            order = "<" if fmt == "binary_little_endian" else ">"
            vdtype = np.dtype([(p, order + _TYPES[t]) for p, t in vprops])
            records = np.frombuffer(data, vdtype, count=n_v, offset=body_start)
            verts = np.stack([records["x"], records["y"], records["z"]], axis=1).astype(np.float64)
            fdtype = np.dtype([("n", order + _TYPES[count_t]), ("i", order + _TYPES[index_t], 3)])
            faces = np.frombuffer(data, fdtype, count=n_f, offset=body_start + vdtype.itemsize * n_v)
            if not (faces["n"] == 3).all():
                return None  # polygons: Blender's importer splits them
            tris = faces["i"].astype(np.int64)
    except ValueError:
        raise BadInputError(f"{path.name} is shorter than its header says or has a non-number",
                            hint="re-export the model as PLY") from None
    if tris is None:
        return None
    if len(tris) and (tris.min() < 0 or tris.max() >= len(verts)):
        raise BadInputError(f"{path.name} has a face that points at a vertex it does not have",
                            hint="re-export the model as PLY")
    return TriMesh(verts, tris)


def _ascii(body: bytes, n_v: int, n_f: int, vprops: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray | None]:
    lines = body.split(b"\n", n_v + n_f)
    vtext = b" ".join(lines[:n_v]).split()
    cols = len(vprops)
    if len(lines) < n_v + n_f or len(vtext) != n_v * cols:
        raise ValueError("short")
    table = np.array(vtext, dtype="S").astype(np.float64).reshape(n_v, cols)
    names = [p for p, _ in vprops]
    verts = table[:, [names.index("x"), names.index("y"), names.index("z")]]
    ftext = b" ".join(lines[n_v:n_v + n_f]).split()
    if len(ftext) != 4 * n_f:
        return verts, None  # not all triangles
    faces = np.array(ftext, dtype="S").astype(np.int64).reshape(n_f, 4)
    if not (faces[:, 0] == 3).all():
        return verts, None
    return verts, faces[:, 1:]
