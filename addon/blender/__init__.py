# SPDX-License-Identifier: GPL-3.0-or-later
"""The thin Blender layer: adapters between bpy and the core, operators, panel, settings."""
