#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build dist/figurine_forge-<version>.zip with Blender's own extension builder, then validate it.

Stages blender_manifest.toml and the contents of addon/ into build/stage/ (the extension's
package root), runs ``blender_ext.py build`` and ``blender_ext.py validate`` from the bpy
module (or a Blender given with --blender-ext). Exit code non-zero if either fails.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
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
    return match.group(1)


def core_version() -> str:
    text = (REPO / "addon" / "core" / "version.py").read_text("utf-8")
    return re.search(r'VERSION\s*=\s*"([^"]+)"', text).group(1)


def stage(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "addon", dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    shutil.copy2(REPO / "blender_manifest.toml", dest / "blender_manifest.toml")
    shutil.copy2(REPO / "LICENSE", dest / "LICENSE")
    wheels = REPO / "build" / "wheels"
    if wheels.is_dir() and any(wheels.iterdir()):
        shutil.copytree(wheels, dest / "wheels")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blender-ext", type=Path, help="path to blender_ext.py (default: from the bpy module)")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    args = parser.parse_args()
    version = manifest_version()
    if version != core_version():
        print(f"build: blender_manifest.toml says {version} but addon/core/version.py says {core_version()}",
              file=sys.stderr)
        return 1
    tool = args.blender_ext or find_blender_ext()
    staging = REPO / "build" / "stage"
    stage(staging)
    args.out.mkdir(parents=True, exist_ok=True)
    zip_path = args.out / f"figurine_forge-{version}.zip"
    if zip_path.exists():
        zip_path.unlink()
    build = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(staging),
                            "--output-filepath", str(zip_path)], text=True)
    if build.returncode != 0 or not zip_path.exists():
        print("build: Blender's extension builder failed", file=sys.stderr)
        return 1
    check = subprocess.run([sys.executable, str(tool), "validate", str(zip_path)], text=True)
    if check.returncode != 0:
        print("build: Blender's validator rejected the package", file=sys.stderr)
        return 1
    print(zip_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
