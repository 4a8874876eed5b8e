# SPDX-License-Identifier: GPL-3.0-or-later
"""Character view images: loading, matting, the flat studio-gray backdrop and framing."""

STUDIO_GRAY = (190, 190, 190)  # #BEBEBE, the workflow's neutral backdrop
VIEW_SLOTS = ("front", "back", "left", "right")
# Optional new directions halfway between (45 degrees), used by the local reconstruction.
DIAGONAL_VIEW_SLOTS = ("front_left", "front_right", "back_left", "back_right")
ALL_VIEW_SLOTS = VIEW_SLOTS + DIAGONAL_VIEW_SLOTS


def view_name(slot: str) -> str:
    """A view slot as messages write it: ``front_left`` -> ``front-left`` (what the panel and the
    CLI's options call it). Slot ids stay as they are in JSON, job files and file names."""
    return slot.replace("_", "-")
