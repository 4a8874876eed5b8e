# SPDX-License-Identifier: GPL-3.0-or-later
"""``OUTPUT_DIR/batch.json``: what each character of a batch did, rewritten atomically.

Only the batch process writes it (its workers report back to it), after every change, so a
batch killed at any moment leaves the last consistent state. A re-run reads it: ``done``
characters whose STL still exists are skipped; the others run again (a remote character's
job folder remembers its paid task, so running again resumes it, never pays twice).

Statuses: ``pending``, ``running``, ``done``, ``failed`` (with ``reason``), ``cancelled``
(stopped by Ctrl-C; runs again next time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import atomic
from ..errors import BadInputError
from ..jobstore import now_iso
from .characters import Character

STATE_FILE = "batch.json"
STATE_FORMAT = 1
FINAL = ("done", "failed")


class BatchState:
    def __init__(self, output_dir: Path, data: dict):
        self.output_dir = output_dir
        self.data = data

    @classmethod
    def open(cls, output_dir: str | Path, input_path: str) -> "BatchState":
        root = Path(output_dir).expanduser().absolute()
        path = root / STATE_FILE
        if path.exists():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise BadInputError(f"{path} is not a readable batch state ({exc})",
                                    hint="choose a new OUTPUT_DIR, or restore batch.json") from None
            if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
                raise BadInputError(f"{path} was written by an unknown version of Figurine Forge",
                                    hint="choose a new OUTPUT_DIR")
            data["input"] = input_path
            return cls(root, data)
        if root.exists() and not root.is_dir():
            raise BadInputError(f"{root} is a file", hint="give a folder for the batch's results")
        if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
            raise BadInputError(f"{root} exists, is not empty and holds no {STATE_FILE}",
                                hint="choose a new or empty OUTPUT_DIR (or the folder of an earlier batch)")
        data = {"format": STATE_FORMAT, "input": input_path, "created": now_iso(), "runs": 0,
                "characters": {}, "order": []}
        return cls(root, data)

    # -- characters -----------------------------------------------------------------------
    @property
    def characters(self) -> dict[str, dict]:
        return self.data["characters"]

    def register(self, characters: list[Character]) -> None:
        """Add new characters; forget nothing about earlier ones (order: this input's)."""
        for c in characters:
            entry = self.characters.setdefault(c.name, {"status": "pending", "attempts": 0})
            entry["job"] = c.name
            entry["provider"] = c.provider
            entry["height_mm"] = c.height
        self.data["order"] = [c.name for c in characters]

    def is_finished(self, name: str) -> bool:
        entry = self.characters.get(name) or {}
        stl = entry.get("stl")
        return entry.get("status") == "done" and bool(stl) and (self.output_dir / str(stl)).is_file()

    def update(self, name: str, **fields: Any) -> dict:
        entry = self.characters.setdefault(name, {"status": "pending", "attempts": 0})
        entry.update(fields)
        return entry

    def counts(self, names: list[str] | None = None) -> dict[str, int]:
        names = names if names is not None else self.data["order"]
        out = {"total": len(names), "done": 0, "failed": 0, "running": 0, "pending": 0, "cancelled": 0}
        for n in names:
            status = self.characters.get(n, {}).get("status", "pending")
            out[status if status in out else "pending"] += 1
        return out

    def save(self) -> Path:
        self.data["updated"] = now_iso()
        self.data["summary"] = self.counts()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return atomic.write_json(self.output_dir / STATE_FILE, self.data)
