# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one character in its own process and report how it ended.

:func:`run_character_process` is what a batch slot executes: on this machine in a thread of
the batch (one thread per running character, each waiting on its own child process), or on a
Dask worker. It uses the standard library only, so Dask can ship it to workers by value
(the workers need Figurine Forge itself only for the child command).

The child is the ``figurine batch --worker SPEC`` command: it prints one JSON line (the
character's result) on stdout and its progress on stderr, which goes to the character's log.
A crash of the child (segfault, out of memory, SIGKILL) ends only that child. The batch asks
children to stop by creating ``stop_file``: they get SIGINT (exit 5, jobs left resumable),
then SIGKILL after ``grace`` seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """The child's pre-exec step (Linux): it gets SIGTERM when the batch process dies (even by
    SIGKILL), so a killed batch leaves no orphan writing into a job folder the next run may pick
    up. A batch killed between the fork and this call is already gone, and no death signal would
    ever come: the child sees it has been re-parented and exits before running anything."""

    def arm() -> None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001 - not Linux: the batch stops children itself
            return
        if os.getppid() != parent_pid:
            os._exit(128 + signal.SIGTERM)

    return arm


def _last_json(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            return value if isinstance(value, dict) else None
    return None


def _tail(path: str, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_character_process(argv: list[str], log_path: str, *, env: dict | None = None,
                          timeout: float | None = None, stop_file: str | None = None,
                          grace: float = 30.0, poll: float = 0.25) -> dict:
    """Run ``argv``; return ``{"returncode", "result", "timed_out", "stopped", "seconds",
    "signal", "log_tail"}``. ``result`` is the child's JSON line (or None)."""
    os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = time.monotonic()
    timed_out = stopped = False
    with open(log_path, "ab") as log, open(log_path + ".out", "wb") as out:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv[:4])} ...\n".encode())
        log.flush()
        child = subprocess.Popen(argv, stdout=out, stderr=log, stdin=subprocess.DEVNULL, env=full_env,
                                 preexec_fn=_die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None)
        interrupted_at = None
        while True:
            try:
                code = child.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if interrupted_at is None:
                if timeout is not None and now - started > timeout:
                    timed_out = True
                elif stop_file and os.path.exists(stop_file):
                    stopped = True
                if timed_out or stopped:
                    child.send_signal(signal.SIGINT)
                    interrupted_at = now
            elif now - interrupted_at > grace:
                child.kill()
    with open(log_path + ".out", "rb") as fh:
        stdout = fh.read().decode("utf-8", "replace")
    try:
        os.unlink(log_path + ".out")
    except OSError:
        pass
    return {"returncode": code, "result": _last_json(stdout), "timed_out": timed_out, "stopped": stopped,
            "seconds": round(time.monotonic() - started, 2), "signal": -code if code < 0 else None,
            "log_tail": _tail(log_path)}
