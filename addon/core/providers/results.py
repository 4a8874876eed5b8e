# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a downloaded result into one mesh file we trust: sniff, unzip safely, pick, validate.

Nothing here believes a file name or a Content-Type: services label zips as ``.glb`` and
error pages as ``model.glb``. Archives are unpacked only after every entry was checked
(no absolute paths, no ``..``, no links, a count cap and a size cap that is enforced while
reading, not taken from the archive's own header).
"""

from __future__ import annotations

import json
import os
import stat
import struct
import zipfile
from pathlib import Path, PurePosixPath

from .. import atomic
from ..errors import RemoteError
from ..mesh.formats import sniff_bytes, sniff_file

# Which mesh to keep when an archive holds several: the richest format a Blender importer
# reads reliably first.
PREFERENCE = ("glb", "gltf", "fbx", "obj", "ply", "stl")


def store_result(raw: Path, folder: Path, *, label: str, max_bytes: int, max_entries: int) -> tuple[Path, str]:
    """``raw`` (a finished download in ``folder``) → (mesh path, format). Raises RemoteError."""
    fmt = sniff_file(raw)
    if fmt == "zip":
        extracted = safe_extract(raw, folder / "extracted", label=label, max_bytes=max_bytes,
                                 max_entries=max_entries)
        mesh, fmt = pick_mesh(extracted, label=label)
    elif fmt is None:
        raise RemoteError(f"the result from {label} is not a mesh ({_describe(raw)})",
                          hint="run resume to download it again; if it persists, the service sent a bad file")
    else:
        mesh = folder / f"model.{fmt}"
        os.replace(raw, mesh)  # a rename within the step folder: the bytes were written atomically
    validate_mesh(mesh, fmt, label=label)
    return mesh, fmt


def _describe(path: Path) -> str:
    head = path.read_bytes()[:256]
    if not head:
        return "empty"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype", b"<html", b"<?xml")):
        return "an HTML or XML page"
    if text.startswith((b"{", b"[")):
        return "a JSON text"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8"):
        return "an image"
    return f"{path.stat().st_size} bytes of unknown content"


def check_member_name(name: str) -> PurePosixPath:
    """The archive-relative path of a zip entry, or RemoteError if it would escape."""
    if "\x00" in name:
        raise RemoteError("the result archive has an entry with a broken name",
                          hint="refusing to unpack it; report it to the service")
    unified = name.replace("\\", "/")
    path = PurePosixPath(unified)
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":") or ".." in path.parts:
        raise RemoteError(f"the result archive has an unsafe entry {name!r} (it points outside the folder)",
                          hint="refusing to unpack it; report it to the service")
    return path


def safe_extract(archive: Path, dest: Path, *, label: str, max_bytes: int, max_entries: int) -> Path:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise RemoteError(f"the archive from {label} is damaged or truncated",
                          hint="run resume to download it again") from None
    with zf:
        infos = zf.infolist()
        files = [i for i in infos if not i.is_dir()]
        if len(infos) > max_entries:
            raise RemoteError(f"the result archive from {label} has {len(infos)} entries (limit {max_entries})",
                              hint="refusing to unpack it; report it to the service")
        planned = []
        for info in infos:
            rel = check_member_name(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise RemoteError(f"the result archive has a link {info.filename!r}",
                                  hint="refusing to unpack it; report it to the service")
            if not info.is_dir():
                planned.append((info, rel))
        if not files:
            raise RemoteError(f"the result archive from {label} is empty", hint="run resume to try again")
        total = 0
        for info, rel in planned:
            target = dest.joinpath(*rel.parts)
            # Belt and braces: the resolved target must stay inside dest.
            if not target.resolve().is_relative_to(dest.resolve()):
                raise RemoteError(f"the result archive has an unsafe entry {info.filename!r}",
                                  hint="refusing to unpack it; report it to the service")
            try:
                with zf.open(info) as src, atomic.atomic_path(target) as tmp, open(tmp, "wb") as out:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > max_bytes:
                            raise RemoteError(f"the result archive from {label} unpacks to more than the "
                                              f"{max_bytes // (1 << 20)} MB limit",
                                              hint="refusing to unpack it; ask for fewer faces")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
                raise RemoteError(f"the result archive from {label} is damaged ({type(exc).__name__})",
                                  hint="run resume to download it again") from None
    return dest


def pick_mesh(folder: Path, *, label: str) -> tuple[Path, str]:
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.stat().st_size > 0:
            fmt = sniff_file(path)
            if fmt in PREFERENCE:
                found.setdefault(fmt, []).append(path)
    for fmt in PREFERENCE:
        if fmt in found:
            return max(found[fmt], key=lambda p: p.stat().st_size), fmt
    raise RemoteError(f"the result archive from {label} holds no mesh file",
                      hint="choose a mesh output format for the provider, or report it to the service")


def validate_mesh(path: Path, fmt: str, *, label: str) -> None:
    """Cheap structural checks that catch truncated and garbled files before any importer."""
    size = path.stat().st_size
    if fmt == "glb":
        with open(path, "rb") as fh:
            head = fh.read(20)
            if len(head) < 20:
                raise RemoteError(f"the GLB from {label} is truncated ({size} bytes)",
                                  hint="run resume to download it again")
            magic, version, length, chunk_len, chunk_type = struct.unpack("<4sIIII", head)
            if version != 2:
                raise RemoteError(f"the GLB from {label} has version {version}, not 2",
                                  hint="report it to the service")
            if length != size:
                raise RemoteError(f"the GLB from {label} is truncated or padded ({size} of {length} bytes)",
                                  hint="run resume to download it again")
            if chunk_type != 0x4E4F534A or 20 + chunk_len > size:
                raise RemoteError(f"the GLB from {label} has no valid JSON chunk",
                                  hint="run resume to download it again")
            try:
                doc = json.loads(fh.read(chunk_len).decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise RemoteError(f"the GLB from {label} has a damaged JSON chunk",
                                  hint="run resume to download it again") from None
        if not isinstance(doc, dict) or not doc.get("meshes"):
            raise RemoteError(f"the GLB from {label} contains no mesh", hint="report it to the service")
    elif fmt == "gltf":
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RemoteError(f"the glTF from {label} is damaged", hint="run resume to download it again") from None
        if not isinstance(doc, dict) or not doc.get("meshes"):
            raise RemoteError(f"the glTF from {label} contains no mesh", hint="report it to the service")
    elif sniff_bytes(path.read_bytes()[:8192], size) != fmt:
        raise RemoteError(f"the {fmt.upper()} from {label} is damaged", hint="run resume to download it again")
