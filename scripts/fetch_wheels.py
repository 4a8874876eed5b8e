#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Download the wheels the extension bundles into build/wheels/ (scripts/build_extension.py
copies them into the packages and lists them in each staged manifest).

Blender ships numpy but not Pillow or google-genai (and its HTTP client httpx2, which the
add-on uses too), and an extension may not install anything at run time, so every
third-party package the add-on imports travels inside the zip as a wheel, for every platform
and for both Python versions Blender uses: 3.11 (Blender 4.2-5.0) and 3.13 (5.1+; also
Debian's 4.3). The build makes one zip per (Python, platform) target from the record.

How: for each target pip resolves the requirements with a dry-run report (``--only-binary=:all:``
and that platform's tags, so the environment markers of that target apply). The requirements
carry the pins of requirements.txt (what the test suite runs with is what ships). When targets
resolve one package to different versions (a platform whose newest release has no wheel),
every target is resolved again held to the lowest of them: one version of each package in
every zip. Then each pin is downloaded with ``--no-deps``. numpy is left out: Blender has its own.

    scripts/fetch_wheels.py            # all targets; does nothing if build/wheels.json matches,
                                       # copies ~/.cache/figurine-forge/wheels if that matches
    scripts/fetch_wheels.py --refresh  # resolve again (newer releases), keep what still fits
    scripts/fetch_wheels.py --clean    # start from an empty build/wheels

build/wheels.json records what was fetched (requirements, Pythons, platforms, and the wheel
file names of each target); scripts/build_extension.py reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEST = REPO / "build" / "wheels"
RECORD = REPO / "build" / "wheels.json"

# What the add-on imports; versions pinned in requirements.txt are held to those pins.
PACKAGES = ("google-genai", "httpx2", "pillow")
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


def requirements(path: Path = REPO / "requirements.txt") -> list[str]:
    """PACKAGES, each with its ``==`` pin from requirements.txt when it has one."""
    pins = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return [f"{name}=={pins[name]}" if name in pins else name for name in PACKAGES]


def resolve(platform: str, python: str, wanted: list[str]) -> list[tuple[str, str]]:
    """(name, version) of everything ``wanted`` needs on that target, numpy excluded."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = _pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                    "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
                    "--target", str(Path(tmp) / "target"), *_platform_args(PLATFORMS[platform]),
                    *wanted)
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


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in version.replace("-", ".").split("."))


def resolve_all(targets: list[tuple[str, str]], wanted: list[str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every target's pins, with one version of each package across all targets: a package
    resolved to several versions is held to the lowest and everything is resolved again."""
    held: dict[str, str] = {}
    for _round in range(4):
        pins = {t: resolve(t[0], t[1], wanted + [f"{n}=={v}" for n, v in held.items()]) for t in targets}
        versions: dict[str, set[str]] = {}
        for found in pins.values():
            for name, version in found:
                versions.setdefault(name, set()).add(version)
        split = {name: min(vs, key=_version_key) for name, vs in versions.items() if len(vs) > 1}
        if not split:
            return pins
        print("fetch_wheels: holding " + ", ".join(f"{n}=={v}" for n, v in sorted(split.items())) +
              " (another target has no newer wheel)", file=sys.stderr)
        held.update(split)
    raise SystemExit(f"fetch_wheels: the targets do not agree on one version of {', '.join(sorted(split))}")


def download(platform: str, python: str, pins: list[tuple[str, str]], dest: Path) -> None:
    proc = _pip("download", "--no-deps", "--quiet", "--only-binary=:all:", "--python-version", python,
                "--implementation", "cp", *_platform_args(PLATFORMS[platform]), "--dest", str(dest),
                *[f"{name}=={version}" for name, version in pins])
    if proc.returncode != 0:
        raise SystemExit(f"fetch_wheels: pip could not download for {platform} / Python {python}:\n"
                         f"{proc.stderr.strip()}")


def target_name(python: str, platform: str) -> str:
    """``py311-linux-x64``: the key of a target in build/wheels.json and in the zips' names."""
    return f"py{python.replace('.', '')}-{platform}"


def up_to_date(record: Path, dest: Path, platforms: list[str]) -> bool:
    """True when the last fetch was for the same requirements and targets and its wheels are all there."""
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return (data.get("requirements") == requirements() and data.get("pythons") == list(PYTHONS)
            and data.get("platforms") == platforms and data.get("targets")
            and all((dest / name).is_file() for names in data["targets"].values() for name in names))


# A fresh clone (CI) has no build/: the last resolution is kept outside the clone too, so it is
# copied instead of resolved again (eight pip resolutions take minutes). --refresh resolves anew.
CACHE = Path(os.environ.get("FIGURINE_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "figurine-forge") / "wheels"


def from_cache(record: Path, dest: Path, platforms: list[str]) -> bool:
    """Copy the cached fetch into ``dest`` when it was for the same requirements and targets."""
    if not up_to_date(CACHE / "wheels.json", CACHE, platforms):
        return False
    data = json.loads((CACHE / "wheels.json").read_text("utf-8"))
    dest.mkdir(parents=True, exist_ok=True)
    for name in data["wheels"]:
        if not (dest / name).is_file():
            shutil.copy2(CACHE / name, dest / name)
    atomic_module().write_json(record, data)
    return True


def to_cache(record: Path, dest: Path) -> None:
    """Keep this fetch in CACHE for the next clone (best effort: a read-only cache is fine)."""
    try:
        data = json.loads(record.read_text("utf-8"))
        CACHE.mkdir(parents=True, exist_ok=True)
        for name in data["wheels"]:
            if not (CACHE / name).is_file():
                shutil.copy2(dest / name, CACHE / name)
        atomic_module().write_json(CACHE / "wheels.json", data)
    except OSError as exc:
        print(f"fetch_wheels: could not keep the wheels in {CACHE} ({exc})", file=sys.stderr)


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
    if not (args.clean or args.refresh) and from_cache(record, args.dest, platforms):
        print(f"fetch_wheels: {args.dest} copied from {CACHE} (same requirements and targets)", file=sys.stderr)
        return 0
    if args.dest.exists():
        shutil.rmtree(args.dest) if args.clean else None
    args.dest.mkdir(parents=True, exist_ok=True)
    wanted = requirements()
    targets = [(platform, python) for python in PYTHONS for platform in platforms]
    resolved = resolve_all(targets, wanted)
    per_target: dict[str, list[str]] = {}
    for (platform, python), pins in resolved.items():
        download(platform, python, pins, args.dest)
        # pip names what it fetched or found; match this target's pins to files by name and version
        names: set[str] = set()
        for name, version in pins:
            stem = f"{name.replace('-', '_')}-{version}-"
            fits = [p.name for p in args.dest.glob("*.whl")
                    if p.name.lower().startswith(stem.lower()) and _fits(p.name, platform, python)]
            if not fits:
                raise SystemExit(f"fetch_wheels: no wheel of {name} {version} for {platform} / Python {python} "
                                 f"in {args.dest}")
            names.add(_best(fits, python))
        per_target[target_name(python, platform)] = sorted(names)
        print(f"fetch_wheels: {platform} Python {python}: {len(pins)} packages", file=sys.stderr)
    wheels = sorted(set().union(*per_target.values()))
    for stale in set(p.name for p in args.dest.glob("*.whl")) - set(wheels):
        (args.dest / stale).unlink()  # left from an earlier resolution: not bundled
    size = sum((args.dest / w).stat().st_size for w in wheels)
    fetched = {"requirements": wanted, "pythons": list(PYTHONS), "platforms": platforms,
               "targets": per_target, "wheels": wheels}
    # Atomic: a half-written record would make the build list wheels that are not there.
    atomic_module().write_json(record, fetched)
    to_cache(record, args.dest)
    print(f"fetch_wheels: {len(wheels)} wheels, {size / 1e6:.1f} MB in {args.dest}", file=sys.stderr)
    return 0


def _best(fits: list[str], python: str) -> str:
    """One wheel of a package for a target: the one built for exactly this Python if there is
    one (not an abi3 or older-Python build of the same release beside it)."""
    cp = "cp" + python.replace(".", "")
    exact = [f for f in fits if cp in f[:-4].rsplit("-", 3)[1].split(".")]
    return sorted(exact or fits)[0]


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
