# SPDX-License-Identifier: GPL-3.0-or-later
"""Mesh import for every path that checks, repairs or measures a mesh: one loader
(``load``), the welding of split vertices (``weld``), units and axes (``units``), archives
holding a model and its textures (``archive``)."""
