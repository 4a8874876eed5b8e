# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender-only work off the main thread: the OpenVDB voxel remesh in a background Blender.

The remesh cannot be cut into slices and no numpy route gives the same shell, so in the GUI a
worker thread runs it in a child ``blender -b --factory-startup`` (the same binary, so the
same OpenVDB) and waits, checking Cancel; the main thread keeps drawing. In background mode
(the CLI, scripts, the bpy module) and when no child can be started, the remesh runs in
process as before (:func:`.remesh.voxel_remesh`).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import bpy
import numpy as np

from ..core.errors import CancelledError
from ..core.mesh.trimesh import TriMesh

CHILD_SCRIPT = Path(__file__).with_name("vdb_remesh_child.py")
CHILD_TIMEOUT_S = 600.0


def child_binary() -> str | None:
    """Main thread: the Blender binary a worker may start for the remesh, or None when the
    remesh must stay in this process (background mode, the bpy module, no binary)."""
    if bpy.app.background:
        return None
    path = getattr(bpy.app, "binary_path", "") or ""
    return path if path and os.path.isfile(path) and CHILD_SCRIPT.is_file() else None


def voxel_remesh_in_child(binary: str, tm: TriMesh, voxel_size: float,
                          cancel: Callable[[], bool] | None = None) -> TriMesh | None:
    """Any thread (no bpy): the remesh in a child Blender. None if the child failed (the
    caller then remeshes in process); CancelledError if ``cancel`` turned true meanwhile."""
    with tempfile.TemporaryDirectory(prefix="figurine_remesh_") as tmp:
        src, dest = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(src, vertices=tm.vertices.astype(np.float32), triangles=tm.triangles.astype(np.int32))
        cmd = [binary, "-b", "--factory-startup", "-noaudio", "--python-exit-code", "1",
               "-P", str(CHILD_SCRIPT), "--", str(src), str(dest), repr(float(voxel_size))]
        log = open(Path(tmp) / "child.log", "w+b")  # a file, not a pipe: a chatty child never blocks
        try:
            child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        except OSError:
            log.close()
            return None
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while child.poll() is None:
            if (cancel is not None and cancel()) or time.monotonic() > deadline:
                child.kill()
                child.wait()
                log.close()
                if cancel is not None and cancel():
                    raise CancelledError("cancelled by the user")
                return None
            time.sleep(0.05)
        log.seek(0)
        err = log.read().decode("utf-8", "replace")
        log.close()
        if child.returncode != 0 or not dest.is_file():
            print(f"Figurine Forge: the remesh child failed ({child.returncode}); remeshing here\n{err[-2000:]}")
            return None
        with np.load(dest) as data:
            return TriMesh(data["vertices"].astype(np.float64), data["triangles"].astype(np.int64))
