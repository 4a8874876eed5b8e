# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole operator chain (tests/in_blender/chain.py) in every Blender of the version matrix:
the bpy-module venvs scripts/setup_matrix.sh makes (scripts/blender_matrix.txt), the main
.venv (bpy 5.0.1), and the real Blender binary (tests/blender_env.py: by default Debian's 4.3).

Each host installs the zip built for its own Python (scripts/build_extension.py --target) into
a private user folder, so the bundled wheels are what is tested. The chain runs once per host;
each (host, step) pair is one test, so a failure names the Blender version and the step. Each
host's results go to test-output/compat/HOST.json; scripts/compat_table.py prints them (with
the chain's time and the venv's install time) and turns them into docs/compatibility.md's table.
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


def export_formats() -> list[str]:
    from figurine_forge.core.mesh.exportformats import EXPORT_FORMATS  # conftest loads addon/ from source

    return list(EXPORT_FORMATS)


# The chain's steps, in order (tests/in_blender/chain.py prints one result line per step).
STEPS = ["install", "load views", "prepare", "generate local", "clay", "review", "scale", "check", "select finding",
         "make printable", "add base", "hollow", "decimate", *[f"export {fmt}" for fmt in export_formats()]]


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    out = tmp_path_factory.mktemp("matrix_views")
    proc = run_cli("sample", "--out", out, "--size", "384")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def chain_run(views, tmp_path_factory, output_dir):
    """host -> that host's chain result (run once per host, on first use)."""
    done: dict[str, dict] = {}

    def run(host: str) -> dict:
        if host not in done:
            done[host] = _run_chain(host, views, tmp_path_factory.mktemp(f"chain_{host}"), output_dir)
        return done[host]

    return run


def _run_chain(host: str, views: Path, tmp_path: Path, output_dir: Path) -> dict:
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
    record = {"host": host, **(hosts[-1] if hosts else {"blender": "?", "python": "?", "binary": host == "blender-binary"}),
              "finished": bool(hosts), "zip": zip_path.name, "zip_mb": round(zip_path.stat().st_size / 1e6, 1),
              "seconds": round(seconds, 1), "steps": steps,
              "output": "" if hosts else (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:])}
    if hosts:  # a run that died says nothing about the steps it did not reach
        folder = output_dir / "compat"
        folder.mkdir(exist_ok=True)
        (folder / f"{host}.json").write_text(json.dumps(record, indent=1), "utf-8")
    return record


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("host", HOSTS)
def test_chain_step_in_every_blender(host, step, chain_run):
    record = chain_run(host)
    where = f"{host} (Blender {record['blender']}, Python {record['python']})"
    assert record["finished"], f"the chain did not finish in {where}:\n{record['output']}"
    assert [s["step"] for s in record["steps"]] == STEPS  # every step ran, in the artist's order
    result = next(s for s in record["steps"] if s["step"] == step)
    assert result["ok"], f"{step} failed in {where}: {result['detail']}"
