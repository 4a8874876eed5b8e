#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the extension zips with Blender's own extension builder, validate each, print its size.

Stages blender_manifest.toml and the contents of addon/ into a folder under build/ (the
extension's package root), runs ``blender_ext.py build`` and ``blender_ext.py validate`` from
the bpy module (or a Blender given with --blender-ext). Exit code non-zero if either fails.

Bundled wheels: when build/wheels/ holds wheels (scripts/fetch_wheels.py, run by `make build`),
one zip is built per target, a (Python, platform) pair: dist/figurine_forge-VERSION-py311-linux-x64.zip
and so on. One zip cannot be right everywhere: Blender 4.2.0 installs every wheel the
manifest lists whatever its Python (4.2.23, 4.3 and later skip the other Pythons' wheels), so a
zip with Python 3.13 wheels breaks Pillow there. Each staged manifest gets generated
``platforms`` and ``wheels`` keys and the Blender versions whose own Python that is
(PYTHON_BLENDERS); blender_manifest.toml in the repository stays free of generated lists.
Without wheels, one zip relies on the Python it runs in: dist/figurine_forge-VERSION.zip.

Prints one line per zip on stdout (its path) and "build: NAME: SIZE MB, N wheels" on stderr.
``--target py311-linux-x64`` builds only that zip (the tests build the one for their host).
"""

from __future__ import annotations

import argparse
import re
import shutil
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def find_blender_ext() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.origin:
        sys.exit("build: the bpy module is not installed; run scripts/setup.sh first")
    root = Path(spec.origin).parent
    found = sorted(root.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        sys.exit(f"build: blender_ext.py not found under {root}")
    return found[-1]


def manifest_version() -> str:
    text = (REPO / "blender_manifest.toml").read_text("utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("build: blender_manifest.toml has no version")
    return match.group(1)


def core_version() -> str:
    text = (REPO / "addon" / "core" / "version.py").read_text("utf-8")
    match = re.search(r'VERSION\s*=\s*"([^"]+)"', text)
    if match is None:
        raise SystemExit("build: addon/core/version.py has no VERSION")
    return match.group(1)


WHEELS = REPO / "build" / "wheels"


def wheel_record() -> dict:
    """What scripts/fetch_wheels.py fetched: platforms and wheel file names."""
    import json

    record = REPO / "build" / "wheels.json"
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        raise SystemExit(f"build: {WHEELS} has wheels but {record} is missing or unreadable; "
                         "run scripts/fetch_wheels.py --clean") from None
    missing = [n for n in data.get("wheels", []) if not (WHEELS / n).is_file()]
    if missing or not data.get("platforms"):
        raise SystemExit(f"build: {record} lists wheels that are not in {WHEELS} ({', '.join(missing[:3])}); "
                         "run scripts/fetch_wheels.py --clean")
    return data


# Blender versions whose Python each target's wheels are for: official builds 4.2-5.0 run
# Python 3.11, 5.1 and later 3.13. Debian's Blender 4.3 runs 3.13 too, so the 3.13 zips start
# at 4.3; the version matrix (docs/compatibility.md) proves each end it names. A Blender whose
# Python differs refuses the zip at install (4.2.23+) instead of installing wrong wheels.
PYTHON_BLENDERS = {"3.11": ("4.2.0", "5.1.0"), "3.13": ("4.3.0", None)}


def manifest_for_target(text: str, wheel_names: list[str], platforms: list[str], python: str | None) -> str:
    """The repository's manifest plus generated ``platforms`` and ``wheels`` top-level keys
    (inserted before the first table, where TOML top-level keys must be) and, for one Python,
    the Blender versions that run it."""
    if re.search(r"^(wheels|platforms|blender_version_max)\s*=", text, re.M):
        raise SystemExit("build: blender_manifest.toml must not list wheels, platforms or blender_version_max; "
                         "the build generates them")
    lines = ["platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]",
             "wheels = [", *[f'  "./wheels/{n}",' for n in wheel_names], "]", ""]
    if python is not None:
        low, high = PYTHON_BLENDERS[python]
        text = re.sub(r'^blender_version_min\s*=.*$', f'blender_version_min = "{low}"', text, count=1, flags=re.M)
        if high:
            lines.insert(0, f'blender_version_max = "{high}"')
    at = re.search(r"^\[", text, re.M)
    cut = at.start() if at else len(text)
    return text[:cut] + "\n".join(lines) + "\n" + text[cut:]


def targets(record: dict) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (python, platform, wheel names) for every target in build/wheels.json."""
    out = {}
    for python in record["pythons"]:
        for platform in record["platforms"]:
            name = f"py{python.replace('.', '')}-{platform}"
            out[name] = (python, platform, sorted(record["targets"][name]))
    return out


def stage(dest: Path, target: tuple[str, str, list[str]] | None) -> list[str]:
    """Copy the package into ``dest`` with one target's wheels (or none); returns their names."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "addon", dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    manifest = (REPO / "blender_manifest.toml").read_text("utf-8")
    shutil.copy2(REPO / "LICENSE", dest / "LICENSE")
    wheel_names: list[str] = []
    if target is not None:
        python, platform, wheel_names = target
        (dest / "wheels").mkdir()
        for name in wheel_names:
            shutil.copy2(WHEELS / name, dest / "wheels" / name)
        manifest = manifest_for_target(manifest, wheel_names, [platform], python)
    (dest / "blender_manifest.toml").write_text(manifest, "utf-8")
    return wheel_names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blender-ext", type=Path, help="path to blender_ext.py (default: from the bpy module)")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--target", action="append",
                        help="only this (Python, platform) zip, e.g. py311-linux-x64 (default: every target)")
    args = parser.parse_args()
    version = manifest_version()
    if version != core_version():
        print(f"build: blender_manifest.toml says {version} but addon/core/version.py says {core_version()}",
              file=sys.stderr)
        return 1
    tool = args.blender_ext or find_blender_ext()
    todo: dict[str, tuple[str, str, list[str]] | None]
    if WHEELS.is_dir() and any(WHEELS.glob("*.whl")):
        every = targets(wheel_record())
        unknown = sorted(set(args.target or ()) - set(every))
        if unknown:
            print(f"build: unknown target(s) {', '.join(unknown)}; known: {', '.join(every)}", file=sys.stderr)
            return 2
        todo = {name: every[name] for name in (args.target or every)}
    else:
        todo = {"": None}
    # Several builds may run at once (parallel test sessions): each stages into its own
    # folder and builds a temporary zip that replaces the published one atomically, so no
    # build deletes another's staging and no reader sees a half-written zip.
    (REPO / "build").mkdir(exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, target in todo.items():
        staging = Path(tempfile.mkdtemp(prefix="stage-", dir=REPO / "build"))
        try:
            zip_name = f"figurine_forge-{version}{'-' + name if name else ''}.zip"
            rc = _build_and_check(tool, args.out / zip_name, staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if rc:
            return rc
    return 0


def _build_and_check(tool: Path, zip_path: Path, staging: Path, target) -> int:
    wheel_names = stage(staging, target)
    tmp_zip = zip_path.parent / f".{staging.name}.zip"
    build = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(staging),
                            "--output-filepath", str(tmp_zip)], text=True, capture_output=True)
    if build.returncode != 0 or not tmp_zip.exists():
        tmp_zip.unlink(missing_ok=True)
        print(build.stdout + build.stderr + "build: Blender's extension builder failed", file=sys.stderr)
        return 1
    check = subprocess.run([sys.executable, str(tool), "validate", str(tmp_zip)], text=True, capture_output=True)
    if check.returncode != 0:
        tmp_zip.unlink(missing_ok=True)
        print(check.stdout + check.stderr + "build: Blender's validator rejected the package", file=sys.stderr)
        return 1
    os.replace(tmp_zip, zip_path)
    size = zip_path.stat().st_size
    print(f"build: {zip_path.name}: {size / 1e6:.1f} MB, {len(wheel_names)} bundled wheels", file=sys.stderr)
    print(zip_path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
