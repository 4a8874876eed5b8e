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

from . import atomic
from .errors import BadInputError
from .meshdata import TriMesh

_RECORD = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attr", "<u2")])


def is_binary_stl(data: bytes, file_size: int) -> bool:
    if len(data) < 84:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    return 84 + 50 * count == file_size


def read_stl(path: str | os.PathLike) -> TriMesh:
    """Read an STL file; corners are welded so the topology is usable."""
    path = Path(path)
    data = path.read_bytes()
    if is_binary_stl(data[:84], len(data)):
        records = np.frombuffer(data, dtype=_RECORD, count=struct.unpack_from("<I", data, 80)[0], offset=84)
        corners = records["corners"].astype(np.float64).reshape(-1, 3)
    else:
        text = data.decode("ascii", errors="replace")
        if not text.lstrip().lower().startswith("solid"):
            raise BadInputError(f"{path.name} is not an STL file")
        nums = [line.split()[1:4] for line in text.splitlines() if line.strip().startswith("vertex")]
        corners = np.asarray(nums, dtype=np.float64).reshape(-1, 3)
    if len(corners) == 0:
        raise BadInputError(f"{path.name} contains no triangles", hint="export a mesh with faces")
    tris = np.arange(len(corners)).reshape(-1, 3)
    return TriMesh(corners, tris).weld()


def write_stl(path: str | os.PathLike, mesh: TriMesh, *, overwrite: bool = True,
              header: bytes = b"Figurine Forge binary STL, units: mm") -> Path:
    records = np.zeros(len(mesh.triangles), dtype=_RECORD)
    records["normal"] = mesh.face_normals()
    records["corners"] = mesh.triangle_corners()
    payload = header[:80].ljust(80, b" ") + struct.pack("<I", len(records)) + records.tobytes()
    return atomic.write_bytes(path, payload, overwrite=overwrite)
