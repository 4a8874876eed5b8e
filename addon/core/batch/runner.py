# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch loop: start characters as slots free up, record how each ended, stop cleanly.

Each character runs in its own process (:mod:`.process`); the loop itself only starts them,
waits for any to end and writes ``batch.json`` and ``index.html`` after each. Where the
processes run is an executor's business: :class:`LocalExecutor` (threads on this machine,
one child process each) or :class:`DaskExecutor` (tasks on an existing Dask cluster, each
starting the same child process on its worker). Dask does the scheduling; this loop keeps at
most ``slots`` characters in flight so the progress line can say what is running.

Ctrl-C (or SIGTERM turned into KeyboardInterrupt by the CLI) creates ``.batch/stop``: every
child gets SIGINT, ends its step (a remote task stays recorded, resumable) and exits 5; the
loop records those characters as ``cancelled`` and raises CancelledError (exit 5).
"""

from __future__ import annotations

import concurrent.futures
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import BadInputError, CancelledError
from ..jobstore import now_iso
from . import index as index_mod
from .characters import Character
from .credits import CreditLedger, estimate_credits, job_has_task
from .process import run_character_process
from .progress import ProgressBar, estimate_eta
from .ratelimit import RateLimit
from .state import BatchState

WORK_DIR = ".batch"  # the batch's own bookkeeping inside OUTPUT_DIR (stop file, rate limits)
LOG_DIR = "logs"


@dataclass
class BatchSettings:
    workers: int = 1
    online: bool = False
    max_credits: float | None = None
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    timeout: float | None = None
    review: bool = True
    review_size: int = 256
    grace: float = 30.0  # seconds a stopped child gets to leave its job resumable


# -- executors --------------------------------------------------------------------------------
class LocalExecutor:
    """Characters in child processes on this machine (a thread waits on each)."""

    def __init__(self, workers: int):
        self.slots = max(1, int(workers))
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="figurine-batch")

    def submit(self, name: str, argv: list[str], log_path: str, *, timeout, stop_file, grace):
        return self._pool.submit(run_character_process, argv, log_path, timeout=timeout, stop_file=stop_file,
                                 grace=grace)

    def wait(self, futures, timeout: float):
        done, _ = concurrent.futures.wait(futures, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Characters as tasks on an existing Dask cluster (``distributed``); OUTPUT_DIR must be a
    folder every worker sees at the same path (a shared filesystem, see docs/batch.md)."""

    def __init__(self, address: str, output_dir: Path, workers: int | None = None, client=None):
        try:
            import cloudpickle
            import distributed
        except ImportError:
            raise BadInputError("--scheduler needs the dask and distributed packages",
                                hint="pip install dask distributed (see requirements.txt)") from None
        from . import process

        # Workers have Figurine Forge on disk but not importable under this name: ship the
        # (standard-library only) task function by value.
        cloudpickle.register_pickle_by_value(process)
        # Plain pickle would still send a module-level function by reference; a function made
        # here cannot be, so it goes through cloudpickle, which then sends the module's code.
        run = process.run_character_process
        self._task = lambda *a, **k: run(*a, **k)  # noqa: E731
        self._distributed = distributed
        self._own_client = client is None
        try:
            self.client = client or distributed.Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BadInputError(f"cannot reach the Dask scheduler at {address} ({exc})",
                                hint="check the address (tcp://HOST:8786) and that the scheduler runs") from None
        seen = self.client.run(os.path.isdir, str(output_dir))
        blind = [w for w, ok in seen.items() if not ok]
        if not seen:
            raise BadInputError(f"the Dask cluster at {address} has no workers", hint="start dask workers first")
        if blind:
            raise BadInputError(f"Dask worker {blind[0]} cannot see {output_dir}",
                                hint="OUTPUT_DIR must be on a filesystem shared by every worker, at the same path "
                                     "(docs/batch.md)")
        threads = sum(self.client.nthreads().values())
        self.slots = max(1, int(workers)) if workers else max(1, threads)

    def submit(self, name: str, argv: list[str], log_path: str, *, timeout, stop_file, grace):
        return self.client.submit(self._task, argv, log_path, timeout=timeout, stop_file=stop_file,
                                  grace=grace, pure=False, key=f"figurine-batch-{name}-{uuid.uuid4().hex[:8]}")

    def wait(self, futures, timeout: float):
        try:
            done, _ = self._distributed.wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return done

    def close(self) -> None:
        if self._own_client:
            self.client.close()


# -- the loop ---------------------------------------------------------------------------------
class BatchRunner:
    def __init__(self, state: BatchState, characters: list[Character], settings: BatchSettings, executor,
                 worker_argv: Callable[[dict], list[str]], progress: ProgressBar,
                 is_remote: Callable[[str], bool]):
        self.state = state
        self.characters = characters
        self.settings = settings
        self.executor = executor
        self.worker_argv = worker_argv
        self.progress = progress
        self.is_remote = is_remote
        self.root = state.output_dir
        self.work = self.root / WORK_DIR
        self.stop_file = self.work / "stop"
        self.ledger = CreditLedger(state.data, settings.max_credits)
        self.durations: list[float] = []
        self.skipped: list[str] = []

    # -- helpers --------------------------------------------------------------------------
    def _spec(self, c: Character) -> dict:
        return {"character": c.as_dict(), "job_dir": str(self.root / c.name), "online": self.settings.online,
                "rate_limits": {k: [v.requests, v.period] for k, v in self.settings.rate_limits.items()},
                "rate_dir": str(self.work / "ratelimit"), "review": self.settings.review,
                "review_size": self.settings.review_size}

    def _save(self) -> None:
        self.state.save()
        index_mod.write_index(self.state)

    def _tick(self, running: int) -> None:
        c = self.state.counts()
        remaining = c["total"] - c["done"] - c["failed"]
        eta = estimate_eta(self.durations, remaining, self.executor.slots)
        self.progress.update(c["done"], c["failed"], running, eta)

    def _fail(self, c: Character, reason: str, **extra: Any) -> None:
        self.state.update(c.name, **{"status": "failed", "reason": reason, "finished": now_iso(), **extra})
        self.progress.note(f"{c.name}: FAILED — {reason}")

    def _reserve(self, c: Character) -> None:
        if not self.is_remote(c.provider) or job_has_task(self.root / c.name):
            return
        amount = estimate_credits(c.provider, list(c.views), dict(c.options))
        self.ledger.reserve(c.name, amount, c.provider)

    # -- run ------------------------------------------------------------------------------
    def run(self) -> dict:
        self.work.mkdir(parents=True, exist_ok=True)
        (self.root / LOG_DIR).mkdir(parents=True, exist_ok=True)
        self.stop_file.unlink(missing_ok=True)
        self.state.data["runs"] = int(self.state.data.get("runs", 0)) + 1
        todo: list[Character] = []
        for c in self.characters:
            if self.state.is_finished(c.name):
                self.skipped.append(c.name)
            elif c.error:
                self._fail(c, c.error, attempts=self.state.characters[c.name].get("attempts", 0) + 1)
            else:
                self.state.update(c.name, status="pending", reason=None)
                todo.append(c)
        if self.skipped:
            self.progress.note(f"{len(self.skipped)} character(s) already finished, skipped: {', '.join(self.skipped)}")
        self._save()
        in_flight: dict[Any, tuple[Character, float]] = {}
        try:
            while todo or in_flight:
                while todo and len(in_flight) < self.executor.slots:
                    c = todo.pop(0)
                    try:
                        self._reserve(c)
                    except BadInputError as exc:
                        self._fail(c, exc.one_line())
                        self._save()
                        continue
                    entry = self.state.update(c.name, status="running", started=now_iso(), reason=None,
                                              log=f"{LOG_DIR}/{c.name}.log")
                    entry["attempts"] = int(entry.get("attempts", 0)) + 1
                    argv = self.worker_argv(self._spec(c))
                    fut = self.executor.submit(c.name, argv, str(self.root / LOG_DIR / f"{c.name}.log"),
                                               timeout=self.settings.timeout, stop_file=str(self.stop_file),
                                               grace=self.settings.grace)
                    in_flight[fut] = (c, time.monotonic())
                    self._save()
                self._tick(len(in_flight))
                for fut in self.executor.wait(list(in_flight), 0.5):
                    c, _ = in_flight.pop(fut)
                    self._record(c, fut)
                    self._save()
                    self._tick(len(in_flight))
        except KeyboardInterrupt:
            self.stop_file.touch()
            self.progress.note(f"stopping: {len(in_flight)} running character(s) are asked to stop and stay resumable")
            deadline = time.monotonic() + self.settings.grace + 10
            while in_flight and time.monotonic() < deadline:
                try:
                    for fut in self.executor.wait(list(in_flight), 0.5):
                        c, _ = in_flight.pop(fut)
                        self._record(c, fut)
                except KeyboardInterrupt:
                    break  # a second Ctrl-C: leave now (children die with us)
            for c, _ in in_flight.values():
                self.state.update(c.name, status="cancelled", reason="stopped; runs again next time")
            for c in todo:
                self.state.update(c.name, status="pending")
            self._save()
            self.progress.close()
            raise CancelledError("batch stopped", hint="run the same command again to finish it (nothing is lost)") from None
        finally:
            self.stop_file.unlink(missing_ok=True)
        self.progress.close()
        self._save()
        return self.state.counts()

    def _record(self, c: Character, fut) -> None:
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - the executor itself failed (e.g. a lost Dask worker)
            outcome = {"returncode": None, "result": None, "timed_out": False, "stopped": False,
                       "seconds": None, "signal": None, "log_tail": f"{type(exc).__name__}: {exc}"}
        result = outcome.get("result") or {}
        seconds = outcome.get("seconds")
        job_dir = self.root / c.name
        paid = bool(result.get("paid")) or job_has_task(job_dir)
        if self.is_remote(c.provider) and not paid:
            self.ledger.release(c.name)
        common: dict[str, Any] = {"seconds": seconds, "exit_code": outcome.get("returncode"), "finished": now_iso()}
        if result.get("task_id"):
            common["task_id"] = result["task_id"]
        if outcome.get("stopped") and not (result.get("ok") and result.get("status") == "done"):
            self.state.update(c.name, status="cancelled", reason="stopped; runs again next time", **common)
            return
        if result.get("ok") and result.get("status") == "done":
            files = {fmt: f"{c.name}/{rel}" for fmt, rel in (result.get("files") or {}).items()}
            self.state.update(c.name, status="done", reason=None, stl=files.get("stl"), files=files,
                              report=_prefixed(c.name, result.get("report")),
                              report_html=_prefixed(c.name, result.get("report_html")),
                              clay=_prefixed(c.name, result.get("clay")), verdict=result.get("verdict"),
                              size_mm=result.get("size_mm"), warnings=result.get("warnings") or [], **common)
            if isinstance(seconds, (int, float)):
                self.durations.append(float(seconds))
            self.progress.note(f"{c.name}: done ({seconds:.0f} s)" if isinstance(seconds, (int, float)) else f"{c.name}: done")
            return
        if outcome.get("timed_out"):
            reason = f"timed out after {self.settings.timeout:g} s (the job folder is kept; a re-run resumes it)"
        elif result.get("reason") or result.get("error"):
            reason = str(result.get("reason") or result.get("error"))
        elif outcome.get("signal"):
            reason = f"the worker process died (signal {outcome['signal']}){_last_error(outcome.get('log_tail'))}"
        else:
            reason = (f"the worker process ended with exit code {outcome.get('returncode')} and no result"
                      f"{_last_error(outcome.get('log_tail'))}")
        extra = {}
        for key in ("report", "report_html", "clay"):
            if result.get(key):
                extra[key] = _prefixed(c.name, result[key])
        self._fail(c, reason, **common, **extra)


def _prefixed(name: str, rel: str | None) -> str | None:
    return f"{name}/{rel}" if rel else None


def _last_error(tail: str | None) -> str:
    for line in reversed((tail or "").splitlines()):
        line = line.strip()
        if line and ("error" in line.lower() or line.startswith(("Traceback", "Fatal", "Segmentation"))):
            return f": {line[:200]}"
    return ""


def default_workers(memory_per_worker_gb: float = 1.5) -> int:
    """As many as the CPUs allow, no more than memory allows (bpy + a reconstruction ~1.5 GB)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (ValueError, OSError, AttributeError):
        avail = memory_per_worker_gb * cpus
    return max(1, min(cpus, int(avail // memory_per_worker_gb)))
