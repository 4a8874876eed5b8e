# SPDX-License-Identifier: GPL-3.0-or-later
"""What a batch converts: characters found in a folder or listed in a CSV/JSON manifest.

A folder input: each sub-folder is one character (one image, or views named
front/back/left/right), and each image directly inside is a one-view character. A manifest
lists characters with their own options (provider, prompt, height, base, preset, formats...);
relative paths are read from the manifest's folder.

Problems of one character (no image, an unknown preset) are kept on that character as
``error``: the batch records it as failed and goes on. Problems of the whole input (no such
folder, a manifest that cannot be read, two characters with one name) are a BadInputError.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from ..images import VIEW_SLOTS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
EXPORT_FORMATS = ("stl", "3mf", "obj", "ply", "glb")
PRESETS = ("resin", "fdm")
# Manifest fields (CSV columns / JSON keys); "image" is another name for "front".
FIELDS = ("name", *VIEW_SLOTS, "image", "provider", "prompt", "height", "base", "preset", "formats",
          "size", "resolution", "options", "pipeline")


@dataclass
class Character:
    name: str
    views: dict[str, str] = field(default_factory=dict)  # slot -> absolute path
    provider: str = "local"
    prompt: str = ""
    height: float = 32.0
    base: str = ""
    preset: str = "resin"
    formats: list[str] = field(default_factory=lambda: ["stl"])
    size: int = 1024  # prepared view size
    resolution: int = 160  # local reconstruction grid
    options: dict[str, str] = field(default_factory=dict)  # provider options, NAME -> VALUE
    pipeline: str = "auto"  # auto: run (local) or generate + repair (remote); "make" once it exists
    error: str = ""  # why this character cannot run (recorded as its failure)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Character":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def safe_name(text: str) -> str:
    """A folder name for the character: letters, digits, ``._-``; nothing else."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._")
    return name[:80]


def discover(source: str | Path, defaults: dict[str, Any] | None = None) -> list[Character]:
    """The characters of INPUT (folder, .csv or .json), in a stable order, names unique."""
    path = Path(source).expanduser()
    if not path.exists():
        raise BadInputError(f"{path} does not exist", hint="give a folder of characters or a .csv/.json manifest")
    if path.is_dir():
        rows = _folder_rows(path)
        base_dir = path
    elif path.suffix.lower() == ".csv":
        rows, base_dir = _csv_rows(path), path.parent
    elif path.suffix.lower() == ".json":
        rows, base_dir = _json_rows(path), path.parent
    else:
        raise BadInputError(f"{path.name} is neither a folder nor a .csv/.json manifest",
                            hint="give a folder of characters or a manifest")
    characters = [_character(row, base_dir, defaults or {}, i) for i, row in enumerate(rows, 1)]
    if not characters:
        raise BadInputError(f"{path} lists no characters",
                            hint="one sub-folder (or image) per character, or one manifest row each")
    seen: dict[str, int] = {}
    for c in characters:
        seen[c.name.lower()] = seen.get(c.name.lower(), 0) + 1
    twice = sorted(n for n, k in seen.items() if k > 1)
    if twice:
        raise BadInputError(f"two characters are named {twice[0]!r}", hint="give each character its own name")
    return characters


# -- sources ----------------------------------------------------------------------------------
def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def _folder_rows(folder: Path) -> list[dict]:
    rows: list[dict] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            row: dict[str, Any] = {"name": entry.name}
            images = _images_in(entry)
            named = {p.stem.lower(): p for p in images if p.stem.lower() in VIEW_SLOTS}
            if named:
                row.update({slot: str(p) for slot, p in named.items()})
            elif len(images) == 1:
                row["front"] = str(images[0])
            elif not images:
                row["_error"] = f"{entry.name}/ holds no image ({', '.join(IMAGE_SUFFIXES)})"
            else:
                row["_error"] = (f"{entry.name}/ holds {len(images)} images and none is named front/back/left/right"
                                 " — name the views front.png, back.png, left.png, right.png")
            rows.append(row)
        elif entry.suffix.lower() in IMAGE_SUFFIXES:
            rows.append({"name": entry.stem, "front": str(entry)})
    return rows


def _csv_rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            unknown = [f for f in fields if f and f not in FIELDS]
            if unknown:
                raise BadInputError(f"{path.name}: unknown column {unknown[0]!r}", hint=f"columns: {', '.join(FIELDS)}")
            rows = []
            for raw in reader:
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                if any(row.values()):
                    rows.append({k: v for k, v in row.items() if v != ""})
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadInputError(f"cannot read the manifest {path.name}: {exc}", hint="save it as UTF-8 CSV") from None


def _json_rows(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"cannot read the manifest {path.name}: {exc}", hint="check the JSON syntax") from None
    defaults: dict = {}
    if isinstance(data, dict):
        defaults = data.get("defaults") or {}
        data = data.get("characters")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data) or not isinstance(defaults, dict):
        raise BadInputError(f"{path.name} is not a list of characters",
                            hint='use [{"name": ..., "front": ...}, ...] or {"defaults": {...}, "characters": [...]}')
    rows = []
    for r in data:
        row = {**defaults, **r}
        unknown = [k for k in row if k not in FIELDS]
        if unknown:
            raise BadInputError(f"{path.name}: unknown field {unknown[0]!r}", hint=f"fields: {', '.join(FIELDS)}")
        rows.append(row)
    return rows


# -- one character ----------------------------------------------------------------------------
def _character(row: dict, base_dir: Path, defaults: dict, index: int) -> Character:
    values = {**defaults, **{k: v for k, v in row.items() if not k.startswith("_")}}
    raw_name = str(values.get("name") or "")
    views_given = {slot: values.get(slot) for slot in VIEW_SLOTS if values.get(slot)}
    if "front" not in views_given and values.get("image"):
        views_given["front"] = values["image"]
    if not raw_name:
        first = views_given.get("front") or next(iter(views_given.values()), "")
        raw_name = Path(str(first)).stem if first else f"character-{index}"
    name = safe_name(raw_name) or f"character-{index}"
    c = Character(name=name)
    errors = [row["_error"]] if row.get("_error") else []
    for slot, value in views_given.items():
        p = Path(str(value)).expanduser()
        c.views[slot] = str(p if p.is_absolute() else (base_dir / p).absolute())
    try:
        _apply_options(c, values)
    except BadInputError as exc:
        errors.append(exc.one_line())
    if not c.views and not errors:
        if c.prompt:
            errors.append("a prompt without images needs `figurine make`, which batches cannot run yet"
                          " — give the character's views")
        else:
            errors.append("no image given — add front (and back/left/right) views")
    c.error = "; ".join(errors)
    return c


def _apply_options(c: Character, v: dict) -> None:
    if v.get("provider"):
        c.provider = str(v["provider"]).strip().lower()
    c.prompt = str(v.get("prompt") or "")
    if v.get("height") not in (None, ""):
        c.height = _number(v["height"], "height", float, 1.0, 10_000.0)
    if v.get("base"):
        from ..repair.bases import parse_preset

        parse_preset(str(v["base"]))  # refuse an unknown base now, not after the reconstruction
        c.base = str(v["base"]).strip().lower()
    if v.get("preset"):
        preset = str(v["preset"]).strip().lower()
        if preset not in PRESETS:
            raise BadInputError(f"unknown preset {preset!r}", hint=f"use {' or '.join(PRESETS)}")
        c.preset = preset
    if v.get("formats"):
        raw = v["formats"]
        items = raw if isinstance(raw, list) else re.split(r"[\s,;|]+", str(raw))
        formats = [str(f).strip().lower().lstrip(".") for f in items if str(f).strip()]
        bad = [f for f in formats if f not in EXPORT_FORMATS]
        if bad:
            raise BadInputError(f"unknown format {bad[0]!r}", hint=f"use {', '.join(EXPORT_FORMATS)}")
        c.formats = ["stl"] + [f for f in dict.fromkeys(formats) if f != "stl"]
    if v.get("size") not in (None, ""):
        c.size = _number(v["size"], "size", int, 128, 4096)
    if v.get("resolution") not in (None, ""):
        c.resolution = _number(v["resolution"], "resolution", int, 32, 512)
    if v.get("options"):
        raw = v["options"]
        if isinstance(raw, dict):
            c.options = {str(k): str(val) for k, val in raw.items()}
        else:
            for item in re.split(r"[;\s]+", str(raw).strip()):
                key, sep, val = item.partition("=")
                if not sep or not key:
                    raise BadInputError(f"option {item!r} is not NAME=VALUE", hint="e.g. face_count=300000;enable_pbr=false")
                c.options[key] = val
    if v.get("pipeline"):
        c.pipeline = str(v["pipeline"]).strip().lower()
        if c.pipeline not in ("auto", "run", "generate"):
            raise BadInputError(f"unknown pipeline {c.pipeline!r}", hint="use auto, run or generate")


def _number(value: Any, what: str, conv, lo: float, hi: float):
    try:
        number = conv(float(value)) if conv is int else conv(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{what} {value!r} is not a number", hint=f"use {lo:g} to {hi:g}") from None
    if not lo <= number <= hi:
        raise BadInputError(f"{what} {value!r} is out of range", hint=f"use {lo:g} to {hi:g}")
    return number
