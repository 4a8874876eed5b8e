# SPDX-License-Identifier: GPL-3.0-or-later
"""The job folder: one folder per figurine, everything a run did kept inside it.

Layout::

    JOB_DIR/
      job.json                  manifest: inputs, every step with parameters and outputs
      inputs/front.png ...      the user's files, copied in (never modified)
      steps/003-reconstruct/    each step run writes into its own new folder
      figurine.stl, report.json the latest results, promoted from their step folder

A step folder is never reused, so re-running a step never destroys an earlier result; the
top-level "latest" files are replaced atomically, and the previous versions stay in their
step folders. ``job.json`` is rewritten atomically after every change, so a crash leaves
the last consistent manifest. Secrets are refused by :func:`_assert_no_secret_keys`.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .errors import BadInputError, CancelledError, FigurineError, OutputError

JOB_FORMAT = 1
MANIFEST = "job.json"
LOCK = "job.lock"  # "<pid>\n" of the process writing the job; gone or stale once it ends
_SECRET_WORDS = re.compile(r"(api[_-]?key|secret|password|token|authorization)", re.I)
# Keys that legitimately contain "token" etc. but hold no secret.
_ALLOWED_KEYS = {"task_id", "file_token_kind", "max_tokens"}


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _assert_no_secret_keys(obj: Any, where: str = "") -> None:
    """Refuse to store anything under a key that names a secret (defence in depth)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and key not in _ALLOWED_KEYS and _SECRET_WORDS.search(key):
                raise ValueError(f"refusing to store a secret-looking field {where}{key!r}")
            _assert_no_secret_keys(value, f"{where}{key}.")
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _assert_no_secret_keys(item, where)


@dataclass
class StepRun:
    """A step in progress; its folder exists and belongs to this run only."""

    job: "Job"
    index: int
    name: str
    folder: Path

    def path(self, filename: str) -> Path:
        return self.folder / filename

    def relpath(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.job.root.resolve()).as_posix()


class Job:
    """A job folder. Create with :meth:`open` (creates or loads)."""

    def __init__(self, root: Path, manifest: dict):
        self.root = root
        self.manifest = manifest
        self._lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, root: str | os.PathLike, *, create: bool = True) -> "Job":
        root = Path(root).expanduser().absolute()
        if root.exists() and not root.is_dir():
            raise OutputError(f"{root} is a file", hint="give a folder for the job")
        manifest_path = root / MANIFEST
        first_open = False
        if _locking and (manifest_path.exists() or create):
            if not manifest_path.exists():
                _require_empty(root)
                _make_folder(root)
            first_open = acquire_lock(root)  # before reading: another writer may be mid-change
        if manifest_path.exists():
            try:
                manifest = json.loads(manifest_path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise BadInputError(
                    f"{manifest_path} is not a readable job manifest ({exc})",
                    hint="use a new job folder, or restore job.json",
                ) from None
            if not isinstance(manifest, dict) or manifest.get("format") != JOB_FORMAT:
                raise BadInputError(
                    f"{manifest_path} was written by an unknown version of Figurine Forge",
                    hint="use a new job folder",
                )
            job = cls(root, manifest)
            if first_open:
                job._recover_interrupted_steps()
            return job
        if not create:
            raise BadInputError(f"{root} is not a job folder (no {MANIFEST})",
                                hint="give the folder a previous run wrote")
        _require_empty(root)
        _make_folder(root)
        from .version import VERSION

        manifest = {
            "format": JOB_FORMAT,
            "id": uuid.uuid4().hex,
            "created": now_iso(),
            "tool": {"name": "figurine_forge", "version": VERSION},
            "inputs": {},
            "steps": [],
            "latest": {},
            "tasks": {},
        }
        job = cls(root, manifest)
        job.save()
        return job

    def _recover_interrupted_steps(self) -> None:
        """Steps left "running" by a process that no longer holds the job were interrupted
        (Ctrl-C, SIGTERM, a crash): say so, so nobody waits for them."""
        changed = False
        for entry in self.steps:
            if entry.get("status") == "running":
                entry["status"] = "interrupted"
                entry["error"] = "the process running this step stopped before it finished"
                changed = True
        if changed:
            self.save()

    # -- manifest --------------------------------------------------------------------------
    def save(self) -> None:
        with self._lock:
            _assert_no_secret_keys(self.manifest)
            atomic.write_json(self.root / MANIFEST, self.manifest)

    @property
    def steps(self) -> list[dict]:
        return self.manifest["steps"]

    # -- inputs ----------------------------------------------------------------------------
    def add_input(self, slot: str, src: str | os.PathLike) -> Path:
        """Copy a user file into ``inputs/`` under its slot name; keep older copies.

        The same file given again (same content) reuses the earlier copy."""
        src = Path(src)
        digest = _sha256(src)
        with self._lock:
            history = self.manifest["inputs"].setdefault(slot, [])
            for entry in history:
                if entry["sha256"] == digest:
                    return self.root / entry["path"]
            suffix = src.suffix.lower() or ".bin"
            name = f"{slot}{suffix}" if not history else f"{slot}-{len(history) + 1}{suffix}"
            dst = self.root / "inputs" / name
            atomic.copy_file(src, dst, overwrite=False)
            history.append({"path": dst.relative_to(self.root).as_posix(), "source": str(src),
                            "sha256": digest, "added": now_iso()})
            self.save()
            return dst

    # -- steps -----------------------------------------------------------------------------
    def begin_step(self, name: str, params: dict | None = None) -> StepRun:
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            raise ValueError(f"bad step name {name!r}")
        with self._lock:
            index = len(self.steps) + 1
            folder = self.root / "steps" / f"{index:03d}-{name}"
            folder.mkdir(parents=True, exist_ok=False)
            self.steps.append({
                "index": index, "name": name, "status": "running", "started": now_iso(),
                "params": params or {}, "outputs": {}, "folder": folder.relative_to(self.root).as_posix(),
            })
            self.save()
            return StepRun(self, index, name, folder)

    def _entry(self, step: StepRun) -> dict:
        return self.steps[step.index - 1]

    def finish_step(self, step: StepRun, outputs: dict[str, Path | str] | None = None,
                    result: dict | None = None) -> None:
        with self._lock:
            entry = self._entry(step)
            for key, value in (outputs or {}).items():
                entry["outputs"][key] = step.relpath(Path(value)) if isinstance(value, Path) else value
            if result is not None:
                entry["result"] = result
            entry["status"] = "done"
            entry["finished"] = now_iso()
            self.save()

    def fail_step(self, step: StepRun, error: str, status: str = "failed") -> None:
        with self._lock:
            entry = self._entry(step)
            entry["status"] = status
            entry["error"] = error
            entry["finished"] = now_iso()
            self.save()

    @contextlib.contextmanager
    def step(self, name: str, params: dict | None = None):
        """``with job.step("export", {...}) as step:`` — marks the step failed (with the
        error's one-line message) or cancelled if the body raises, and re-raises."""
        run = self.begin_step(name, params)
        try:
            yield run
        except CancelledError as exc:
            self.fail_step(run, exc.one_line(), status="cancelled")
            raise
        except FigurineError as exc:
            self.fail_step(run, exc.one_line())
            raise
        except BaseException as exc:
            self.fail_step(run, f"internal error: {type(exc).__name__}")
            raise
        else:
            if self._entry(run)["status"] == "running":
                self.finish_step(run)

    def promote(self, src: Path, name: str) -> Path:
        """Publish a step output as the job's latest ``name`` (atomic replace)."""
        dst = self.root / name
        with self._lock:
            atomic.copy_file(src, dst)
            self.manifest["latest"][name] = Path(src).relative_to(self.root).as_posix()
            self.save()
        return dst

    def last_step(self, name: str, status: str = "done") -> dict | None:
        for entry in reversed(self.steps):
            if entry["name"] == name and entry["status"] == status:
                return entry
        return None

    # -- remote tasks (paid generations must never be forgotten) ---------------------------
    def record_task(self, key: str, info: dict) -> None:
        with self._lock:
            self.manifest["tasks"][key] = {**self.manifest["tasks"].get(key, {}), **info,
                                           "updated": now_iso()}
            self.save()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist", hint="check the file name") from None
    except IsADirectoryError:
        raise BadInputError(f"{path} is a folder", hint="give an image file") from None
    except OSError as exc:
        raise BadInputError(f"Cannot read {path}: {exc.strerror or exc}") from None
    return h.hexdigest()


def _require_empty(root: Path) -> None:
    if root.exists() and any(p.name not in (".DS_Store", LOCK) for p in root.iterdir()):
        raise OutputError(
            f"{root} exists and is not empty, and is not a job folder",
            hint="choose a new or empty folder for the job",
        )


def _make_folder(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot create job folder {root}: {exc.strerror or exc}",
                          hint="choose an output location you can write to") from None
    if not os.access(root, os.W_OK):
        raise OutputError(f"Cannot write to {root}", hint="choose an output location you can write to")


# -- one writer per job folder -------------------------------------------------------------
# Off by default: the CLI turns it on for the length of one command (one command, one writer).
# A lock is held until :func:`release_locks` (the CLI calls it when the command returns, its
# signal handler before exiting, atexit otherwise), since jobs are opened in many places
# that never close them.
_locking = False
_held: dict[Path, Path] = {}  # job root -> its lock file, for this process
_held_guard = threading.Lock()


def enable_locking(on: bool = True) -> bool:
    """Turn job locking on or off for this process; returns the previous setting."""
    global _locking
    previous, _locking = _locking, on
    return previous


def _lock_owner(path: Path) -> int | None:
    try:
        text = path.read_text("ascii").strip()
    except (OSError, UnicodeError):
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def acquire_lock(root: Path) -> bool:
    """Make this process the job's only writer, or raise "in use by process N".

    The lock file is published complete (written aside, then hard-linked into place, which
    fails if a lock exists), so a reader never sees a lock without its pid. A lock whose
    process is gone is stale and taken over. True when this call took the lock (False: this
    process already held it)."""
    key = Path(root).absolute()
    with _held_guard:
        if key in _held:
            return False
        path = key / LOCK
        for _attempt in range(5):
            fd, tmp = tempfile.mkstemp(prefix=".job.lock.", dir=key)
            try:
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                os.close(fd)
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    owner = _lock_owner(path)
                    if owner == os.getpid():
                        break
                    if owner is not None and _alive(owner):
                        raise OutputError(f"job folder {key} is in use by process {owner}",
                                          hint="wait for that command to finish, or use another job folder") from None
                    # Stale (its process ended without removing it): take it over.
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    continue
                break
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        else:
            raise OutputError(f"cannot lock job folder {key}", hint="another process keeps taking it; try again")
        _held[key] = path
        if len(_held) == 1:
            atexit.register(release_locks)
        return True


def release_locks() -> None:
    """Remove this process's job locks (at exit, and from the CLI's signal handler)."""
    for root, path in list(_held.items()):
        if _lock_owner(path) == os.getpid():
            with contextlib.suppress(OSError):
                path.unlink()
        _held.pop(root, None)
