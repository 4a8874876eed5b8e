# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender-only work off the main thread, in a background Blender child process.

Two things Blender alone does cannot be cut into slices: the OpenVDB voxel remesh (no numpy
route gives the same shell) and a render (one blocking call, 1-3 s for a dense figure under
software GL). In the GUI a worker thread runs them in a child ``blender -b --factory-startup``
(the same binary, so the same OpenVDB and Workbench) and waits, checking Cancel; the main
thread keeps drawing. :func:`run_child` is that machinery; the remesh
(:func:`voxel_remesh_in_child`, vdb_remesh_child.py) and the review's renders
(:func:`render_in_child`, render_child.py) use it. In background mode (the CLI, scripts, the
bpy module) and when no child can be started, the work runs in process as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

import bpy
import numpy as np

from ..core.errors import CancelledError
from ..core.mesh.trimesh import TriMesh

CHILD_SCRIPT = Path(__file__).with_name("vdb_remesh_child.py")
RENDER_SCRIPT = Path(__file__).with_name("render_child.py")
CHILD_TIMEOUT_S = 600.0


def child_binary() -> str | None:
    """Main thread: the Blender binary a worker may start for a remesh or renders, or None
    when the work must stay in this process (background mode, the bpy module, no binary)."""
    if bpy.app.background:
        return None
    path = getattr(bpy.app, "binary_path", "") or ""
    return path if path and os.path.isfile(path) and CHILD_SCRIPT.is_file() else None


# The child yields the CPU to the GUI it works for (a draw needs the main thread), mildly: at
# nice 10 a compile or render beside Blender (nice 0) left it a tenth of a core, and Generate
# took 108 s instead of 3 s (bench_gui_stalls.py with two busy loops). At 4 it keeps about a
# third of a core against each such process, and the main thread still comes first.
CHILD_NICENESS = 4


def _lower_priority(cmd: list[str]) -> tuple[list[str], dict]:
    """The command and Popen options that start the child at a lower CPU priority: on a busy
    machine the window's draws come first, the child's render or remesh waits. (Through
    ``nice``, not ``preexec_fn``: that is unsafe in a process with threads, as Blender is.)"""
    if os.name == "nt":
        return cmd, {"creationflags": getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)}
    nice = shutil.which("nice")
    return ([nice, "-n", str(CHILD_NICENESS), *cmd] if nice else cmd), {}


Command = str | Sequence[str]  # a Blender binary, or a command that starts one (tests: a wrapper)


class ChildFailed(Exception):
    """The child Blender did not deliver: its exit code and the end of its log."""


def run_child(blender: Command, script: Path, args: Sequence[str | os.PathLike], log_path: Path, *,
              cancel: Callable[[], bool] | None = None, timeout: float = CHILD_TIMEOUT_S,
              poll: Callable[[], None] | None = None) -> None:
    """Any thread (no bpy): run ``script`` in a background Blender and wait for it, polling
    ``cancel`` (and calling ``poll``, e.g. to report what the child wrote so far).
    CancelledError (the child killed) on cancel; ChildFailed if it could not start, ran out of
    time or exited non-zero. The log goes to a file, not a pipe: a chatty child never blocks."""
    command = [blender] if isinstance(blender, str) else list(blender)
    cmd = [*command, "-b", "--factory-startup", "-noaudio", "--python-exit-code", "1",
           "-P", str(script), "--", *(str(a) for a in args)]
    with open(log_path, "w+b") as log:
        try:
            cmd, options = _lower_priority(cmd)
            child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **options)
        except OSError as exc:
            raise ChildFailed(f"cannot start {command[0]}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            stop = cancel is not None and cancel()
            if stop or time.monotonic() > deadline:
                child.kill()
                child.wait()
                if stop:
                    raise CancelledError("cancelled by the user")
                raise ChildFailed(f"{script.name} took longer than {timeout:g} s")
            if poll is not None:
                poll()
            time.sleep(0.05)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    if child.returncode != 0:
        tail = text.strip().splitlines()[-12:]
        raise ChildFailed(f"{script.name} exited with {child.returncode}: " + " | ".join(tail)[-1500:])


def voxel_remesh_in_child(binary: Command, tm: TriMesh, voxel_size: float,
                          cancel: Callable[[], bool] | None = None) -> TriMesh | None:
    """Any thread (no bpy): the remesh in a child Blender. None if the child failed (the
    caller then remeshes in process); CancelledError if ``cancel`` turned true meanwhile."""
    with tempfile.TemporaryDirectory(prefix="figurine_remesh_") as tmp:
        src, dest = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(src, vertices=tm.vertices.astype(np.float32), triangles=tm.triangles.astype(np.int32))
        try:
            run_child(binary, CHILD_SCRIPT, [src, dest, repr(float(voxel_size))], Path(tmp) / "child.log",
                      cancel=cancel)
        except ChildFailed as exc:
            print(f"Figurine Forge: the remesh child failed; remeshing here: {exc}")
            return None
        if not dest.is_file():
            print("Figurine Forge: the remesh child wrote no result; remeshing here")
            return None
        with np.load(dest) as data:
            return TriMesh(data["vertices"].astype(np.float64), data["triangles"].astype(np.int64))


def render_in_child(blender: Command, tm: TriMesh, out_dir: str | os.PathLike, renders: Sequence[dict], *,
                    size: int, smooth: bool = False, point_rgba: np.ndarray | None = None,
                    face_rgba: np.ndarray | None = None, cancel: Callable[[], bool] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Any thread (no bpy): :func:`.render.render_views` of ``tm`` in a child Blender, once
    per entry of ``renders`` (see render_child.py for its keys), into ``out_dir``. Returns
    ``{prefix + view: path}`` of every PNG, each checked to exist; ChildFailed if the child
    failed or left one out, CancelledError on cancel. ``progress(done, total)`` hears of each
    image as it appears (the child publishes each one atomically)."""
    out_dir = Path(out_dir)
    expected = [out_dir / f"{r['prefix']}{view}.png" for r in renders for view in r["views"]]
    for stale in expected:  # an earlier run's image must not count as this run's progress
        stale.unlink(missing_ok=True)
    seen = [0]

    def poll() -> None:
        done = sum(p.is_file() for p in expected)
        if progress is not None and done != seen[0]:
            seen[0] = done
            progress(done, len(expected))

    with tempfile.TemporaryDirectory(prefix="figurine_render_") as tmp:
        mesh = Path(tmp) / "mesh.npz"
        extra = {k: np.asarray(v, np.float32) for k, v in (("point_rgba", point_rgba), ("face_rgba", face_rgba))
                 if v is not None}
        np.savez(mesh, vertices=tm.vertices.astype(np.float32), triangles=tm.triangles.astype(np.int32), **extra)
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"mesh": str(mesh), "out_dir": str(out_dir), "size": int(size),
                                    "smooth": bool(smooth), "renders": list(renders)}), "utf-8")
        if progress is not None:
            progress(0, len(expected))
        run_child(blender, RENDER_SCRIPT, [spec], Path(tmp) / "child.log", cancel=cancel, poll=poll)
        poll()  # the last image, written just before the child ended
    written = {r["prefix"] + view: out_dir / f"{r['prefix']}{view}.png" for r in renders for view in r["views"]}
    missing = [p.name for p in written.values() if not p.is_file()]
    if missing:
        raise ChildFailed(f"render_child.py wrote no {', '.join(missing)}")
    return written
