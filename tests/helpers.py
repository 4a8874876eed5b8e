# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test helpers: run the CLI the way users do, make small meshes and images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from blender_env import real_blender_executable

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "figurine.py"
REAL_BLENDER = real_blender_executable()  # $BLENDER, `blender` on PATH or scripts/real_blender.sh


def run_cli(*args, env=None, timeout=600, cwd=None) -> subprocess.CompletedProcess:
    """``python scripts/figurine.py ARGS`` in a fresh process (the bpy module host)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd or REPO)


def sample_job(root: Path) -> Path:
    """The sample character's views in ``root/views`` and the local `figurine run` of them in
    ``root/job`` (32 mm): a job with a generated model, as a user's first run leaves it."""
    proc = run_cli("sample", "--out", root / "views", "--json")
    assert proc.returncode == 0, proc.stderr
    args: list = ["run", "--out", root / "job", "--height", "32", "--json"]
    for view in ("front", "back", "left", "right"):
        args += [f"--{view}", root / "views" / f"{view}.png"]
    proc = run_cli(*args)
    assert proc.returncode in (0, 1), proc.stderr  # 1 = a print check failed; the model exists
    return root / "job"


def last_json(stdout: str) -> dict:
    """The one JSON object a --json command prints, as its last line."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no JSON line in output:\n{stdout}"
    return json.loads(lines[-1])


def cube(size: float = 1.0, centre=(0.0, 0.0, 0.0)):
    from figurine_forge.core.mesh.trimesh import TriMesh

    v = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], float) - 0.5
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    return TriMesh(v * size + np.asarray(centre), np.array(tris))
