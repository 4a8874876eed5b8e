# SPDX-License-Identifier: GPL-3.0-or-later
"""One request budget per provider, shared by every process of a batch (a file lock).

A service such as 3D AI Studio allows a few requests per minute per account; a batch runs
several worker processes against one account, so the budget must be shared. Each provider
has a small JSON file in the batch's ``.batch/ratelimit/`` folder listing its recent
requests; it is read and rewritten under ``fcntl.flock``.

The window is counted with *completion* times: a request is entered when it is allowed to
start (in flight, counted as "now" until it ends) and its end time is written when it
returns. The service sees a request somewhere between the two, so counting the end time
(and in-flight requests as still happening) never lets more than ``requests`` reach the
service inside any ``period`` seconds, however slow the network is. An in-flight entry
whose process died is given up after ``stale_after`` seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadInputError, CancelledError

# Documented limits of the services (shared/docs/api-notes.md); others: none known.
DEFAULT_LIMITS = {"3daistudio": (3, 60.0)}
# Clocks of separate processes (or machines on one shared folder) and the service's own
# window rounding: leave a little room.
SAFETY_S = 0.05


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period: float

    def describe(self) -> str:
        return f"{self.requests} per {self.period:g} s"


def parse_rate_limits(items: list[str]) -> dict[str, RateLimit]:
    """``PROVIDER=N/SECONDS`` (or ``PROVIDER=off``) items on top of the documented defaults."""
    limits = {name: RateLimit(n, p) for name, (n, p) in DEFAULT_LIMITS.items()}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise BadInputError(f"--rate-limit {item!r} is not PROVIDER=N/SECONDS", hint="e.g. --rate-limit 3daistudio=3/60")
        if value.strip().lower() in ("off", "none", "0"):
            limits.pop(name, None)
            continue
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", value)
        if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
            raise BadInputError(f"--rate-limit {item!r} is not PROVIDER=N/SECONDS",
                                hint="N requests (1 or more) per SECONDS, e.g. 3daistudio=3/60")
        limits[name] = RateLimit(int(m.group(1)), float(m.group(2)))
    return limits


class SharedRateLimiter:
    """``with limiter.slot(cancel):`` around each request to the provider's API."""

    def __init__(self, folder: str | os.PathLike, provider: str, limit: RateLimit, *,
                 stale_after: float = 300.0, clock=time.time):
        self.folder = Path(folder)
        self.provider = provider
        self.limit = limit
        self.stale_after = stale_after
        self.clock = clock
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{provider}.json"
        self.lock_path = self.folder / f"{provider}.lock"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[dict]]:
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                try:
                    entries = json.loads(self.path.read_text("utf-8"))
                    if not isinstance(entries, list):
                        entries = []
                except (OSError, ValueError):
                    entries = []
                yield entries
                # Written in place under the lock: readers take the same lock.
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(entries), "utf-8")
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _wait_needed(self, entries: list[dict], now: float) -> float:
        """Seconds until one more request may start (0 = now); prunes old entries."""
        period = self.limit.period
        live = []
        for e in entries:
            end = e.get("end")
            if end is None and now - e.get("start", now) > self.stale_after:
                end = e["start"] + self.stale_after  # its process died mid-request
            if end is None or now - end < period + SAFETY_S:
                live.append(e)
        entries[:] = live
        if len(live) < self.limit.requests:
            return 0.0
        ends = sorted((e["end"] if e.get("end") is not None else float("inf")) for e in live)
        # The slot frees when the oldest-ending request leaves the window.
        oldest = ends[len(live) - self.limit.requests]
        if oldest == float("inf"):
            return 0.2  # all in flight: look again shortly
        return max(0.01, oldest + period + SAFETY_S - now)

    def acquire(self, cancel: threading.Event | None = None) -> str:
        cancel = cancel or threading.Event()
        token = uuid.uuid4().hex
        while True:
            if cancel.is_set():
                raise CancelledError("cancelled while waiting for the provider's rate limit")
            with self._locked() as entries:
                now = self.clock()
                wait = self._wait_needed(entries, now)
                if wait == 0.0:
                    entries.append({"id": token, "pid": os.getpid(), "start": now, "end": None})
                    return token
            cancel.wait(min(wait, 1.0))

    def release(self, token: str) -> None:
        with self._locked() as entries:
            for e in entries:
                if e.get("id") == token:
                    e["end"] = self.clock()

    @contextlib.contextmanager
    def slot(self, cancel: threading.Event | None = None) -> Iterator[None]:
        token = self.acquire(cancel)
        try:
            yield
        finally:
            self.release(token)

    def history(self) -> list[dict]:
        with self._locked() as entries:
            return [dict(e) for e in entries]
