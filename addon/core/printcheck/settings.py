# SPDX-License-Identifier: GPL-3.0-or-later
"""Print-check thresholds, in millimetres at the printed size, and the presets.

Every threshold is in mm (or degrees) *at the target size*: a 0.6 mm wall is judged on the
32 mm miniature, not in whatever units the mesh was made in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..errors import BadInputError

# Checks whose findings make a mesh fail; the others are warnings. Overridable per run.
DEFAULT_FAIL_ON = (
    "non_manifold_edges",
    "flipped_edges",
    "intersecting_faces",
    "degenerate_faces",
    "thin_faces",
    "floating_parts",
    "tiny_parts",
    "unstable",
)
ALL_CHECKS = DEFAULT_FAIL_ON + (
    "distorted_faces",
    "sharp_edges",
    "overhang_faces",
    "fragile_protrusions",
    "loose_parts",
)


@dataclass(frozen=True)
class PrintSettings:
    preset: str = "resin"
    min_wall_mm: float = 0.6  # walls thinner than this fail
    fragile_thickness_mm: float = 1.2  # parts thinner than this and long are fragile
    fragile_ratio: float = 4.0  # ... "long" = length at least this many times the thickness
    degenerate_mm: float = 0.001  # faces narrower / edges shorter than this are degenerate
    distort_angle_deg: float = 45.0  # polygons bent more than this between their triangles
    sharp_angle_deg: float = 160.0  # edges whose faces turn more than this (knife edges)
    overhang_angle_deg: float = 45.0  # faces leaning past this from vertical need support
    min_part_mm: float = 1.0  # loose parts smaller than this (largest side) are tiny bits
    contact_mm: float = 0.2  # vertices this close to the lowest point form the footprint
    stability_margin_mm: float = 0.0  # centre of mass must be this far inside the footprint
    density_g_per_ml: float = 1.1  # for the weight estimate
    filament_diameter_mm: float = 1.75
    fail_on: tuple = field(default=DEFAULT_FAIL_ON)

    @property
    def probe_mm(self) -> float:
        """How far thickness rays look: far enough for both the thin and the fragile test."""
        return max(self.min_wall_mm, self.fragile_thickness_mm)

    def validated(self) -> "PrintSettings":
        for name in ("min_wall_mm", "fragile_thickness_mm", "fragile_ratio", "degenerate_mm", "min_part_mm",
                     "contact_mm", "density_g_per_ml", "filament_diameter_mm"):
            value = getattr(self, name)
            if not (value > 0 and value < 1e6):
                raise BadInputError(f"{name.replace('_', ' ')} must be a positive number, got {value}",
                                    hint="pass a value in millimetres greater than 0")
        for name in ("distort_angle_deg", "sharp_angle_deg", "overhang_angle_deg"):
            value = getattr(self, name)
            if not (0.0 <= value <= 180.0):
                raise BadInputError(f"{name.replace('_', ' ')} must be between 0 and 180 degrees, got {value}",
                                    hint="pass an angle in degrees")
        if self.stability_margin_mm < 0:
            raise BadInputError("stability margin must not be negative", hint="pass 0 or a positive mm value")
        unknown = set(self.fail_on) - set(ALL_CHECKS)
        if unknown:
            raise BadInputError(f"unknown check name(s) in fail_on: {', '.join(sorted(unknown))}",
                                hint=f"use names from: {', '.join(ALL_CHECKS)}")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fail_on"] = list(self.fail_on)
        d["probe_mm"] = self.probe_mm
        return d


PRESETS: dict[str, PrintSettings] = {
    # Resin (MSLA): 0.6 mm walls hold up; parts under ~1.2 mm thick snap when long.
    "resin": PrintSettings(),
    # FDM with a 0.4 mm nozzle: a wall needs ~2.5 extrusion widths, i.e. 1.0 mm.
    "fdm": PrintSettings(preset="fdm", min_wall_mm=1.0, fragile_thickness_mm=2.0, min_part_mm=2.0,
                         contact_mm=0.3, density_g_per_ml=1.24),
    # Custom starts from the resin numbers; the caller overrides what it needs.
    "custom": PrintSettings(preset="custom"),
}


def preset(name: str = "resin", **overrides) -> PrintSettings:
    """Settings of a named preset with any field overridden (None values are ignored)."""
    key = (name or "resin").lower()
    if key not in PRESETS:
        raise BadInputError(f"unknown print preset '{name}'", hint=f"use one of: {', '.join(PRESETS)}")
    valid = {f.name for f in fields(PrintSettings)}
    clean: dict[str, Any] = {}
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in valid:
            raise BadInputError(f"unknown print setting '{k}'", hint=f"use one of: {', '.join(sorted(valid))}")
        clean[k] = tuple(v) if k == "fail_on" else v
    return replace(PRESETS[key], **clean).validated()
