# SPDX-License-Identifier: GPL-3.0-or-later
"""Register every class of the Blender layer, in dependency order.

Each module in MODULES has a ``classes`` tuple; it may also have ``register()`` and
``unregister()`` for what is not a class (handlers, status-bar drawing), called after its
classes are registered and before they are unregistered."""

from __future__ import annotations

import importlib

import bpy

# Modules with a ``classes`` tuple, registered in this order (property groups first).
MODULES = (
    "props",
    "prefs",
    "tasks",
    "display",
    "operators.mesh_ops",
    "operators.workflow_ops",
    "operators.view_ops",
    "operators.ai_ops",
    "operators.generate_ops",
    "operators.review_ops",
    "operators.make_ops",
    "operators.check_ops",
    "operators.print_view_ops",
    "operators.print_ops",
    "ui",
)


def _modules():
    return [importlib.import_module(f".{name}", __package__) for name in MODULES]


def register() -> None:
    modules = _modules()
    for module in modules:
        for cls in module.classes:
            bpy.utils.register_class(cls)
    from . import props

    props.register_properties()
    for module in modules:
        if hasattr(module, "register"):
            module.register()


def unregister() -> None:
    modules = _modules()
    for module in reversed(modules):
        if hasattr(module, "unregister"):
            module.unregister()
    from . import props

    props.unregister_properties()
    for module in reversed(modules):
        for cls in reversed(module.classes):
            bpy.utils.unregister_class(cls)
