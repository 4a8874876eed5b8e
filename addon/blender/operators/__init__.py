# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators (``bpy.ops.figurine.*``), one module per panel section."""
