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

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .errors import BadInputError, CancelledError, FigurineError, OutputError

JOB_FORMAT = 1
MANIFEST = "job.json"
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
            return cls(root, manifest)
        if not create:
            raise BadInputError(f"{root} is not a job folder (no {MANIFEST})",
                                hint="give the folder a previous run wrote")
        if root.exists() and any(p.name != ".DS_Store" for p in root.iterdir()):
            raise OutputError(
                f"{root} exists and is not empty, and is not a job folder",
                hint="choose a new or empty folder for the job",
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"Cannot create job folder {root}: {exc.strerror or exc}",
                              hint="choose an output location you can write to") from None
        if not os.access(root, os.W_OK):
            raise OutputError(f"Cannot write to {root}", hint="choose an output location you can write to")
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


