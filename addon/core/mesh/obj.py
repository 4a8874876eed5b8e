# SPDX-License-Identifier: GPL-3.0-or-later
"""Wavefront OBJ geometry in numpy, for checks and measurements without Blender.

Only positions and faces are read (``v`` and ``f`` lines; ``v/vt/vn`` references and negative,
relative indices included); polygons are fanned into triangles with a map back to their
polygon. The axes are converted as Blender's OBJ importer converts them by default (OBJ is
Y up, forward -Z): (x, y, z) -> (x, -z, y), so ``check`` sees the pose the panel shows.
Everything is whole-text regular expressions and numpy: no Python loop over the lines.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from .trimesh import TriMesh

_VERTEX = re.compile(rb"^[ \t]*v[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)", re.M)
_TRIANGLE = re.compile(rb"^[ \t]*f[ \t]+(-?\d+)\S*[ \t]+(-?\d+)\S*[ \t]+(-?\d+)\S*[ \t]*(?:#[^\r\n]*)?\r?$", re.M)
_FACE = re.compile(rb"^[ \t]*f[ \t]+([^\r\n#]*)", re.M)
_REFERENCE = re.compile(rb"/\S*")  # the /vt/vn part of a face corner
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def read_obj(path: str | os.PathLike) -> tuple[TriMesh, np.ndarray]:
    """(triangles in file units with Z up, the polygon of each triangle)."""
    path = Path(path)
    data = path.read_bytes()
    name = path.name
    vertex_rows = _VERTEX.findall(data)
    faces = _FACE.findall(data)
    if not vertex_rows or not faces:
        raise BadInputError(f"{name} has no {'vertices' if not vertex_rows else 'faces'}",
                            hint="export the model with its faces")
    try:
        verts = np.array(vertex_rows, dtype="S").astype(np.float64)
    except ValueError:
        raise BadInputError(f"{name} has a vertex coordinate that is not a number",
                            hint="re-export the model as OBJ") from None
    triangles_only = _TRIANGLE.findall(data)
    try:
        if len(triangles_only) == len(faces):  # the common case (generators, scans): all triangles
            flat = np.array(triangles_only, dtype="S").astype(np.int64).reshape(-1)
            counts = np.full(len(faces), 3, np.int64)
        else:  # polygons: each face line's corner indices, the /vt/vn parts dropped
            corners_text = [_REFERENCE.sub(b"", body).split() for body in faces]
            counts = np.fromiter((len(c) for c in corners_text), dtype=np.int64, count=len(corners_text))
            flat = np.array(b" ".join(b" ".join(c) for c in corners_text).split(), dtype="S").astype(np.int64)
    except ValueError:
        raise BadInputError(f"{name} has a face index that is not a whole number",
                            hint="re-export the model as OBJ") from None
    # Negative indices count back from the vertices defined so far (before the face's line).
    index = flat - 1
    if (flat < 0).any():  # rare: only then find where each face line sits among the vertex lines
        defined = np.searchsorted([m.start() for m in _VERTEX.finditer(data)],
                                  [m.start() for m in _FACE.finditer(data)])
        index = np.where(flat < 0, np.repeat(defined, counts) + flat, index)
    if len(index) and (index.min() < 0 or index.max() >= len(verts)) or (flat == 0).any():
        raise BadInputError(f"{name} has a face that points at a vertex it does not have",
                            hint="re-export the model as OBJ")
    keep = counts >= 3  # points and lines written as faces carry no surface
    starts = np.cumsum(counts) - counts
    polygon = np.repeat(np.arange(len(counts)), np.maximum(counts - 2, 0) * keep)
    first = np.repeat(starts, np.maximum(counts - 2, 0) * keep)
    step = np.arange(len(polygon)) - np.repeat(np.cumsum(np.maximum(counts - 2, 0) * keep)
                                               - np.maximum(counts - 2, 0) * keep, np.maximum(counts - 2, 0) * keep)
    tris = np.stack([index[first], index[first + step + 1], index[first + step + 2]], axis=1)
    if len(tris) == 0:
        raise BadInputError(f"{name} has no faces with three or more corners", hint="export the model with its faces")
    return TriMesh(verts @ Y_UP_TO_Z_UP.T, tris), polygon
