# SPDX-License-Identifier: GPL-3.0-or-later
"""The user's files are never written: every command checks its output paths here, first.

Each command calls :func:`guard` at the top of ``execute`` with what it reads and what it
will write, before any slow work, so a clash costs nothing. An output is refused when it is
the same file as an input (compared resolved *and* by inode, so a hard link, a symlink or
``./x`` spelling of the input is caught too), when it is a folder where a file is meant, and
when it already exists and ``--force`` was not given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BadInputError, OutputError

PathLike = str | os.PathLike
Inputs = Mapping[str, "PathLike | None"] | Iterable[tuple[str, "PathLike | None"]]


@dataclass(frozen=True)
class OutputFile:
    """One file a command will write. ``replaceable`` outputs are the command's own files
    (a job's latest results) that it may always replace."""

    label: str
    path: Path
    replaceable: bool = False


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name one file: the same resolved path, or the same inode."""
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    try:
        if pa.resolve() == pb.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return os.path.samefile(pa, pb)
    except OSError:  # one of them does not exist (yet): no inode to share
        return False


def _inputs(inputs: Inputs) -> list[tuple[str, Path]]:
    items = inputs.items() if isinstance(inputs, Mapping) else inputs
    return [(label, Path(p).expanduser()) for label, p in items if p]


def guard(inputs: Inputs, outputs: Iterable[OutputFile], *, force: bool = False) -> None:
    """Refuse (OutputError, exit 2) any output that is an input, a folder, or an existing
    file without ``force``."""
    given = _inputs(inputs)
    for out in outputs:
        for label, path in given:
            if same_file(out.path, path):
                raise OutputError(
                    f"{out.label} {out.path} would overwrite the input {label} {path}",
                    hint="write the result to another file; Figurine Forge never overwrites its inputs")
        if out.path.is_dir():
            raise OutputError(f"{out.label} {out.path} is a folder", hint="give a file name (in that folder if you like)")
        if out.path.exists() and not force and not out.replaceable:
            raise OutputError(f"{out.label} {out.path} already exists", hint="choose another name or add --force")


def view_options(paths: Mapping[str, PathLike]) -> dict[str, PathLike]:
    """The view images labelled by their options (--front ...), for the messages above."""
    return {f"--{slot}": path for slot, path in paths.items()}


def file_output(label: str, path: PathLike | None) -> list[OutputFile]:
    return [OutputFile(label, Path(path).expanduser())] if path else []


def folder_outputs(label: str, folder: PathLike, names: Iterable[str]) -> list[OutputFile]:
    """The files a command writes into ``folder`` (prepare's views, sample's images)."""
    root = Path(folder).expanduser()
    if root.exists() and not root.is_dir():
        raise OutputError(f"{label} {root} is a file", hint="give a folder")
    return [OutputFile(f"{label} file", root / name) for name in names]


def guard_job_folder(inputs: Inputs, job_dir: PathLike) -> None:
    """A job rewrites the files at its top level (job.json, the latest results); an input
    there would be replaced. Inputs in ``inputs/`` or a step folder are safe: those are
    never rewritten."""
    root = Path(job_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise OutputError(f"job folder {root} is a file", hint="give a folder for the job")
    for label, path in _inputs(inputs):
        if same_file(path, root):
            raise OutputError(f"the {label} {path} is the job folder itself",
                              hint="give an image file, and a separate folder for the job")
        try:
            parent = path.resolve().parent
        except (OSError, RuntimeError):
            continue
        if root.exists() and same_file(parent, root):
            raise OutputError(
                f"the {label} {path} lies in the job folder {root}, whose files the job rewrites",
                hint="keep your images outside the job folder, or give a new job folder")


def require_images(paths: Mapping[str, PathLike]) -> None:
    """Every view readable as an image, with the loader's own messages (a folder, an empty
    file, a text file...), before a command creates anything."""
    from ..core.images import view_name
    from ..core.images.load import load_rgba

    for slot, path in paths.items():
        p = Path(path).expanduser()
        if not p.exists():
            raise BadInputError(f"{view_name(slot)} view {path} does not exist", hint="check the file name")
        try:
            load_rgba(p)
        except BadInputError as exc:
            raise BadInputError(f"{view_name(slot)} view: {exc.message}", hint=exc.hint) from None
