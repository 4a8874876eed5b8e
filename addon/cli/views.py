# SPDX-License-Identifier: GPL-3.0-or-later
"""The four view options shared by every command that starts from character images."""

from __future__ import annotations

from ..core.images import ALL_VIEW_SLOTS, VIEW_SLOTS

_HELP = {
    "front": "front view (required)",
    "back": "back view",
    "left": "left view: the character faces the viewer's RIGHT",
    "right": "right view: the character faces the viewer's LEFT",
    "front_left": "optional 45-degree view between front and left (camera at front-left)",
    "front_right": "optional 45-degree view between front and right",
    "back_left": "optional 45-degree view between back and left",
    "back_right": "optional 45-degree view between back and right",
}


def add_view_arguments(p) -> None:
    for slot in VIEW_SLOTS:
        p.add_argument(f"--{slot}", required=slot == "front", metavar="IMAGE", help=_HELP[slot])
    for slot in ALL_VIEW_SLOTS[len(VIEW_SLOTS):]:
        p.add_argument(f"--{slot.replace('_', '-')}", dest=slot, metavar="IMAGE", help=_HELP[slot])


def view_paths(args) -> dict[str, str]:
    """The views given on the command line, by slot."""
    return {slot: getattr(args, slot) for slot in ALL_VIEW_SLOTS if getattr(args, slot, None)}
