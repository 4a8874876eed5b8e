# SPDX-License-Identifier: GPL-3.0-or-later
"""AI edits of the character views through Google's Gemini image model.

``figurine.ai_edit_view`` runs a preset (or the view's own prompt) on one view;
``figurine.generate_missing_views`` asks for the back, left and right views that are missing,
from the front view alone; ``figurine.generate_diagonal_views`` does the same for the four
optional 45-degree views (never part of "missing": each is a paid generation the user asks for);
``figurine.save_ai_preset`` keeps a prompt as a user preset.

Everything that needs Blender happens on the main thread before the task starts (the view's
image, the job folder, the key, the settings, where a mirrored copy would go) and after it
ends (the view's new image and its history). The worker thread only talks to Gemini and the
job folder, through :func:`..core.gemini.edit_into_job`, which keeps every result as a new
version with its provenance. The API key goes from the preferences (or the environment)
straight into that call: it is never put in a property, a file, a report or the .blend.

Gemini mixes up left and right now and then: a side or diagonal view that comes back facing the
wrong way for its slot (a left view shows the character facing the viewer's right) is mirrored,
as a new version beside the untouched result.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import bpy
from bpy.props import EnumProperty, StringProperty

from ...core import atomic
from ...core.errors import BadInputError, CancelledError, FigurineError
from ...core.images import DIAGONAL_VIEW_SLOTS, VIEW_SLOTS
from ...core.images.validate import EXPECTED_FACING
from .. import prefs, tasks
from ..props import slot_label
from .common import abspath, reports_errors
from .view_ops import SLOT_ITEMS, add_version, next_version_path

CUSTOM = "CUSTOM"  # the preset choice that sends the view's own prompt
# What "generate missing views" asks for: the built-in view presets (a user preset of the same
# name replaces one, as everywhere).
VIEW_PRESETS = {"back": "rear-view", "left": "left-view", "right": "right-view"}
# What "make diagonal views" asks for (the same built-in presets as `figurine edit --preset`).
DIAGONAL_PRESETS = {"front_left": "front-left-view", "front_right": "front-right-view",
                    "back_left": "back-left-view", "back_right": "back-right-view"}
ONLINE_HINT = "enable it in Edit → Preferences → System → Network → Allow Online Access"
KEY_HINT = ("enter it in Edit → Preferences → Add-ons → Figurine Forge → Gemini API Key, "
            "or set GEMINI_API_KEY (or GOOGLE_API_KEY)")


# -- what the operators read on the main thread -----------------------------------------------
def online_allowed() -> bool:
    """May the add-on use the network? The one place that asks Blender (tests toggle it through
    ``preferences.system.use_online_access``, which Blender mirrors into ``bpy.app.online_access``)."""
    return bool(getattr(bpy.app, "online_access", True))


def require_online() -> None:
    if not online_allowed():
        if getattr(bpy.app, "online_access_override", False):
            raise BadInputError("Blender was started in offline mode, so Gemini cannot be asked",
                                hint="restart Blender without --offline-mode")
        raise BadInputError("online access is off, so Gemini cannot be asked", hint=ONLINE_HINT)


def require_key(context) -> str:
    key = prefs.gemini_key(context)  # the preferences' field, else the environment
    if not key:
        raise BadInputError("no Gemini API key is set", hint=KEY_HINT)
    return key


def presets_folder(context=None) -> str | None:
    """The preferences' presets folder, or None for the user's config folder (the core's default)."""
    p = prefs.get_preferences(context)
    return abspath(p.presets_dir) if p is not None and p.presets_dir else None


def gemini_settings(context):
    """Model, aspect ratio and image size from the scene's settings, checked."""
    from ...core import gemini

    s = context.scene.figurine
    settings = gemini.GeminiSettings(
        model=(getattr(s, "ai_model", "") or "").strip() or gemini.DEFAULT_MODEL,
        aspect_ratio=None if getattr(s, "ai_aspect_ratio", "AUTO") == "AUTO" else s.ai_aspect_ratio,
        image_size=None if getattr(s, "ai_image_size", "AUTO") == "AUTO" else s.ai_image_size)
    settings.validate()
    return settings


def job_folder(settings) -> str:
    if not settings.job_dir:
        raise BadInputError("no job folder yet", hint="set the Job Folder at the top of the panel: "
                                                      "every AI result is kept there as a new version")
    return abspath(settings.job_dir)


def current_image(settings, slot: str) -> str:
    path, name = settings.image_path(slot), slot_label(slot).lower()
    if not path:
        raise BadInputError(f"the {name} view has no image", hint=f"load a {name} view first")
    if not os.path.isfile(path):
        raise BadInputError(f"the {name} view's file {path} is missing", hint="load it again")
    return path


# -- preset choices -----------------------------------------------------------------------------
_PRESET_ITEMS: list = []  # dynamic enum items must stay referenced from Python
_PRESET_KEY: tuple | None = None


def _folder_state(folder: str | None) -> tuple:
    from ...core.presets import user_preset_dir

    path = Path(folder) if folder else user_preset_dir()
    try:
        return (str(path),) + tuple(sorted((p.name, p.stat().st_mtime_ns) for p in path.glob("*.json")))
    except OSError:
        return (str(path),)


def _all_preset_items(context) -> list:
    """Every preset as an enum item (built-in first), read again only when the folder changes."""
    global _PRESET_ITEMS, _PRESET_KEY
    folder = presets_folder(context)
    key = _folder_state(folder)  # drawing asks often: read the JSON files only when they change
    if key != _PRESET_KEY or not _PRESET_ITEMS:
        from ...core.presets import all_presets

        items = [(CUSTOM, "Your Prompt", "Send the prompt written below as it is", "TEXT", 0)]
        targets: dict[str, str | None] = {CUSTOM: None}
        used = {0, DIAGONAL_CUSTOM_NUMBER}
        for p in sorted(all_presets(folder).values(), key=lambda p: (not p.builtin, p.title)):
            # The number a .blend stores for the choice: from the name, so it stays the same
            # when presets are added or removed.
            number = zlib.crc32(p.name.encode()) & 0x7FFFFFFF
            if number in used:
                continue
            used.add(number)
            where = f" Makes the {slot_label(p.target_slot).lower()} view." if p.target_slot else ""
            own = "" if p.builtin else " (your preset)"
            items.append((p.name, p.title, f"{p.title}{own}.{where} Your prompt, if any, is added to it.",
                          "PRESET" if p.builtin else "USER", number))
            targets[p.name] = p.target_slot
        _PRESET_ITEMS, _PRESET_KEY = items, key
        _PRESET_TARGETS.clear()
        _PRESET_TARGETS.update(targets)
        _SLOT_PRESET_ITEMS.clear()
    return _PRESET_ITEMS


DIAGONAL_CUSTOM_NUMBER = zlib.crc32(CUSTOM.encode()) & 0x7FFFFFFF  # "Your Prompt" in a diagonal's list
_PRESET_TARGETS: dict[str, str | None] = {}  # preset name -> the view it makes (None: restyles)
_SLOT_PRESET_ITEMS: dict[str, list] = {}  # per view slot, referenced like _PRESET_ITEMS


def preset_items(self, context):
    """Enum items: the view's own prompt first, then every preset (built-in and the user's)."""
    return _all_preset_items(context)


def slot_preset_items(slot: str, context) -> list:
    """The choices a view's AI Edit offers. A main view (front, back, left, right): its prompt,
    then every preset but the diagonal ones. A diagonal: the preset that makes it first, then
    its prompt, the restyles and the other diagonals (the main views' presets would replace a
    main view from a diagonal's tools)."""
    items = _all_preset_items(context)
    if slot not in _SLOT_PRESET_ITEMS:
        if slot in DIAGONAL_VIEW_SLOTS:
            own = [i for i in items if _PRESET_TARGETS.get(i[0]) == slot]
            rest = [i for i in items if _PRESET_TARGETS.get(i[0]) in (None, *DIAGONAL_VIEW_SLOTS)
                    and _PRESET_TARGETS.get(i[0]) != slot]
            # A new view's choice is stored as 0: here that is the slot's own preset (what a
            # diagonal is for), and the prompt gets a number of its own.
            own = [i[:4] + (0,) for i in own[:1]] + own[1:]
            rest = [i[:4] + (DIAGONAL_CUSTOM_NUMBER,) if i[0] == CUSTOM else i for i in rest]
            _SLOT_PRESET_ITEMS[slot] = own + rest
        else:
            _SLOT_PRESET_ITEMS[slot] = [i for i in items if _PRESET_TARGETS.get(i[0]) in (None, *VIEW_SLOTS)]
    return _SLOT_PRESET_ITEMS[slot]


# -- the worker's half ------------------------------------------------------------------------
@dataclass
class EditJob:
    """One edit, as read on the main thread: only plain values, safe in the worker."""

    target: str  # the view the result becomes
    parent: str | None  # the image sent (None: create from the prompt alone)
    parent_slot: str
    prompt: str
    preset: str | None
    label: str  # what reports and the history call it
    mirror_to: str | None = None  # where a mirrored copy goes if a side view faces the wrong way


@dataclass
class EditDone:
    target: str
    path: str  # the slot's new image
    origin: str
    model: str
    text: str = ""
    notes: list[str] = field(default_factory=list)


def run_edit(job, edit: EditJob, settings, key: str, ctl) -> EditDone:
    """Worker thread: one edit into the job folder, plus the facing fix. No bpy here."""
    from ...core import gemini

    version = gemini.edit_into_job(job, edit.parent, edit.prompt, slot=edit.target,
                                   parent_slot=edit.parent_slot, preset=edit.preset,
                                   settings=settings, api_key=key, online=True,
                                   progress=lambda message: ctl.progress(None, message))
    notes = list(version.warnings)
    path, origin = str(version.prepared), edit.label
    if edit.mirror_to:
        mirrored = mirror_if_facing_wrong(version.prepared, version.matte, edit.target, Path(edit.mirror_to))
        if mirrored is not None:
            notes = [n for n in notes if "faces the viewer's" not in n]
            notes.append(f"mirrored: Gemini drew the {slot_label(edit.target).lower()} view facing the wrong way")
            path, origin = str(mirrored), f"{edit.label} (mirrored)"
    return EditDone(edit.target, path, origin, version.result.model, version.result.text, notes)


def mirror_if_facing_wrong(prepared: Path, matte: Path, slot: str, target: Path) -> Path | None:
    """Write ``target`` (the prepared view flipped left-right) when the character faces the
    wrong way for ``slot``; None when it faces the right way or the silhouette cannot tell."""
    import numpy as np
    from PIL import Image

    from ...core.images.validate import detect_facing, facing_issue

    with Image.open(matte) as img:
        alpha = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    issue = facing_issue(slot, detect_facing(alpha))
    if issue is None or issue.code != "wrong_facing":
        return None
    with Image.open(prepared) as img:
        rgb = np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, ::-1])
    with atomic.atomic_path(target) as tmp:
        Image.fromarray(rgb, "RGB").save(tmp, format="PNG")
    return target


def _said(text: str) -> str:
    text = " ".join(text.split())
    return f' Gemini said: "{text[:120]}{"…" if len(text) > 120 else ""}"' if text else ""


def _report_after_sync(op, run) -> None:
    # In background mode (or with wait) the task already ended: say how, like the monitor does.
    if run.state == "finished" and run.result_text:
        op.report({run.level}, run.result_text)


# -- operators --------------------------------------------------------------------------------
class FIGURINE_OT_ai_edit_view(bpy.types.Operator):
    """Edit this view with Gemini: a preset or your own prompt. The result is a new version
    (nothing is overwritten), prepared on studio gray"""

    bl_idname = "figurine.ai_edit_view"
    bl_label = "AI Edit"
    bl_options = {"REGISTER", "UNDO"}

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    preset: EnumProperty(name="Preset", items=preset_items,
                         description="What to ask for: a preset, or your own prompt")
    prompt: StringProperty(name="Prompt", options={"SKIP_SAVE"},
                           description="Your text (empty: the view's prompt field). With a preset, it is "
                                       "added as an extra instruction")
    wait: tasks.wait_property()

    @classmethod
    def description(cls, context, properties):
        if properties.preset and properties.preset != CUSTOM:
            item = next((i for i in _PRESET_ITEMS if i[0] == properties.preset), None)
            if item is not None:
                return f"Gemini: {item[2]}"
        return cls.__doc__

    @reports_errors
    def execute(self, context):
        from ...core.presets import get_preset

        s = context.scene.figurine
        text = (self.prompt or s.view(self.slot).prompt).strip()
        if self.preset == CUSTOM or not self.preset:
            if not text:
                raise BadInputError(f"the {slot_label(self.slot).lower()} view's prompt is empty",
                                    hint="write what to change, or choose a preset")
            preset, prompt, target, label = None, text, self.slot, "AI prompt"
        else:
            preset = get_preset(self.preset, presets_folder(context))
            prompt = preset.render(text)
            # A preset that makes another view (rear, side) starts from the front view; one that
            # restyles keeps the view it was run on.
            target = preset.target_slot or self.slot
            label = f"AI {preset.name}"
        if preset is not None and not preset.needs_image:
            parent, parent_slot = None, target
        elif preset is not None and preset.target_slot not in (None, "front"):
            parent, parent_slot = current_image(s, "front"), "front"
        else:
            parent, parent_slot = current_image(s, self.slot), self.slot
        job_dir = job_folder(s)
        settings = gemini_settings(context)
        require_online()
        key = require_key(context)
        mirror_to = str(next_version_path(s, target, f"{label} mirrored")) if target in EXPECTED_FACING else None
        edit = EditJob(target, parent, parent_slot, prompt, preset.name if preset else None, label, mirror_to)

        def work(ctl):  # worker thread: network and files only
            from ...core.jobstore import Job

            ctl.progress(0.05, f"asking {settings.model} ({label})")
            done = run_edit(Job.open(job_dir), edit, settings, key, ctl)
            ctl.check_cancel()  # the result is kept in the job folder either way
            ctl.progress(1.0, "done")
            return done

        def finish(ctx, done: EditDone):
            add_version(ctx.scene.figurine, done.target, done.path, done.origin)
            message = f"{slot_label(done.target)} view: {done.origin} by {done.model}"
            if done.notes:
                return "WARNING", f"{message} ({'; '.join(done.notes)}).{_said(done.text)}"
            return f"{message}.{_said(done.text)}"

        run = tasks.start(context, tasks.Task(f"AI edit ({target})", work, finish), wait=self.wait)
        _report_after_sync(self, run)
        return {"FINISHED"}


def start_views_from_front(op, context, wanted: dict[str, str], title: str) -> None:
    """Ask Gemini for each ``slot -> preset`` of ``wanted`` from the front view alone, one after
    another in one background task; each result becomes a new version of its slot (mirrored
    when a side or diagonal view faces the wrong way). What arrived is kept if one fails."""
    from ...core.presets import all_presets

    s = context.scene.figurine
    front = current_image(s, "front")
    job_dir = job_folder(s)
    settings = gemini_settings(context)
    available = all_presets(presets_folder(context))
    for slot, name in wanted.items():
        if name not in available:
            raise BadInputError(f"the preset '{name}' is missing", hint="reinstall Figurine Forge")
    require_online()
    key = require_key(context)
    edits = []
    for slot, name in wanted.items():
        preset = available[name]
        label = f"AI {preset.name}"
        mirror_to = str(next_version_path(s, slot, f"{label} mirrored")) if slot in EXPECTED_FACING else None
        edits.append(EditJob(slot, front, "front", preset.render(), preset.name, label, mirror_to))

    def work(ctl: tasks.TaskControl) -> tuple[list[EditDone], str]:  # worker thread: one view after another
        from ...core.jobstore import Job

        job = Job.open(job_dir)
        done: list[EditDone] = []
        for i, edit in enumerate(edits):
            name = slot_label(edit.target).lower()
            try:
                ctl.check_cancel()
                ctl.progress(i / len(edits), f"{name} view ({i + 1}/{len(edits)}): asking {settings.model}")
                done.append(run_edit(job, edit, settings, key, ctl))
            except FigurineError as exc:
                if not done:
                    raise
                # Keep what arrived; say why the rest did not (a refused key would only repeat).
                stopped = "cancelled" if isinstance(exc, CancelledError) else exc.one_line()
                return done, f"stopped before the {name} view: {stopped}"
        ctl.progress(1.0, "done")
        return done, ""

    def finish(ctx, value):
        done, stopped = value
        settings_now = ctx.scene.figurine
        notes = []
        for d in done:
            add_version(settings_now, d.target, d.path, d.origin)
            notes += [f"{slot_label(d.target).lower()}: {n}" for n in d.notes]
        made = ", ".join(slot_label(d.target).lower() for d in done)
        message = f"Made the {made} view{'s' if len(done) > 1 else ''} with {done[0].model}"
        if stopped:
            notes.append(stopped)
        return ("WARNING", f"{message} ({'; '.join(notes)})") if notes else message

    run = tasks.start(context, tasks.Task(title, work, finish), wait=op.wait)
    _report_after_sync(op, run)


class FIGURINE_OT_generate_missing_views(bpy.types.Operator):
    """Ask Gemini for the missing back, left and right views, each from the front view alone"""

    bl_idname = "figurine.generate_missing_views"
    bl_label = "Generate Missing Views (AI)"
    bl_options = {"REGISTER", "UNDO"}

    wait: tasks.wait_property()

    @reports_errors
    def execute(self, context):
        s = context.scene.figurine
        current_image(s, "front")
        # The diagonals are optional (and each a paid generation): never "missing" here.
        missing = {slot: VIEW_PRESETS[slot] for slot in VIEW_SLOTS if slot in VIEW_PRESETS and not s.image_path(slot)}
        if not missing:
            raise BadInputError("no view is missing", hint="clear a view to make it again, or use AI Edit on it")
        start_views_from_front(self, context, missing, "Generate missing views")
        return {"FINISHED"}


class FIGURINE_OT_generate_diagonal_views(bpy.types.Operator):
    """Ask Gemini for the missing 45-degree views (front-left, front-right, back-left, back-right), each from the front view alone with its preset. Optional: each is one paid image generation"""

    bl_idname = "figurine.generate_diagonal_views"
    bl_label = "Make Diagonal Views (AI)"
    bl_options = {"REGISTER", "UNDO"}

    wait: tasks.wait_property()

    @reports_errors
    def execute(self, context):
        s = context.scene.figurine
        current_image(s, "front")
        missing = {slot: DIAGONAL_PRESETS[slot] for slot in DIAGONAL_VIEW_SLOTS if not s.image_path(slot)}
        if not missing:
            raise BadInputError("every diagonal view is set",
                                hint="clear one to make it again, or use AI Edit in its tools")
        start_views_from_front(self, context, missing, "Make diagonal views")
        return {"FINISHED"}


class FIGURINE_OT_save_ai_preset(bpy.types.Operator):
    """Keep this view's prompt as your own AI edit preset (a JSON file in the presets folder)"""

    bl_idname = "figurine.save_ai_preset"
    bl_label = "Save as Preset"
    bl_options = {"REGISTER", "UNDO"}  # the file is kept either way; the view's choice is undone

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    title: StringProperty(name="Title", description="What the preset list shows")
    name: StringProperty(name="Name", options={"SKIP_SAVE"},
                         description="File name: lower-case letters, digits, '-' and '_' (empty: from the title)")

    def invoke(self, context, event):
        if not self.title:
            self.title = " ".join(context.scene.figurine.view(self.slot).prompt.split()[:5])
        return context.window_manager.invoke_props_dialog(self)

    @reports_errors
    def execute(self, context):
        import re

        from ...core.presets import Preset, save_user_preset

        view = context.scene.figurine.view(self.slot)
        prompt = view.prompt.strip()
        if not prompt:
            raise BadInputError(f"the {slot_label(self.slot).lower()} view's prompt is empty",
                                hint="write the prompt to keep first")
        title = self.title.strip() or " ".join(prompt.split()[:5])
        name = self.name.strip() or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:64]
        path = save_user_preset(Preset(name=name, title=title, prompt=prompt), presets_folder(context))
        view.ai_preset = name  # the list reads the folder again: the new preset is there
        self.report({"INFO"}, f"Saved the preset '{title}' to {path}")
        return {"FINISHED"}


classes = (FIGURINE_OT_ai_edit_view, FIGURINE_OT_generate_missing_views, FIGURINE_OT_generate_diagonal_views,
           FIGURINE_OT_save_ai_preset)
