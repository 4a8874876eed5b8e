# SPDX-License-Identifier: GPL-3.0-or-later
"""What each export format is for, which unit it is written in, and which files it makes.

Two families:

* **print** (STL, 3MF, PLY, OBJ): geometry only. One Blender unit is written as one file unit,
  which slicers read as millimetres; the print workflow makes 1 Blender unit = 1 mm (3MF also
  says ``unit="millimeter"`` in the file). OBJ carries its .mtl and textures too (it serves
  both families), still in millimetres.
* **digital** (GLB, FBX): textures, UVs and vertex colours kept, real size. GLB is in metres, as
  the glTF specification says; FBX is in centimetres (its native unit, ``UnitScaleFactor`` 1),
  so a 32 mm figure is 0.032 m in a web viewer and 3.2 cm in a game engine. The real size of a
  Blender unit is the scene's unit scale (metres per unit), as Blender's own importers read it.

Nothing here imports Blender; the Blender layer (``blender/digital.py``) does the writing.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError, OutputError


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    unit: str            # what one unit in the file means
    textures: bool       # keeps UVs, materials and textures
    description: str


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("stl", "STL", "millimetre", False, "Binary STL in millimetres: what slicers expect"),
    ExportFormat("obj", "OBJ", "millimetre", True, "Wavefront OBJ in millimetres, with its .mtl and textures beside it"),
    ExportFormat("ply", "PLY", "millimetre", False, "Binary PLY in millimetres"),
    ExportFormat("3mf", "3MF", "millimetre", False, "3D Manufacturing Format in millimetres: what many slicers prefer"),
    ExportFormat("glb", "GLB", "metre", True, "Binary glTF in metres (as glTF says), textures embedded: web viewers"),
    ExportFormat("fbx", "FBX", "centimetre", True, "FBX in centimetres, textures embedded: game engines"),
)}
# The order is the panel's: saved .blend files keep the chosen format by position, so new
# formats go at the end.
EXPORT_FORMATS = tuple(FORMATS)

MIN_TRIANGLE_BUDGET = 4
MAX_TRIANGLE_BUDGET = 50_000_000


def resolve_target(out: str | os.PathLike, fmt: str | None = None) -> tuple[Path, str]:
    """The output path and its format: ``fmt`` when given (the extension is added when the
    name has none), else the file's extension. A name whose extension contradicts ``fmt`` is
    refused rather than guessed."""
    path = Path(out).expanduser()
    suffix = path.suffix.lower().lstrip(".")
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise BadInputError(f"unknown export format '{fmt}'", hint=f"use one of: {', '.join(EXPORT_FORMATS)}")
        if not suffix:
            return path.with_name(f"{path.name}.{fmt}"), fmt
        if suffix != fmt:
            raise BadInputError(f"{path.name} ends in .{suffix} but the format asked is {fmt}",
                                hint=f"name the file .{fmt} or leave the format out")
        return path, fmt
    if suffix not in FORMATS:
        raise OutputError(f"cannot export '.{suffix}' files",
                          hint=f"use one of: {', '.join('.' + f for f in EXPORT_FORMATS)}")
    return path, suffix


def check_triangle_budget(max_triangles: int | None) -> int | None:
    if max_triangles is None or max_triangles == 0:
        return None
    if not (MIN_TRIANGLE_BUDGET <= int(max_triangles) <= MAX_TRIANGLE_BUDGET):
        raise BadInputError(f"a budget of {max_triangles} triangles is out of range",
                            hint=f"use {MIN_TRIANGLE_BUDGET} to {MAX_TRIANGLE_BUDGET:,} (0 keeps every triangle)")
    return int(max_triangles)


def refuse_input_as_output(outputs, inputs) -> None:
    """Never write over a file the figure was read from (its mesh or its textures), even
    when overwriting is allowed."""
    sources = {os.path.realpath(p) for p in inputs if p}
    for out in outputs:
        if os.path.realpath(out) in sources:
            raise BadInputError(f"{Path(out).name} is an input of this figure and would be overwritten",
                                hint="write the export to another file name or folder")


# -- GLB read-back -------------------------------------------------------------------------------
def glb_document(path: str | os.PathLike) -> dict:
    """The JSON chunk of a binary glTF file."""
    data = Path(path).read_bytes()
    if len(data) < 20 or data[:4] != b"glTF":
        raise OutputError(f"{Path(path).name} is not a binary glTF file")
    length, kind = struct.unpack_from("<I4s", data, 12)
    if kind != b"JSON":
        raise OutputError(f"{Path(path).name} has no JSON chunk first")
    return json.loads(data[20:20 + length])


def glb_dangling_references(doc: dict) -> list[str]:
    """Every material, texture, image or sampler index in a glTF document that points nowhere."""
    counts = {k: len(doc.get(k, [])) for k in ("materials", "textures", "images", "samplers", "accessors")}
    bad = []

    def ref(where: str, kind: str, index) -> None:
        if not isinstance(index, int) or not 0 <= index < counts[kind]:
            bad.append(f"{where} -> {kind}[{index}]")

    materials = doc.get("materials", [])
    for m, mesh in enumerate(doc.get("meshes", [])):
        for p, prim in enumerate(mesh.get("primitives", [])):
            if "material" in prim:
                ref(f"meshes[{m}].primitives[{p}]", "materials", prim["material"])
                index = prim["material"]
                if isinstance(index, int) and 0 <= index < len(materials):
                    for coord in sorted(_texture_coordinates(materials[index])):
                        if f"TEXCOORD_{coord}" not in prim.get("attributes", {}):
                            bad.append(f"meshes[{m}].primitives[{p}] -> TEXCOORD_{coord} "
                                       f"(its material has a texture but the mesh no UVs)")
            for name, acc in prim.get("attributes", {}).items():
                ref(f"meshes[{m}].primitives[{p}].{name}", "accessors", acc)
    for t, tex in enumerate(doc.get("textures", [])):
        if "source" in tex:
            ref(f"textures[{t}]", "images", tex["source"])
        if "sampler" in tex:
            ref(f"textures[{t}]", "samplers", tex["sampler"])

    def walk(where: str, node) -> None:  # textureInfo objects sit anywhere inside a material
        if isinstance(node, dict):
            if "index" in node and where.endswith("Texture"):
                ref(where, "textures", node["index"])
            for k, v in node.items():
                walk(f"{where}.{k}", v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(f"{where}[{i}]", v)

    for i, mat in enumerate(doc.get("materials", [])):
        walk(f"materials[{i}]", mat)
    return bad


def _texture_coordinates(material: dict) -> set[int]:
    """The UV sets (``texCoord``, 0 by default) the textures of a glTF material read."""
    found: set[int] = set()

    def walk(key: str, node) -> None:
        if isinstance(node, dict):
            if key.endswith("Texture") and "index" in node:
                found.add(int(node.get("texCoord", 0)))
            for k, v in node.items():
                walk(k, v)
        elif isinstance(node, list):
            for v in node:
                walk(key, v)

    walk("", material)
    return found
