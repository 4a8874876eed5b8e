# SPDX-License-Identifier: GPL-3.0-or-later
"""Recognise mesh files by their content, not their name.

Downloads from 3D services and files users pick are sniffed before any importer sees them,
so an HTML error page saved as ``model.glb`` gets a clear message instead of a crash.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from ..errors import BadInputError

MESH_FORMATS = ("glb", "gltf", "obj", "stl", "ply", "fbx")
EXTENSIONS = {".glb": "glb", ".gltf": "gltf", ".obj": "obj", ".stl": "stl", ".ply": "ply", ".fbx": "fbx"}


def sniff_bytes(head: bytes, file_size: int) -> str | None:
    """Return 'glb', 'gltf', 'stl', 'obj', 'ply', 'fbx', 'zip' or None from the first bytes."""
    if head.startswith(b"glTF") and len(head) >= 12:
        return "glb"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"ply\n") or head.startswith(b"ply\r\n"):
        return "ply"
    if head.startswith(b"Kaydara FBX Binary"):
        return "fbx"
    if len(head) >= 84:
        (count,) = struct.unpack_from("<I", head, 80)
        if count > 0 and 84 + 50 * count == file_size:
            return "stl"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = text[:512].lower()
    if lower.startswith(b"solid") and b"facet" in lower:
        return "stl"
    if lower.startswith(b"{") and b'"asset"' in head:
        return "gltf"
    if b"; fbx" in lower[:64] or lower.startswith(b"; fbx"):
        return "fbx"
    lines = [ln.strip() for ln in text[:4096].splitlines() if ln.strip()]
    obj_keys = (b"v ", b"vn ", b"vt ", b"f ", b"o ", b"g ", b"mtllib", b"usemtl", b"#", b"s ")
    if lines and any(ln.startswith(b"v ") for ln in lines) and all(ln.startswith(obj_keys) for ln in lines[:50]):
        return "obj"
    return None


def sniff_file(path: str | os.PathLike) -> str | None:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8192)
    return sniff_bytes(head, size)


def require_mesh_file(path: str | os.PathLike, *, allow_zip: bool = False) -> str:
    """The format of a mesh file, or a BadInputError that says what is wrong. With
    ``allow_zip`` an archive is accepted as "zip" (``core.mesh.load.opened_model`` opens it)."""
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"{path} does not exist", hint="check the file name")
    if path.is_dir():
        raise BadInputError(f"{path} is a folder", hint="give a mesh file (GLB, GLTF, OBJ, STL, PLY or FBX)")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path.name} is empty", hint="give a mesh file with geometry in it")
    fmt = sniff_file(path)
    if fmt == "zip" and allow_zip:
        return fmt
    if fmt is None or fmt == "zip":
        what = "a zip archive" if fmt == "zip" else "not a mesh file we can read"
        raise BadInputError(f"{path.name} is {what}",
                            hint="give a GLB, GLTF, OBJ, STL, PLY or FBX file")
    return fmt
