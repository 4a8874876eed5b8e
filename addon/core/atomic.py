# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic file writes: a reader never sees a half-written file.

Everything is written to a temporary file in the destination folder (same file system, so
``os.replace`` is atomic) and renamed over the target only once complete and flushed.
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError

# mkstemp creates files readable by their owner only; published files get the permissions
# any new file would (0666 less the umask), read once here while the process is single-threaded.
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK
_pending: set[Path] = set()  # temporary files not yet renamed into place


def _check_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Cannot create folder {path.parent}: {exc.strerror or exc}",
            hint="choose an output location you can write to",
        ) from None
    if not os.access(path.parent, os.W_OK):
        raise OutputError(
            f"Cannot write to {path.parent}", hint="choose an output location you can write to"
        )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched. Use it
    for writers that insist on a file name (Blender's exporters, Pillow)."""
    target = Path(path)
    if target.exists() and target.is_dir():
        raise OutputError(f"{target} is a folder", hint="give a file name, not a folder")
    if target.exists() and not overwrite:
        raise OutputError(
            f"{target} already exists", hint="choose another name or allow overwriting"
        )
    _check_parent(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
        )
    except OSError as exc:  # /proc, a read-only mount, a full disk...
        raise OutputError(f"Cannot create a file in {target.parent}: {exc.strerror or exc}",
                          hint="choose an output location you can write to") from None
    os.fchmod(fd, _FILE_MODE)
    os.close(fd)
    tmp = Path(tmp_name)
    _pending.add(tmp)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OutputError(f"Nothing was written for {target.name}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if not overwrite and target.exists():
            raise OutputError(
                f"{target} already exists", hint="choose another name or allow overwriting"
            )
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"Cannot write {target}: {exc.strerror or exc}",
                              hint="choose an output location you can write to") from None
    finally:
        _pending.discard(tmp)
        if tmp.exists():
            tmp.unlink()


def discard_pending() -> None:
    """Remove every temporary file still being written (the CLI's signal handler calls this
    just before the process ends, so an interruption leaves no half-written file)."""
    for tmp in list(_pending):
        try:
            tmp.unlink()
        except OSError:
            pass
    _pending.clear()


def write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> Path:
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_json(path: str | os.PathLike, obj, *, overwrite: bool = True) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False)
    return write_text(path, text + "\n", overwrite=overwrite)


def copy_file(src: str | os.PathLike, dst: str | os.PathLike, *, overwrite: bool = True) -> Path:
    if Path(src).is_file() and Path(src).stat().st_size == 0:  # else "Nothing was written" blames the copy
        from .errors import BadInputError

        raise BadInputError(f"{Path(src).name} is empty (0 bytes)", hint="give the file with its content")
    with atomic_path(dst, overwrite=overwrite) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dst)


class FileSet:
    """Atomic publishing of a file that comes with companions (OBJ + MTL + textures).

    ``with FileSet(main_path, overwrite=...) as folder:`` yields a private temporary folder
    beside ``main_path``; the writer puts the main file (same name as ``main_path``) and its
    companions there. On success every file moves into place, companions first and the main
    file last, so a reader that finds the main file finds its companions too; existing files
    are refused unless ``overwrite``. When any move fails, what was moved is taken back and
    replaced files are restored: never half a set. ``published`` lists the final paths."""

    def __init__(self, main_path: str | os.PathLike, *, overwrite: bool = True) -> None:
        self.target = Path(main_path)
        self.overwrite = overwrite
        self.published: list[Path] = []
        self._folder: Path | None = None

    def __enter__(self) -> Path:
        if self.target.exists() and self.target.is_dir():
            raise OutputError(f"{self.target} is a folder", hint="give a file name, not a folder")
        if self.target.exists() and not self.overwrite:
            raise OutputError(f"{self.target} already exists", hint="choose another name or allow overwriting")
        _check_parent(self.target)
        self._folder = Path(tempfile.mkdtemp(prefix=f".{self.target.stem}.", suffix=".tmpdir",
                                             dir=self.target.parent))
        return self._folder

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._folder is not None
        try:
            if exc_type is None:
                self._publish(self._folder)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _publish(self, folder: Path) -> None:
        main = folder / self.target.name
        if not main.is_file() or main.stat().st_size == 0:
            raise OutputError(f"Nothing was written for {self.target.name}")
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p != main) + [main]
        moves = [(src, self.target.parent / src.relative_to(folder)) for src in files]
        # A companion already there with the same bytes (the texture an earlier export of the
        # same figure put in this folder) is shared, not refused.
        same = {src for src, dst in moves[:-1] if dst.is_file() and filecmp.cmp(src, dst, shallow=False)}
        self.published = [dst for src, dst in moves if src in same]
        moves = [(src, dst) for src, dst in moves if src not in same]
        for _src, dst in moves:
            if dst.exists() and (dst.is_dir() or not self.overwrite):
                raise OutputError(f"{dst} already exists", hint="choose another name or allow overwriting")
        for src, _dst in moves:
            os.chmod(src, _FILE_MODE)
            with open(src, "rb+") as fh:
                os.fsync(fh.fileno())
        backups = folder.parent / f"{folder.name}.old"
        replaced: list[tuple[Path, Path]] = []
        moved: list[Path] = []
        try:
            for i, (src, dst) in enumerate(moves):
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.exists():
                    keep = backups / str(i)
                    keep.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dst, keep)
                    replaced.append((keep, dst))
                os.replace(src, dst)
                moved.append(dst)
        except OSError as exc:
            for dst in moved:
                dst.unlink(missing_ok=True)
            for keep, dst in replaced:
                os.replace(keep, dst)
            raise OutputError(f"Could not publish {self.target.name}: {exc.strerror or exc}",
                              hint="check the output folder (space, permissions) and try again") from None
        finally:
            shutil.rmtree(backups, ignore_errors=True)
        self.published += moved
