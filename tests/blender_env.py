# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the extension zip and install it into the tests' private Blender user folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def build_zip() -> Path:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "build_extension.py")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zip_path = Path(proc.stdout.strip().splitlines()[-1])
    assert zip_path.is_file() and zip_path.name.startswith("figurine_forge-")
    return zip_path


def install_zip(zip_path: Path) -> str:
    """Install with Blender's own operator, as a user does; returns the add-on module name."""
    import bpy

    module = "bl_ext.user_default.figurine_forge"
    if module in bpy.context.preferences.addons:
        return module
    result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}, result
    assert module in bpy.context.preferences.addons
    return module


def clear_scene() -> None:
    import bpy

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    for mesh in list(bpy.data.meshes):
        bpy.data.meshes.remove(mesh)
