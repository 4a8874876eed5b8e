# SPDX-License-Identifier: GPL-3.0-or-later
"""Prepare a view set: flat studio gray, cropped, same scale and baseline in every view,
validated (see :mod:`.validate`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import atomic
from ..errors import BadInputError
from . import ALL_VIEW_SLOTS, framing, validate, view_name
from .load import load_rgba
from .matte import MatteResult, extract

DEFAULT_SIZE = 1024
MARGIN = framing.MARGIN


@dataclass
class PreparedView:
    slot: str
    rgb: np.ndarray  # (S, S, 3) uint8 on flat studio gray
    matte: np.ndarray  # (S, S) float32 in [0, 1]; 1 = character
    mirrored: bool = False  # flipped left-right by a facing fix
    source: dict = field(default_factory=dict)  # what was measured on the original image

    def mirror(self) -> "PreparedView":
        """The same view flipped left-right (a side view given for the other side)."""
        return PreparedView(self.slot, np.ascontiguousarray(self.rgb[:, ::-1]),
                            np.ascontiguousarray(self.matte[:, ::-1]), not self.mirrored, dict(self.source))


@dataclass
class ViewSet:
    views: dict[str, PreparedView]
    warnings: list[str] = field(default_factory=list)
    issues: list[validate.Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what preparation changed (mirrored views...)

    @property
    def size(self) -> int:
        return next(iter(self.views.values())).matte.shape[0]

    def save(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``<slot>.png`` (RGB on gray) and ``<slot>_matte.png`` for every view."""
        from PIL import Image

        folder = Path(folder)
        written = {}
        for slot, view in self.views.items():
            rgb_path = folder / f"{slot}.png"
            with atomic.atomic_path(rgb_path) as tmp:
                Image.fromarray(view.rgb, "RGB").save(tmp, format="PNG")
            matte_path = folder / f"{slot}_matte.png"
            with atomic.atomic_path(matte_path) as tmp:
                Image.fromarray(np.round(view.matte * 255).astype(np.uint8), "L").save(tmp, format="PNG")
            written[slot] = rgb_path
            written[f"{slot}_matte"] = matte_path
        return written

    def report(self) -> dict:
        """JSON-ready summary: sizes, what each source showed, issues and notes."""
        return {
            "size": self.size,
            "views": {slot: {"mirrored": v.mirrored, **v.source} for slot, v in self.views.items()},
            "issues": [i.to_dict() for i in self.issues],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    def fix_facing(self) -> list[str]:
        """Mirror every side view found facing the wrong way; returns the slots mirrored."""
        fixed = []
        for issue in list(self.issues):
            if issue.code == "wrong_facing" and issue.slot in self.views:
                self.views[issue.slot] = self.views[issue.slot].mirror()
                self.issues.remove(issue)
                self.warnings.remove(issue.message)
                self.notes.append(f"{view_name(issue.slot)} view mirrored so that it faces the right way")
                fixed.append(issue.slot)
        return fixed


def load_prepared(folder: str | os.PathLike) -> ViewSet:
    from PIL import Image

    folder = Path(folder)
    views = {}
    for slot in ALL_VIEW_SLOTS:
        rgb_path, matte_path = folder / f"{slot}.png", folder / f"{slot}_matte.png"
        if rgb_path.exists() and matte_path.exists():
            with Image.open(rgb_path) as img:
                rgb = np.asarray(img.convert("RGB"))
            with Image.open(matte_path) as img:
                matte = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
            views[slot] = PreparedView(slot, rgb, matte)
    if "front" not in views:
        raise BadInputError(f"{folder} holds no prepared front view", hint="prepare the views first")
    return ViewSet(views)


def frame_views(mattes: dict[str, MatteResult], size: int) -> dict[str, PreparedView]:
    """Frame matted views together: one subject height for all, feet on one baseline."""
    boxes = {slot: framing.subject_box(m.alpha) for slot, m in mattes.items()}
    height = framing.common_height(list(boxes.values()), size)
    views = {}
    for slot, m in mattes.items():
        box = boxes[slot]
        rgb, alpha = framing.place(m.alpha, m.foreground, box, height, size)
        h, w = m.alpha.shape
        source = {"width": w, "height": h, "matte_from": m.source, "touches": list(m.touches),
                  "rel_height": round(box.height / h, 4),
                  "box": [box.left, box.top, box.right, box.bottom]}
        views[slot] = PreparedView(slot, rgb, alpha, False, source)
    return views


def prepare_arrays(rgbas: dict[str, np.ndarray], size: int = DEFAULT_SIZE, *, fix_facing: bool = False,
                   names: dict[str, str] | None = None) -> ViewSet:
    """Like :func:`prepare_view_set` for images already in memory ((H, W, 4) float in [0, 1])."""
    _check_slots(rgbas, size)
    return _prepare(rgbas, size, fix_facing, names)


def prepare_single(rgba: np.ndarray, slot: str, size: int = DEFAULT_SIZE, *, fix_facing: bool = False,
                   name: str = "") -> ViewSet:
    """Prepare one view on its own (an AI result): matte, gray, framing and the checks that
    need no other view (cut off, facing). The set is framed together again later."""
    if slot not in ALL_VIEW_SLOTS:
        raise BadInputError(f"unknown view slot '{slot}'", hint=f"use {', '.join(ALL_VIEW_SLOTS)}")
    _check_slots({"front": None}, size)
    return _prepare({slot: rgba}, size, fix_facing, {slot: name} if name else None, require_front=False)


def _prepare(rgbas: dict[str, np.ndarray], size: int, fix_facing: bool, names: dict[str, str] | None,
             require_front: bool = True) -> ViewSet:
    mattes = {}
    for slot in ALL_VIEW_SLOTS:
        if slot in rgbas:
            try:
                mattes[slot] = extract(rgbas[slot])
            except BadInputError as exc:
                label = (names or {}).get(slot, "")
                where = f"{view_name(slot)} view ({label})" if label else f"{view_name(slot)} view"
                raise BadInputError(f"{where}: {exc.message}", hint=exc.hint) from None
    views = frame_views(mattes, size)
    issues = validate.check_views(views, {slot: v.source for slot, v in views.items()})
    if not require_front:
        issues = [i for i in issues if i.code != "front_missing"]
    viewset = ViewSet(views, [i.message for i in issues], issues)
    if fix_facing:
        viewset.fix_facing()
    return viewset


def prepare_view_set(paths: Mapping[str, str | os.PathLike | None], size: int = DEFAULT_SIZE, *,
                     fix_facing: bool = False) -> ViewSet:
    """Load, matte, frame and validate the given views (``front`` required).

    ``fix_facing`` mirrors side views that face the wrong way instead of only warning."""
    given = {slot: p for slot, p in paths.items() if p}
    _check_slots(given, size)
    side = working_side(size)
    rgbas = {slot: load_rgba(given[slot], max_side=side) for slot in ALL_VIEW_SLOTS if slot in given}
    return prepare_arrays(rgbas, size, fix_facing=fix_facing,
                          names={slot: Path(p).name for slot, p in given.items()})


def working_side(size: int) -> int:
    """The longest side an input is matted at for views of ``size`` pixels. A subject often
    fills half a photo's height, so twice the output size keeps it at full detail; more only
    costs memory and time (a 48 MP photo would be 770 MB as float RGBA)."""
    return max(2 * size, 1024)


def _check_slots(given: dict, size: int) -> None:
    unknown = set(given) - set(ALL_VIEW_SLOTS)
    if unknown:
        raise BadInputError(f"unknown view slot(s) {sorted(unknown)}", hint=f"use {', '.join(ALL_VIEW_SLOTS)}")
    if "front" not in given:
        raise BadInputError("the front view is missing", hint="give a front view image (--front FILE)")
    if not 64 <= size <= 8192:
        raise BadInputError(f"image size {size} is out of range", hint="use 64 to 8192 pixels")


def prepare_into_job(job, paths: Mapping[str, str | os.PathLike | None], size: int = DEFAULT_SIZE, *,
                     fix_facing: bool = False) -> tuple[dict, ViewSet]:
    """Copy the views into the job (``inputs/``) and run a "prepare" step on the copies.

    Returns the copied inputs by slot and the prepared set; the step folder keeps every
    prepared view and its matte, and the step's result the set's warnings (and notes: the
    views ``fix_facing`` mirrored). Every job that starts from user images (run, generate, the
    panel) goes through here."""
    from pathlib import Path as _Path

    given = {slot: p for slot, p in paths.items() if p}
    for slot, path in given.items():
        if not _Path(path).is_file():
            raise BadInputError(f"{view_name(slot)} view {path} does not exist", hint="check the file name")
    _check_slots(given, size)
    inputs = {slot: job.add_input(slot, given[slot]) for slot in ALL_VIEW_SLOTS if slot in given}
    params = {"size": size, "views": list(inputs), **({"fix_facing": True} if fix_facing else {})}
    with job.step("prepare", params) as step:
        viewset = prepare_view_set(inputs, size=size, fix_facing=fix_facing)
        files = viewset.save(step.folder)
        job.finish_step(step, dict(files), {"warnings": list(viewset.warnings), "notes": list(viewset.notes)})
    return inputs, viewset
