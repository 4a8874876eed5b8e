# SPDX-License-Identifier: GPL-3.0-or-later
"""What a file's numbers mean in millimetres, and whether the size makes sense for a figurine.

glTF (GLB) is metres by its specification; Blender's FBX importer converts to metres too.
STL, OBJ and PLY carry no unit: they are read as millimetres, the print convention. Neither
is trusted blindly: a size that makes no sense for a figurine (under 5 mm or over 1 m) is
reported with what to do, never used silently. One exception is resolved, and said: a glTF
whose size is implausible in metres but plausible in millimetres is read as millimetres
(Figurine Forge's own GLB export writes 1 unit = 1 mm, as many print tools do).
"""

from __future__ import annotations

from dataclasses import dataclass

FIGURINE_MIN_MM = 5.0
FIGURINE_MAX_MM = 1000.0
METRE_FORMATS = ("glb", "gltf", "fbx")


@dataclass(frozen=True)
class UnitDecision:
    to_mm: float  # multiply the file's coordinates by this to get millimetres
    unit: str  # "m" or "mm"
    reason: str  # one line: how the unit was decided
    warning: str | None  # the size makes no sense for a figurine, and what to do


def plausible_mm(size_mm: float) -> bool:
    return FIGURINE_MIN_MM <= size_mm <= FIGURINE_MAX_MM


def decide_units(fmt: str, largest_extent: float, *, name: str, height_given: bool) -> UnitDecision:
    """The unit of a mesh file's coordinates from its format and its size.

    ``largest_extent`` is the model's largest bounding-box extent in file units. With
    ``height_given`` the model is scaled to the user's height anyway, so no size warning."""
    extent = float(largest_extent)
    if fmt in METRE_FORMATS:
        if plausible_mm(extent * 1000.0) or not plausible_mm(extent):
            unit, to_mm = "m", 1000.0
            reason = f"{fmt.upper()} is in metres"
        else:
            unit, to_mm = "mm", 1.0
            reason = (f"{fmt.upper()} is nominally in metres, but {extent:g} m is no figurine while {extent:g} mm is: "
                      "read as millimetres")
    else:
        unit, to_mm = "mm", 1.0
        reason = f"{fmt.upper()} has no unit: read as millimetres"
    size_mm = extent * to_mm
    warning = None
    if not height_given and not plausible_mm(size_mm):
        what = "small" if size_mm < FIGURINE_MIN_MM else "large"
        shown = f"{size_mm / 1000.0:g} m" if size_mm >= FIGURINE_MAX_MM else f"{size_mm:.4g} mm"
        other = ""
        if unit == "mm" and plausible_mm(extent * 1000.0):
            other = f" (if the file is in metres, {extent * 1000.0:.4g} mm)"
        warning = (f"{name} is {shown} across read as {unit_name(unit)}{other}: too {what} for a figurine "
                   f"({FIGURINE_MIN_MM:g} mm to {FIGURINE_MAX_MM / 1000.0:g} m); pass --height MM (e.g. --height 32) "
                   "to judge and print it at a chosen height")
    return UnitDecision(to_mm, unit, reason, warning)


def unit_name(unit: str) -> str:
    return {"m": "metres", "mm": "millimetres"}.get(unit, unit)
