#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the version matrix's results and write its table into docs/compatibility.md.

tests/test_version_matrix.py leaves one test-output/compat/HOST.json per Blender it ran the
operator chain in (steps with ok and seconds, Blender and Python versions, the zip and its
size). This prints one summary line per host (chain time, venv install time, steps passed) and
replaces the part of docs/compatibility.md between the two ``matrix`` markers with a
version x step table. ``--check`` only prints (CI); the default also writes the doc.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "test-output" / "compat"
DOC = REPO / "docs" / "compatibility.md"
START, END = "<!-- matrix:start -->", "<!-- matrix:end -->"
CACHE = Path(os.environ.get("FIGURINE_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "figurine-forge")


def load(folder: Path = RESULTS) -> list[dict]:
    hosts = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
    return sorted(hosts, key=lambda h: (tuple(int(x) for x in h["blender"].split()[0].split(".")), h["binary"]))


def install_seconds(host: str) -> str:
    try:
        return (CACHE / "venvs" / host / ".figurine-install-seconds").read_text().strip() + " s"
    except OSError:
        return "–"


def column(h: dict) -> str:
    kind = "binary" if h["binary"] else "bpy"
    return f"{h['blender'].split()[0]} {kind}<br>Py {'.'.join(h['python'].split('.')[:2])}"


def _error(detail: str) -> str:
    """The part of an operator's error that says what went wrong (no wrapper prefixes)."""
    for prefix in ("RuntimeError: ", "Error: ", "Figurine Forge internal error: "):
        detail = detail.removeprefix(prefix)
    return detail.split(" — ")[0][:70].replace("|", "/")


def table(hosts: list[dict]) -> str:
    steps: list[str] = []
    for h in hosts:
        steps += [s["step"] for s in h["steps"] if s["step"] not in steps]
    lines = ["| step | " + " | ".join(column(h) for h in hosts) + " |",
             "| --- |" + " --- |" * len(hosts)]
    for name in steps:
        cells = []
        for h in hosts:
            s = next((s for s in h["steps"] if s["step"] == name), None)
            cells.append("–" if s is None else (f"✓ {s['seconds']:.1f} s" if s["ok"] else f"✗ {_error(s['detail'])}"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| whole chain | " + " | ".join(f"{h['seconds']:.0f} s" for h in hosts) + " |")
    lines.append("| zip | " + " | ".join(f"{h['zip'].replace('figurine_forge-', '')} ({h['zip_mb']} MB)"
                                         for h in hosts) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="print the summary only; do not write the doc")
    args = parser.parse_args()
    hosts = load()
    if not hosts:
        print(f"compat_table: no results in {RESULTS}: run tests/test_version_matrix.py", file=sys.stderr)
        return 2
    for h in hosts:
        ok = sum(s["ok"] for s in h["steps"])
        print(f"matrix: {h['host']:<15} Blender {h['blender']:<12} Python {h['python']:<7} "
              f"venv install {install_seconds(h['host']):>6}  chain {h['seconds']:6.1f} s  "
              f"{ok}/{len(h['steps'])} steps ok  {h['zip']} {h['zip_mb']} MB")
    if not args.check:
        text = DOC.read_text("utf-8")
        a, b = text.index(START) + len(START), text.index(END)
        DOC.write_text(text[:a] + "\n" + table(hosts) + "\n" + text[b:], "utf-8")
        print(f"compat_table: wrote {DOC.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
