# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole operator chain (tests/in_blender/chain.py) in every Blender of the version matrix:
the bpy-module venvs scripts/setup_matrix.sh makes (scripts/blender_matrix.txt), the main
.venv (bpy 5.0.1), and the real Blender binary (tests/blender_env.py: by default Debian's 4.3).

Each host installs the zip built for its own Python (scripts/build_extension.py --target) into
a private user folder, so the bundled wheels are what is tested. Every step must pass in every
host. Each host's step results go to test-output/compat/HOST.json;
scripts/compat_table.py turns them into the table of docs/compatibility.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blender_env import REPO, build_zip, real_blender_command, real_blender_target, this_target
from helpers import run_cli

CHAIN = REPO / "tests" / "in_blender" / "chain.py"
MATRIX = REPO / "scripts" / "blender_matrix.txt"
CACHE = Path(os.environ.get("FIGURINE_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "figurine-forge")


def matrix_venvs() -> list[tuple[str, str, str]]:
    """(name, bpy version, Python) of every venv line in scripts/blender_matrix.txt."""
    out = []
    for line in MATRIX.read_text("utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            out.append((fields[0], fields[1], fields[2]))
    return out


HOSTS = [name for name, _bpy, _py in matrix_venvs()] + ["bpy-main", "blender-binary"]


def host_command(host: str) -> tuple[list[str], str]:
    """The command that runs a script in that host, and the zip target for its Python."""
    if host == "bpy-main":
        return [sys.executable], this_target()
    if host == "blender-binary":
        return [*real_blender_command(), "-b", "--factory-startup", "--python-exit-code", "1", "-P"], \
            real_blender_target()
    name, _bpy, python = next(v for v in matrix_venvs() if v[0] == host)
    python_exe = CACHE / "venvs" / name / "bin" / "python"
    assert python_exe.is_file(), f"{python_exe} is missing: run scripts/setup_matrix.sh (make test does)"
    major, minor = python.split(".")
    return [str(python_exe)], this_target((int(major), int(minor)))


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    out = tmp_path_factory.mktemp("matrix_views")
    proc = run_cli("sample", "--out", out, "--size", "384")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("host", HOSTS)
def test_whole_chain_in_every_blender(host, views, tmp_path, output_dir):
    command, target = host_command(host)
    zip_path = build_zip(target, out=tmp_path / "dist")
    user = tmp_path / "user"
    env = {**os.environ, **{f"BLENDER_USER_{k}": str(user / k.lower())
                            for k in ("RESOURCES", "CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES")}}
    env.pop("PYTHONPATH", None)
    start = time.perf_counter()
    proc = subprocess.run([*command, str(CHAIN), "--", str(zip_path), str(views), str(tmp_path / "work")],
                          capture_output=True, text=True, timeout=1200, cwd=REPO, env=env)
    seconds = time.perf_counter() - start
    steps = [json.loads(ln[6:]) for ln in proc.stdout.splitlines() if ln.startswith("CHAIN ")]
    hosts = [json.loads(ln[11:]) for ln in proc.stdout.splitlines() if ln.startswith("CHAIN_HOST ")]
    assert hosts, f"the chain did not finish in {host}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    record = {"host": host, **hosts[-1], "zip": zip_path.name, "zip_mb": round(zip_path.stat().st_size / 1e6, 1),
              "seconds": round(seconds, 1), "steps": steps}
    folder = output_dir / "compat"
    folder.mkdir(exist_ok=True)
    (folder / f"{host}.json").write_text(json.dumps(record, indent=1), "utf-8")
    print(f"\nmatrix: {host} (Blender {record['blender']}, Python {record['python']}): chain {seconds:.1f} s, "
          f"{sum(s['ok'] for s in steps)}/{len(steps)} steps ok, zip {zip_path.name} {record['zip_mb']} MB")
    failed = [f"{s['step']}: {s['detail']}" for s in steps if not s["ok"]]
    assert not failed, f"failed in {host} (Blender {record['blender']}):\n" + "\n".join(failed)
    assert proc.returncode == 0, proc.stderr[-4000:]
    expected = {"install", "load views", "prepare", "generate local", "clay", "review", "scale", "check",
                "select finding", "make printable", "add base", "hollow", "decimate", "export stl", "export 3mf"}
    assert expected <= {s["step"] for s in steps}
