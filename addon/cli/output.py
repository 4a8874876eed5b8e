# SPDX-License-Identifier: GPL-3.0-or-later
"""What the CLI prints: progress on stderr, one result on stdout.

With ``--json`` stdout carries exactly one JSON object (the last line of output), so scripts
can parse it even under ``blender -b``, which prints its own banner first. Anything Blender
or an importer prints while we work is sent to stderr (see :func:`quiet_stdout`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys


class Output:
    def __init__(self, json_mode: bool = False, quiet: bool = False):
        self.json_mode = json_mode
        self.quiet = quiet
        self._finished = False

    def progress(self, step: str, message: str, fraction: float | None = None) -> None:
        if self.quiet:
            return
        pct = f" {fraction * 100:3.0f}%" if fraction is not None else ""
        sys.stderr.write(f"figurine: [{step}]{pct} {message}\n")
        sys.stderr.flush()

    def warn(self, message: str) -> None:
        sys.stderr.write(f"figurine: warning: {message}\n")
        sys.stderr.flush()

    def error(self, message: str) -> None:
        sys.stderr.write(f"figurine: error: {message}\n")
        sys.stderr.flush()

    def finish(self, result: dict, human: str | None = None) -> None:
        """Print the command's result once: JSON with --json, else the human summary."""
        if self._finished:
            return
        self._finished = True
        sys.stdout.flush()
        if self.json_mode:
            sys.stdout.write(json.dumps(result, sort_keys=False, allow_nan=False) + "\n")
        elif human:
            sys.stdout.write(human.rstrip("\n") + "\n")
        sys.stdout.flush()


@contextlib.contextmanager
def quiet_stdout():
    """Send file descriptor 1 to stderr while Blender operators run (they print freely)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
