# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch's progress line on stderr: done, failed, running, ETA.

On a terminal one line is redrawn in place; otherwise (a log, CI) a plain line is written
each time the counts change.
"""

from __future__ import annotations

import sys
import time


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --"
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"ETA {seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"ETA {seconds // 60}:{seconds % 60:02d}"


def estimate_eta(durations: list[float], remaining: int, workers: int) -> float | None:
    """Mean time of the characters that ran, spread over the slots."""
    if remaining <= 0:
        return 0.0
    if not durations:
        return None
    return sum(durations) / len(durations) * -(-remaining // max(1, workers))


class ProgressBar:
    def __init__(self, total: int, *, stream=None, tty: bool | None = None, quiet: bool = False, width: int = 28):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.width = width
        self._last: tuple[int, int, int] | None = None
        self._started = time.monotonic()

    def line(self, done: int, failed: int, running: int, eta: float | None) -> str:
        finished = done + failed
        frac = finished / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        return (f"batch [{bar}] {finished}/{self.total}  done {done}  failed {failed}  running {running}  "
                f"{format_eta(eta)}")

    def update(self, done: int, failed: int, running: int, eta: float | None) -> None:
        if self.quiet:
            return
        key = (done, failed, running)
        text = self.line(done, failed, running, eta)
        if self.tty:
            self.stream.write("\r" + text.ljust(100)[:100])
            self.stream.flush()
        elif key != self._last:
            self.stream.write(f"figurine: {text}\n")
            self.stream.flush()
        self._last = key

    def note(self, message: str) -> None:
        """A line of its own (a character finished or failed) above the bar."""
        if self.quiet:
            return
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
        self.stream.write(f"figurine: {message}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
