# SPDX-License-Identifier: GPL-3.0-or-later
"""Binary and ASCII STL in numpy, independent of Blender's exporter.

Used to read back what was exported (tests and reports check the file, not the scene) and to
write STL from the core without Blender.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from .. import atomic
from ..errors import BadInputError
from .trimesh import TriMesh

_RECORD = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attr", "<u2")])


def is_binary_stl(data: bytes, file_size: int) -> bool:
    if len(data) < 84:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    return 84 + 50 * count == file_size


def read_stl(path: str | os.PathLike) -> TriMesh:
    """Read an STL file; corners are welded so the topology is usable. A file that is not a
    readable STL is a BadInputError that names what is wrong."""
    from .weld import weld_arrays

    corners = read_stl_corners(path)
    tris = np.arange(len(corners)).reshape(-1, 3)
    return TriMesh(*weld_arrays(corners, tris))


def read_stl_corners(path: str | os.PathLike) -> np.ndarray:
    """Every triangle's three corners as they are stored, (3M, 3) float32 (binary STL's own
    type; ASCII numbers are rounded to it as every STL reader does)."""
    path = Path(path)
    data = path.read_bytes()
    if is_binary_stl(data[:84], len(data)):
        records = np.frombuffer(data, dtype=_RECORD, count=struct.unpack_from("<I", data, 80)[0], offset=84)
        corners = np.ascontiguousarray(records["corners"]).reshape(-1, 3)
    else:
        corners = _ascii_corners(data, path.name)
    if len(corners) == 0:
        raise BadInputError(f"{path.name} contains no triangles", hint="export a mesh with faces")
    return corners


def _ascii_corners(data: bytes, name: str) -> np.ndarray:
    text = data.decode("ascii", errors="replace")
    if not text.lstrip().lower().startswith("solid"):
        raise BadInputError(f"{name} is not an STL file", hint="give a binary or ASCII STL")
    tokens = np.array(text.split())
    at = np.flatnonzero(np.char.lower(tokens) == "vertex")
    if len(at) and at[-1] + 3 >= len(tokens):
        raise BadInputError(f"{name} is cut off inside a vertex line", hint="re-export the model as STL")
    try:
        corners = tokens[at[:, None] + np.arange(1, 4)].astype(np.float64).astype(np.float32)
    except ValueError as exc:
        bad = str(exc).split(":")[-1].strip()
        raise BadInputError(f"{name} has a vertex coordinate that is not a number ({bad[:40]})",
                            hint="re-export the model as STL") from None
    if len(corners) % 3:
        raise BadInputError(f"{name} has {len(corners)} vertex lines, not three per facet",
                            hint="re-export the model as STL")
    return corners


def write_stl(path: str | os.PathLike, mesh: TriMesh, *, overwrite: bool = True,
              header: bytes = b"Figurine Forge binary STL, units: mm") -> Path:
    records = np.zeros(len(mesh.triangles), dtype=_RECORD)
    records["normal"] = mesh.face_normals()
    records["corners"] = mesh.triangle_corners()
    payload = header[:80].ljust(80, b" ") + struct.pack("<I", len(records)) + records.tobytes()
    return atomic.write_bytes(path, payload, overwrite=overwrite)
