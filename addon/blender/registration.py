# SPDX-License-Identifier: GPL-3.0-or-later
"""Register every class of the Blender layer, in dependency order."""

from __future__ import annotations

import importlib

import bpy

# Modules with a ``classes`` tuple, registered in this order (property groups first).
MODULES = (
    "props",
    "prefs",
    "operators.mesh_ops",
    "operators.workflow_ops",
    "ui",
)


def _classes():
    for name in MODULES:
        module = importlib.import_module(f".{name}", __package__)
        yield from module.classes


def register() -> None:
    for cls in _classes():
        bpy.utils.register_class(cls)
    from . import props

    props.register_properties()


def unregister() -> None:
    from . import props

    props.unregister_properties()
    for cls in reversed(list(_classes())):
        bpy.utils.unregister_class(cls)
