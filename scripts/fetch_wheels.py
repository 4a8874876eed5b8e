#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Download the wheels the extension bundles into build/wheels/ (scripts/build_extension.py
copies them into the package and lists them in the staged manifest).

Blender ships numpy but not Pillow, httpx or google-genai, and an extension may not install
anything at run time, so every third-party package the add-on imports travels inside the zip
as a wheel, for every platform the manifest lists and for both Python versions Blender uses:
3.11 (Blender 4.2-5.0) and 3.13 (5.1+; also Debian's 4.3).

How: for each (platform, Python) pair pip resolves the requirements with a dry-run report
(``--only-binary=:all:`` and that platform's tags, so the environment markers of that target
apply), then each resolved requirement is downloaded with ``--no-deps``. Pure-Python wheels
are shared by every target and so are stored once. numpy is left out: Blender has its own.

    scripts/fetch_wheels.py            # all targets; does nothing if build/wheels.json matches
    scripts/fetch_wheels.py --refresh  # resolve again (newer releases), keep what still fits
    scripts/fetch_wheels.py --clean    # start from an empty build/wheels

build/wheels.json records what was fetched (requirements, Pythons, platforms, wheel names);
scripts/build_extension.py reads it to write the manifest's ``platforms`` and ``wheels``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEST = REPO / "build" / "wheels"
RECORD = REPO / "build" / "wheels.json"

REQUIREMENTS = ("google-genai", "httpx", "pillow")
EXCLUDE = {"numpy"}  # Blender ships its own numpy; a second copy would shadow it
PYTHONS = ("3.11", "3.13")

# Blender platform name (manifest) -> pip platform tags. pip expands a macOS tag to the older
# macOS versions and universal2; the Linux list names the glibc baselines wheels are built for
# (Blender 4.2+ itself needs glibc 2.28).
PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
}


def atomic_module():
    """The project's ``core.atomic`` (every file write goes through it), loaded from addon/."""
    sys.path.insert(0, str(REPO / "scripts"))
    from figurine import load_package  # the CLI bootstrap's loader of addon/ as figurine_forge

    load_package()
    from figurine_forge.core import atomic

    return atomic


def _platform_args(tags) -> list[str]:
    out = []
    for tag in tags:
        out += ["--platform", tag]
    return out


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)


def resolve(platform: str, python: str) -> list[tuple[str, str]]:
    """(name, version) of everything the requirements need on that target, numpy excluded."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = _pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                    "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
                    "--target", str(Path(tmp) / "target"), *_platform_args(PLATFORMS[platform]),
                    *REQUIREMENTS)
        if proc.returncode != 0:
            raise SystemExit(f"fetch_wheels: pip could not resolve for {platform} / Python {python}:\n"
                             f"{proc.stderr.strip()}")
        data = json.loads(report.read_text("utf-8"))
    found = []
    for item in data.get("install", []):
        meta = item["metadata"]
        name = meta["name"].lower().replace("_", "-")
        if name not in EXCLUDE:
            found.append((name, meta["version"]))
    return sorted(found)


def download(platform: str, python: str, pins: list[tuple[str, str]], dest: Path) -> None:
    proc = _pip("download", "--no-deps", "--quiet", "--only-binary=:all:", "--python-version", python,
                "--implementation", "cp", *_platform_args(PLATFORMS[platform]), "--dest", str(dest),
                *[f"{name}=={version}" for name, version in pins])
    if proc.returncode != 0:
        raise SystemExit(f"fetch_wheels: pip could not download for {platform} / Python {python}:\n"
                         f"{proc.stderr.strip()}")


def up_to_date(record: Path, dest: Path, platforms: list[str]) -> bool:
    """True when the last fetch was for the same requirements and targets and its wheels are all there."""
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return (data.get("requirements") == list(REQUIREMENTS) and data.get("pythons") == list(PYTHONS)
            and data.get("platforms") == platforms and data.get("wheels")
            and all((dest / name).is_file() for name in data["wheels"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", type=Path, default=DEST)
    parser.add_argument("--clean", action="store_true", help="empty the folder first")
    parser.add_argument("--refresh", action="store_true", help="resolve again even if build/wheels.json matches")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="only these platforms (default: all)")
    args = parser.parse_args(argv)
    platforms = args.platform or list(PLATFORMS)
    record = args.dest.parent / "wheels.json"
    if not (args.clean or args.refresh) and up_to_date(record, args.dest, platforms):
        print(f"fetch_wheels: {args.dest} is up to date ({record.name})", file=sys.stderr)
        return 0
    if args.dest.exists():
        shutil.rmtree(args.dest) if args.clean else None
    args.dest.mkdir(parents=True, exist_ok=True)
    wanted: set[str] = set()
    for platform in platforms:
        for python in PYTHONS:
            pins = resolve(platform, python)
            download(platform, python, pins, args.dest)
            # pip names what it fetched or found; match this target's pins to files by name and version
            for name, version in pins:
                stem = f"{name.replace('-', '_')}-{version}-"
                wanted |= {p.name for p in args.dest.glob("*.whl")
                           if p.name.lower().startswith(stem.lower()) and _fits(p.name, platform, python)}
            print(f"fetch_wheels: {platform} Python {python}: {len(pins)} packages", file=sys.stderr)
    for stale in set(p.name for p in args.dest.glob("*.whl")) - wanted:
        (args.dest / stale).unlink()  # left from an earlier resolution: not bundled
    wheels = sorted(wanted)
    size = sum((args.dest / w).stat().st_size for w in wheels)
    fetched = {"requirements": list(REQUIREMENTS), "pythons": list(PYTHONS), "platforms": platforms,
                 "wheels": wheels}
    # Atomic: a half-written record would make the build list wheels that are not there.
    atomic_module().write_json(record, fetched)
    print(f"fetch_wheels: {len(wheels)} wheels, {size / 1e6:.1f} MB in {args.dest}", file=sys.stderr)
    return 0


def _fits(wheel: str, platform: str, python: str) -> bool:
    """Could this wheel file be the one pip chose for that target? (tags from the file name)"""
    _name, _version, py_tag, abi_tag, plat_tag = wheel[:-4].rsplit("-", 4)
    if plat_tag == "any":
        return True
    cp = "cp" + python.replace(".", "")
    if not (cp in py_tag.split(".") or abi_tag == "abi3"):
        return False
    tags = PLATFORMS[platform]
    if platform.startswith("linux"):
        return "linux" in plat_tag and tags[0].rsplit("_", 1)[-1] in plat_tag
    if platform.startswith("windows"):
        return plat_tag == "win_amd64"
    arch = platform.split("-")[1].replace("x64", "x86_64")
    return "macosx" in plat_tag and (arch in plat_tag or "universal2" in plat_tag)


if __name__ == "__main__":
    sys.exit(main())
