# SPDX-License-Identifier: GPL-3.0-or-later
"""The one import every check, repair and measurement starts from.

A model file (or a zip holding one with its textures) becomes a ``LoadedMesh``:

1. *Read*: STL, OBJ and triangle PLY by the core's numpy readers (``stl``, ``obj``, ``ply``);
   GLB/glTF, FBX and polygon PLY by Blender's importer, which the host passes in as
   ``read_with_blender`` (a narrow adapter: the core never imports bpy). glTF's and OBJ's Y
   up becomes Z up as Blender's importers turn it, so the CLI sees the pose the panel shows.
2. *Weld*: vertices at the same position are merged (exactly, then on a grid of 1e-6 of the
   model's diagonal), so a generator GLB split at every UV seam is one closed surface again.
   The host's object keeps its seams: welding is for judging the shape, not for the textures.
3. *Pose*: ``core.repair.orient.decide_pose``: the file's pose unless the model clearly lies
   down (or the caller asks for an axis); the same decision for check, repair and export.
4. *Units*: ``units.decide_units``: glTF is metres, STL/OBJ/PLY millimetres; a size that makes
   no sense for a figurine is a warning with what to do.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import BadInputError
from .trimesh import TriMesh
from .units import UnitDecision, decide_units
from .weld import tolerance_for, weld_arrays, weld_map

WELD_RELATIVE = 1e-6  # weld grid: this share of the bounding-box diagonal

# (model path, format) -> (triangles in file units with Z up, polygon of each triangle or None)
BlenderReader = Callable[[Path, str], "tuple[TriMesh, np.ndarray | None]"]


@dataclass
class LoadedMesh:
    mesh: TriMesh  # welded, in the decided pose, in millimetres
    polygon_of_triangle: np.ndarray | None
    source: Path  # what the user gave
    model_path: Path  # the model file read (for a zip: its place in the unpacked folder, removed after loading)
    format: str
    units: UnitDecision
    pose_matrix: np.ndarray  # 4x4 on the file's (Z up) coordinates, before the unit scale
    pose: dict
    vertices_read: int
    weld_tolerance: float
    warnings: list[str] = field(default_factory=list)

    def file_to_mm(self, *, with_units: bool = True) -> np.ndarray:
        """4x4 taking the imported file's coordinates to ``mesh``'s (pose, then the unit scale)."""
        scale = np.diag([self.units.to_mm] * 3 + [1.0]) if with_units else np.eye(4)
        return scale @ self.pose_matrix

    def report(self) -> dict:
        """The ``import`` section of a command's JSON result."""
        lo, hi = self.mesh.bounds()
        return {"format": self.format, "unit": self.units.unit, "to_mm": self.units.to_mm,
                "unit_reason": self.units.reason, "size_mm": [round(float(x), 4) for x in hi - lo],
                "vertices_in_file": int(self.vertices_read), "vertices_welded": int(len(self.mesh.vertices)),
                "triangles": int(len(self.mesh.triangles)),
                "pose": {k: v for k, v in self.pose.items() if not k.startswith("_")},
                "warnings": list(self.warnings)}


def analysis_weld_map(vertices: np.ndarray, n_triangles: int, relative: float = WELD_RELATIVE, *,
                      exact_done: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """How the analysis welds: ``(first, inverse, grid)`` as ``weld.weld_map`` gives them.

    Exactly first (cheap: bit patterns); then, only when the result still has more vertices
    than a closed surface of its triangles would (about half as many: V = F/2 + 2 - 2g), on a
    grid of ``relative`` times the diagonal, for seams written with rounding noise (``grid``
    is that spacing, 0 when not needed)."""
    if exact_done:
        first = inverse = np.arange(len(vertices))
    else:
        first, inverse = weld_map(vertices)
    tol = 0.0
    if len(first) > 0.51 * n_triangles + 8:
        distinct = np.asarray(vertices)[first]
        tol = tolerance_for(distinct, relative)
        if tol > 0:
            first2, inverse2 = weld_map(distinct, tol)
            first, inverse = first[first2], inverse2[inverse]
    return first, inverse, tol


def weld_for_analysis(mesh: TriMesh, relative: float = WELD_RELATIVE, *,
                      exact_done: bool = False) -> tuple[TriMesh, float]:
    """The mesh welded as every check and repair sees it (``analysis_weld_map``); triangle
    order and count are kept, so a polygon map stays valid. Returns it and the grid used."""
    first, inverse, tol = analysis_weld_map(mesh.vertices, len(mesh.triangles), relative, exact_done=exact_done)
    if exact_done and tol == 0.0:
        return mesh, tol  # nothing merged: no copy of a million-triangle mesh
    return TriMesh(mesh.vertices[first], inverse[mesh.triangles]), tol


@contextlib.contextmanager
def opened_model(path: str | os.PathLike) -> Iterator[tuple[Path, str]]:
    """``(model file, format)`` for a mesh file, or for a zip holding one (unpacked safely into
    a temporary folder that lives as long as the ``with`` block)."""
    from .formats import require_mesh_file

    source = Path(path).expanduser()
    fmt = require_mesh_file(source, allow_zip=True)
    if fmt != "zip":
        yield source, fmt
        return
    from .archive import extract_model

    with tempfile.TemporaryDirectory(prefix="figurine-import-") as tmp:
        yield extract_model(source, Path(tmp) / "unpacked")


def finish_import(raw: TriMesh, *, fmt: str, source: Path, model_path: Path | None = None,
                  polygon_of_triangle: np.ndarray | None = None, height_given: bool = False,
                  orient: str = "auto", exact_welded: bool = False) -> LoadedMesh:
    """Weld, pose and unit decisions on triangles read from a file (see the module doc)."""
    from ..repair.orient import apply_transform, decide_pose

    name = source.name
    if raw.is_empty:
        raise BadInputError(f"{name} has no triangles", hint="give a mesh with faces")
    if not np.isfinite(raw.vertices).all():
        raise BadInputError(f"{name} has invalid (NaN or infinite) coordinates",
                            hint="repair or re-export the model")
    welded, tol = weld_for_analysis(raw, exact_done=exact_welded)
    matrix, pose = decide_pose(welded, orient)
    posed = welded if not pose["rotated"] else apply_transform(welded, matrix)
    units = decide_units(fmt, float(posed.size().max()), name=name, height_given=height_given)
    mesh = posed if units.to_mm == 1.0 else TriMesh(posed.vertices * units.to_mm, posed.triangles)
    warnings = [units.warning] if units.warning else []
    if pose["rotated"] or pose.get("unresolved"):  # stood up, or looks lying but kept: say so
        warnings.append(f"{name}: {pose['message']}")
    return LoadedMesh(mesh=mesh, polygon_of_triangle=polygon_of_triangle, source=source,
                      model_path=model_path or source, format=fmt, units=units, pose_matrix=matrix, pose=pose,
                      vertices_read=len(raw.vertices), weld_tolerance=tol, warnings=warnings)


def _read_ply(model: Path) -> TriMesh | None:
    from .ply import read_ply

    return read_ply(model)


def load_mesh(path: str | os.PathLike, *, height_mm: float | None = None, orient: str = "auto",
              read_with_blender: BlenderReader | None = None) -> LoadedMesh:
    """Read a mesh file (or a zip holding one) for checking or measuring. STL, OBJ and
    triangle PLY need no Blender; other formats (GLB/glTF, FBX, polygon PLY) are read through
    ``read_with_blender``."""
    from .stl import read_stl_corners

    source = Path(path).expanduser()
    with opened_model(source) as (model, fmt):
        poly = None
        if fmt == "stl":
            try:
                corners = read_stl_corners(model)
            except (ValueError, OSError, UnicodeError) as exc:
                raise BadInputError(f"{model.name} could not be read as STL: {exc}",
                                    hint="re-export the model as STL") from None
            raw = TriMesh(*weld_arrays(corners, np.arange(len(corners)).reshape(-1, 3)))
            read = len(corners)
        elif fmt == "obj":  # positions and faces only: the core reads them as Blender's importer does
            from .obj import read_obj

            raw, poly = read_obj(model)
            read = len(raw.vertices)
        elif fmt == "ply" and (ply := _read_ply(model)) is not None:  # triangle PLYs (scans): the core
            raw, read = ply, len(ply.vertices)
        elif read_with_blender is None:
            raise BadInputError(f"{source.name} is {fmt.upper()}, which needs Blender's importer here",
                                hint="run the command with Blender's Python or convert the model to STL")
        else:
            raw, poly = read_with_blender(model, fmt)
            read = len(raw.vertices)
        loaded = finish_import(raw, fmt=fmt, source=source, model_path=model, polygon_of_triangle=poly,
                               height_given=height_mm is not None, orient=orient, exact_welded=fmt == "stl")
    loaded.vertices_read = read
    return loaded
