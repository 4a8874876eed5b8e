# SPDX-License-Identifier: GPL-3.0-or-later
"""Character view images: loading, matting, the flat studio-gray backdrop and framing."""

STUDIO_GRAY = (190, 190, 190)  # #BEBEBE, the workflow's neutral backdrop
VIEW_SLOTS = ("front", "back", "left", "right")
