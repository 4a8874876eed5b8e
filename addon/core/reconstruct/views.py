# SPDX-License-Identifier: GPL-3.0-or-later
"""The directions the reconstruction understands, as camera turns about Z.

A view with angle t (degrees) is an orthographic camera looking along (-sin t, cos t, 0)
whose image right is (cos t, sin t, 0): front = 0 (camera at -Y, image right +X), left = -90
(camera at -X, image right -Y: the character faces the viewer's right), right = 90, back = 180;
the four diagonals lie halfway between (front_left: camera at -X-Y, and so on). See
docs/architecture.md.
"""

from __future__ import annotations

import math

from ..images import DIAGONAL_VIEW_SLOTS

VIEW_ANGLES = {
    "front": 0.0,
    "back": 180.0,
    "left": -90.0,
    "right": 90.0,
    "front_left": -45.0,
    "front_right": 45.0,
    "back_left": -135.0,
    "back_right": 135.0,
}
DIAGONAL_SLOTS = DIAGONAL_VIEW_SLOTS


def image_right(slot: str) -> tuple[float, float]:
    """Unit vector in the XY plane that points to the image's right in view ``slot``."""
    t = math.radians(VIEW_ANGLES[slot])
    return math.cos(t), math.sin(t)
