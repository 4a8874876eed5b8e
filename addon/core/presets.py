# SPDX-License-Identifier: GPL-3.0-or-later
"""Prompt presets for AI image editing: the built-in library and the user's own.

Built-in presets ship in ``presets_builtin.json`` next to this file and are never written.
User presets are one JSON file each in the user's configuration folder
(``$XDG_CONFIG_HOME/figurine_forge/presets``, ``~/Library/Application Support/...`` on macOS,
``%APPDATA%\\figurine_forge\\presets`` on Windows), or a folder the caller passes (the add-on
can pass one under Blender's user config). A user preset with a built-in's name replaces it;
deleting the user file brings the built-in back.

A prompt may hold ``{text}`` (the user's text, required) or ``{text_line}`` (the user's
text added as an extra instruction when given).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from . import atomic
from .errors import BadInputError
from .images import ALL_VIEW_SLOTS

BUILTIN_FILE = Path(__file__).with_name("presets_builtin.json")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_SLOTS = (None, *ALL_VIEW_SLOTS)


@dataclass
class Preset:
    name: str
    title: str
    prompt: str
    needs_image: bool = True
    wants_text: bool = False  # the prompt has {text}: the user must give text
    target_slot: str | None = None  # the view the result is (None: the same as the input)
    builtin: bool = False

    def render(self, text: str | None = None) -> str:
        """The prompt to send, with the user's text put in."""
        text = (text or "").strip()
        if "{text}" in self.prompt and not text:
            raise BadInputError(f"preset '{self.name}' needs a description",
                                hint="give the text with --prompt (or in the panel's prompt field)")
        extra = f"\nAdditional instruction: {text}" if text else ""
        out = self.prompt.replace("{text}", text).replace("{text_line}", extra)
        if "{text" not in self.prompt and text:
            out = f"{out}{extra}"
        return out

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("builtin")
        return data


def user_preset_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "figurine_forge" / "presets"


def _from_dict(data: dict, *, builtin: bool, origin: str) -> Preset:
    if not isinstance(data, dict):
        raise BadInputError(f"{origin}: a preset must be a JSON object", hint="fix or delete the file")
    name, prompt = data.get("name"), data.get("prompt")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadInputError(f"{origin}: preset name {name!r} is not valid",
                            hint="use lower-case letters, digits, '-' and '_'")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInputError(f"{origin}: preset '{name}' has no prompt", hint="fix or delete the file")
    slot = data.get("target_slot")
    if slot not in _SLOTS:
        raise BadInputError(f"{origin}: preset '{name}' has an unknown target_slot {slot!r}",
                            hint=f"use {', '.join(ALL_VIEW_SLOTS)} or null")
    return Preset(name=name, title=str(data.get("title") or name), prompt=prompt,
                  needs_image=bool(data.get("needs_image", True)),
                  wants_text=bool(data.get("wants_text", "{text}" in prompt)),
                  target_slot=slot, builtin=builtin)


def builtin_presets() -> dict[str, Preset]:
    data = json.loads(BUILTIN_FILE.read_text("utf-8"))
    return {p["name"]: _from_dict(p, builtin=True, origin=BUILTIN_FILE.name) for p in data["presets"]}


def user_presets(folder: str | os.PathLike | None = None) -> tuple[dict[str, Preset], list[str]]:
    """(presets, problems): a broken user file is reported, never fatal for the others."""
    folder = Path(folder) if folder else user_preset_dir()
    found: dict[str, Preset] = {}
    problems: list[str] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.json")):
        try:
            preset = _from_dict(json.loads(path.read_text("utf-8")), builtin=False, origin=path.name)
        except (OSError, ValueError) as exc:
            problems.append(f"{path.name}: not readable JSON ({type(exc).__name__})")
            continue
        except BadInputError as exc:
            problems.append(exc.message)
            continue
        found[preset.name] = preset
    return found, problems


def all_presets(folder: str | os.PathLike | None = None) -> dict[str, Preset]:
    """Built-ins, with the user's presets added or replacing them by name."""
    merged = builtin_presets()
    merged.update(user_presets(folder)[0])
    return merged


def get_preset(name: str, folder: str | os.PathLike | None = None) -> Preset:
    presets = all_presets(folder)
    if name not in presets:
        raise BadInputError(f"there is no preset '{name}'", hint=f"choose one of {', '.join(sorted(presets))}")
    return presets[name]


def save_user_preset(preset: Preset, folder: str | os.PathLike | None = None) -> Path:
    """Write (or replace) a user preset as ``<name>.json``."""
    checked = _from_dict(preset.to_json(), builtin=False, origin="preset")
    folder = Path(folder) if folder else user_preset_dir()
    path = folder / f"{checked.name}.json"
    atomic.write_json(path, checked.to_json())
    return path


def delete_user_preset(name: str, folder: str | os.PathLike | None = None) -> bool:
    """Remove a user preset; a built-in of the same name shows again. False if none existed."""
    if not _NAME.fullmatch(name):
        raise BadInputError(f"preset name {name!r} is not valid", hint="use lower-case letters, digits, '-' and '_'")
    path = (Path(folder) if folder else user_preset_dir()) / f"{name}.json"
    if path.exists():
        path.unlink()
        return True
    return False
