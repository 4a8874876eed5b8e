# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the extension zip and install it into the tests' private Blender user folder; find
the real Blender binary the tests run.

Which Blender binary: ``$BLENDER`` if set, else ``blender`` on PATH, else the project's own
scripts/real_blender.sh (Debian's Blender 4.3 in a chroot it makes on first use). Nothing
outside the clone is needed. ``python tests/blender_env.py`` prints the executable (the
Makefile hands it to pytest-blender).
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROVISIONER = REPO / "scripts" / "real_blender.sh"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x900x24"]


def this_target(python: tuple[int, int] | None = None) -> str:
    """The build target (scripts/build_extension.py) of a Blender on this machine."""
    major, minor = python or sys.version_info[:2]
    machine = {"x86_64": "x64", "amd64": "x64", "arm64": "arm64", "aarch64": "arm64"}[platform.machine().lower()]
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}[sys.platform]
    return f"py{major}{minor}-{system}-{machine}"


def build_zip(target: str | None = None, out: Path | None = None) -> Path:
    """Build the zip for ``target`` (default: this Python on this machine) and return it."""
    wheels = REPO / "build" / "wheels"
    cmd = [sys.executable, str(REPO / "scripts" / "build_extension.py")]
    if wheels.is_dir() and any(wheels.glob("*.whl")):
        cmd += ["--target", target or this_target()]
    if out is not None:
        cmd += ["--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zip_path = Path(proc.stdout.strip().splitlines()[-1])
    assert zip_path.is_file() and zip_path.name.startswith("figurine_forge-")
    return zip_path


def real_blender_executable() -> Path:
    """``$BLENDER``, else ``blender`` on PATH, else scripts/real_blender.sh."""
    given = os.environ.get("BLENDER")
    if given:
        path = Path(shutil.which(given) or given)
        assert path.is_file(), f"BLENDER={given} is not a file"
        return path
    found = shutil.which("blender")
    return Path(found) if found else PROVISIONER


def real_blender_command(gui: bool = False) -> list[str]:
    """The command line that starts the real Blender (under a virtual screen when ``gui``)."""
    exe = real_blender_executable()
    if exe == PROVISIONER:
        return [str(exe), "--xvfb"] if gui else [str(exe)]
    return [*XVFB, str(exe)] if gui else [str(exe)]


@functools.lru_cache(maxsize=1)
def real_blender_target() -> str:
    """The build target for the real Blender's own Python (Debian's 4.3 runs 3.13)."""
    proc = run_real_blender("-b", "--factory-startup", "--python-expr",
                            "import sys; print('PYTHON_VERSION', *sys.version_info[:2])", timeout=300)
    found = re.search(r"^PYTHON_VERSION (\d+) (\d+)$", proc.stdout, re.M)
    assert found, f"cannot tell the real Blender's Python:\n{proc.stdout}{proc.stderr}"
    return this_target((int(found[1]), int(found[2])))


def run_real_blender(*args, env: dict | None = None, timeout: float = 900, gui: bool = False,
                     cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*real_blender_command(gui), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})


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


@contextlib.contextmanager
def paid_generator_online(addon: str, key: str):
    """3D AI Studio chosen in the scene, its key in the add-on's preferences and Blender's
    online access on, for the body of the ``with``; the scene and preferences as before after."""
    import bpy

    prefs = bpy.context.preferences.addons[addon].preferences
    system = bpy.context.preferences.system
    online_before, system.use_online_access = system.use_online_access, True
    prefs.key_3daistudio = key
    s = bpy.context.scene.figurine
    s.provider = "3daistudio"
    try:
        yield s
    finally:
        s.provider = "local"
        prefs.key_3daistudio = ""
        system.use_online_access = online_before


def clear_scene() -> None:
    import bpy

    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    for mesh in list(bpy.data.meshes):
        bpy.data.meshes.remove(mesh)


if __name__ == "__main__":
    print(real_blender_executable())
