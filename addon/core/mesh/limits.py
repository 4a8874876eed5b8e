# SPDX-License-Identifier: GPL-3.0-or-later
"""The one triangle limit every command and panel button applies, checked before any work.

``check``, ``repair``, ``export`` and the panel's Check Print refuse a mesh over the limit
with the same message, and a binary STL is refused from its 84-byte header (its triangle
count), before the file is read: a 5M-triangle file is turned away in milliseconds instead of
after minutes of work. Override with the FIGURINE_MAX_TRIANGLES environment variable.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

from ..errors import BadInputError

# Above this a command refuses to start: a voxel remesh or boolean of a mesh this big would take
# minutes and gigabytes, and generated figures never need it.
DEFAULT_MAX_TRIANGLES = 3_000_000
ENV = "FIGURINE_MAX_TRIANGLES"


def max_triangles() -> int:
    value = os.environ.get(ENV, "")
    try:
        return int(value) if value else DEFAULT_MAX_TRIANGLES
    except ValueError:
        return DEFAULT_MAX_TRIANGLES


def check_triangle_budget(count: int, name: str = "the mesh", limit: int | None = None,
                          task: str = "the repair") -> None:
    """Refuse ``count`` triangles over the limit: "NAME has N triangles, more than the L TASK
    handles", with what to do."""
    limit = max_triangles() if limit is None else limit
    if count > limit:
        raise BadInputError(f"{name} has {count:,} triangles, more than the {limit:,} {task} handles",
                            hint=f"decimate it first (Decimate modifier) or raise {ENV}")


def stl_triangle_count(path: str | os.PathLike) -> int | None:
    """Triangles in an STL file without reading it: a binary file's header count (when the
    file size agrees with it), an ASCII file's ``endfacet`` keywords counted over a memory map
    (no copy). None when the file is neither."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(84)
        if len(head) >= 84:
            (count,) = struct.unpack_from("<I", head, 80)
            if 84 + 50 * count == size:
                return int(count)
        if not head.lstrip().lower().startswith(b"solid") or size == 0:
            return None
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            count, pos = 0, 0
            while True:
                pos = mm.find(b"endfacet", pos)
                if pos < 0:
                    return count
                count += 1
                pos += 8


def precheck_mesh_file(path: str | os.PathLike, task: str) -> str:
    """Before any work on a mesh file: it exists and is a mesh we read (else BadInputError),
    and, where the file says how many triangles it holds (STL), they are within the limit.
    Returns the format (see :func:`meshformats.require_mesh_file`)."""
    from .formats import require_mesh_file

    fmt = require_mesh_file(path, allow_zip=True)  # a zip is opened by the import itself
    if fmt == "stl":
        count = stl_triangle_count(path)
        if count is not None:
            check_triangle_budget(count, Path(path).name, task=task)
    return fmt
