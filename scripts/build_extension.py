#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build dist/figurine_forge-<version>.zip with Blender's own extension builder, then validate it.

Stages blender_manifest.toml and the contents of addon/ into build/stage/ (the extension's
package root), runs ``blender_ext.py build`` and ``blender_ext.py validate`` from the bpy
module (or a Blender given with --blender-ext). Exit code non-zero if either fails.

Bundled wheels: when build/wheels/ holds wheels (scripts/fetch_wheels.py, run by `make
build`), they are copied into the package and the staged manifest gets generated
``wheels = [...]`` and ``platforms = [...]`` keys; blender_manifest.toml in the repository
stays free of generated lists. Without wheels the package relies on the Python it runs in.
``--split-platforms`` also writes one smaller zip per platform (Blender's own splitting).
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


def manifest_with_wheels(text: str, wheel_names: list[str], platforms: list[str]) -> str:
    """The repository's manifest plus generated ``platforms`` and ``wheels`` top-level keys
    (inserted before the first table, where TOML top-level keys must be)."""
    if re.search(r"^(wheels|platforms)\s*=", text, re.M):
        raise SystemExit("build: blender_manifest.toml must not list wheels or platforms; the build generates them")
    lines = ["platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]",
             "wheels = [", *[f'  "./wheels/{n}",' for n in wheel_names], "]", ""]
    at = re.search(r"^\[", text, re.M)
    cut = at.start() if at else len(text)
    return text[:cut] + "\n".join(lines) + "\n" + text[cut:]


def stage(dest: Path) -> list[str]:
    """Copy the package into ``dest``; returns the bundled wheels' file names."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "addon", dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    manifest = (REPO / "blender_manifest.toml").read_text("utf-8")
    shutil.copy2(REPO / "LICENSE", dest / "LICENSE")
    wheel_names: list[str] = []
    if WHEELS.is_dir() and any(WHEELS.glob("*.whl")):
        record = wheel_record()
        wheel_names = sorted(record["wheels"])
        (dest / "wheels").mkdir()
        for name in wheel_names:
            shutil.copy2(WHEELS / name, dest / "wheels" / name)
        manifest = manifest_with_wheels(manifest, wheel_names, record["platforms"])
    (dest / "blender_manifest.toml").write_text(manifest, "utf-8")
    return wheel_names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blender-ext", type=Path, help="path to blender_ext.py (default: from the bpy module)")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--split-platforms", action="store_true",
                        help="also write one zip per bundled platform (smaller downloads)")
    args = parser.parse_args()
    version = manifest_version()
    if version != core_version():
        print(f"build: blender_manifest.toml says {version} but addon/core/version.py says {core_version()}",
              file=sys.stderr)
        return 1
    tool = args.blender_ext or find_blender_ext()
    # Several builds may run at once (parallel test sessions): each stages into its own
    # folder and builds a temporary zip that replaces the published one atomically, so no
    # build deletes another's staging and no reader sees a half-written zip.
    (REPO / "build").mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="stage-", dir=REPO / "build"))
    try:
        return _build_and_check(args, tool, version, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build_and_check(args, tool: Path, version: str, staging: Path) -> int:
    wheel_names = stage(staging)
    args.out.mkdir(parents=True, exist_ok=True)
    zip_path = args.out / f"figurine_forge-{version}.zip"
    tmp_zip = args.out / f".{staging.name}.zip"
    build = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(staging),
                            "--output-filepath", str(tmp_zip)], text=True)
    if build.returncode != 0 or not tmp_zip.exists():
        tmp_zip.unlink(missing_ok=True)
        print("build: Blender's extension builder failed", file=sys.stderr)
        return 1
    check = subprocess.run([sys.executable, str(tool), "validate", str(tmp_zip)], text=True)
    if check.returncode != 0:
        tmp_zip.unlink(missing_ok=True)
        print("build: Blender's validator rejected the package", file=sys.stderr)
        return 1
    os.replace(tmp_zip, zip_path)
    if args.split_platforms and wheel_names:
        split = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(staging),
                                "--output-dir", str(args.out), "--split-platforms"], text=True)
        if split.returncode != 0:
            print("build: Blender's extension builder failed to split by platform", file=sys.stderr)
            return 1
    size = zip_path.stat().st_size
    print(f"build: {zip_path.name}: {size / 1e6:.1f} MB, {len(wheel_names)} bundled wheels", file=sys.stderr)
    print(zip_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
