# SPDX-License-Identifier: GPL-3.0-or-later
"""Figurine Forge core: everything that does not need Blender.

Images, prompts, providers, reconstruction, the job store and report data live here and
import only the standard library, numpy and (for images) Pillow. The ``blender`` package
adapts them to bpy; the CLI and the operators both call into this package.
"""
