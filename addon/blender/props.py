# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-scene settings of the workflow (saved with the .blend; never any secret).

``{slot}_image`` (a file path) is what the workflow reads for each view (the four main ones
and the four optional 45-degree diagonals, ``core.images.ALL_VIEW_SLOTS``); scripts set it
directly. ``view_{slot}`` keeps that view's version history (every file the panel made or
loaded for it) so an earlier one can be picked again. The generator's options live in
``provider_options``, one typed entry per option of the chosen provider, rebuilt from the
provider's own description whenever the provider changes.
"""

from __future__ import annotations

import os

import bpy
from bpy.app.handlers import persistent
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

from ..core.images import ALL_VIEW_SLOTS, DIAGONAL_VIEW_SLOTS
from ..core.mesh import exportformats
from ..core import gemini  # names and choices only: the SDK is imported when an edit runs

PRESET_ITEMS = [
    ("resin", "Resin", "Resin printer: minimum wall 0.6 mm"),
    ("fdm", "FDM 0.4 mm", "Filament printer with a 0.4 mm nozzle: minimum wall 1.0 mm"),
]
EXPORT_FORMAT_ITEMS = [(f.name, f.label, f.description) for f in exportformats.FORMATS.values()]


# What the panel calls each view, and where a diagonal's camera stands (docs/reconstruction.md
# "Views": a diagonal faces the viewer the way the side view on its side of the figure does).
SLOT_LABELS = {"front": "Front", "back": "Back", "left": "Left", "right": "Right",
               "front_left": "Front-Left", "front_right": "Front-Right",
               "back_left": "Back-Left", "back_right": "Back-Right"}
DIAGONAL_HINTS = {
    "front_left": "between the front and the character's right side; faces the viewer's right",
    "front_right": "between the front and the character's left side; faces the viewer's left",
    "back_left": "between the back and the character's right side; faces the viewer's right",
    "back_right": "between the back and the character's left side; faces the viewer's left",
}
# The same, in a line of the sidebar at its default width (the panel adds the facing beside it).
DIAGONAL_CAMERAS = {"front_left": "Front + the character's right side",
                    "front_right": "Front + the character's left side",
                    "back_left": "Back + the character's right side",
                    "back_right": "Back + the character's left side"}
assert set(SLOT_LABELS) == set(ALL_VIEW_SLOTS)
assert set(DIAGONAL_HINTS) == set(DIAGONAL_CAMERAS) == set(DIAGONAL_VIEW_SLOTS)


def slot_label(slot: str) -> str:
    return SLOT_LABELS.get(slot, slot.replace("_", " ").title())


def provider_descriptions() -> list[dict]:
    """Every provider's capabilities, from the core registry (cached: they never change)."""
    global _DESCRIPTIONS
    if _DESCRIPTIONS is None:
        from ..core.providers import list_providers

        _DESCRIPTIONS = list_providers()
    return _DESCRIPTIONS


_DESCRIPTIONS: list[dict] | None = None


def provider_description(name: str) -> dict | None:
    return next((d for d in provider_descriptions() if d["name"] == name), None)


def _provider_items():
    items = []
    for i, d in enumerate(provider_descriptions()):
        where = "runs on this computer, offline" if not d["remote"] else f"online service, typically {d['typical_minutes'] or '?'} min"
        items.append((d["name"], d["label"], f"{d['label']}: {where}", "" if d["remote"] else "HOME", i))
    return items


# Dynamic enum items must stay referenced from Python, or Blender shows garbage: cache them.
_CHOICE_ITEMS: dict[tuple[str, str], list] = {}


def _choice_items(self, context):
    key = (self.provider, self.name)
    if key not in _CHOICE_ITEMS:
        spec = next((o for o in (provider_description(self.provider) or {}).get("options", [])
                     if o["name"] == self.name), None)
        choices = spec.get("choices", []) if spec else []
        _CHOICE_ITEMS[key] = [(str(c), str(c), "") for c in choices] or [("", "(none)", "")]
    return _CHOICE_ITEMS[key]


class FIGURINE_PG_option(bpy.types.PropertyGroup):
    """One option of the chosen generator; ``kind`` says which value field is used."""

    provider: StringProperty()
    kind: StringProperty()  # int, float, bool, choice, str
    help: StringProperty()
    int_value: IntProperty(name="Value")
    float_value: FloatProperty(name="Value")
    bool_value: BoolProperty(name="Value")
    str_value: StringProperty(name="Value")
    choice_value: EnumProperty(name="Value", items=_choice_items)

    @property
    def value(self):
        return getattr(self, self.value_prop)  # read only the field of this kind

    @property
    def value_prop(self) -> str:
        return {"int": "int_value", "float": "float_value", "bool": "bool_value",
                "choice": "choice_value"}.get(self.kind, "str_value")


class FIGURINE_PG_version(bpy.types.PropertyGroup):
    """One image a view has had (``name`` is the short label shown in the list)."""

    filepath: StringProperty(subtype="FILE_PATH")
    origin: StringProperty(description="How this version was made")


def _version_picked(self, context):
    # Picking a version in the history makes it the view's current image.
    if 0 <= self.active_version < len(self.versions):
        path = self.versions[self.active_version].filepath
        settings = context.scene.figurine
        if getattr(settings, f"{self.slot}_image") != path:
            setattr(settings, f"{self.slot}_image", path)


def _ai_preset_items(self, context):
    from .operators.ai_ops import slot_preset_items  # the presets (built-in and the user's), cached

    return slot_preset_items(self.slot, context)


def _ai_model_suggestions(self, context, edit_text):
    return [m for m in gemini.KNOWN_MODELS if edit_text.lower() in m]


def _choices(values, auto: str):
    return [("AUTO", "Auto", auto)] + [(v, v, "") for v in values]


def _slot_of(view) -> str:
    # "figurine.view_left" → "left", "figurine.view_front_left" → "front_left": the slot is
    # where the group sits in the settings (everything after the last "view_")
    return view.path_from_id().rsplit("view_", 1)[-1]


class FIGURINE_PG_view(bpy.types.PropertyGroup):
    versions: CollectionProperty(type=FIGURINE_PG_version)
    active_version: IntProperty(name="Version", default=-1, update=_version_picked,
                                description="Pick an earlier version to use it again")
    prompt: StringProperty(name="Prompt", description="Your own instruction for an AI edit of this view")
    expanded: BoolProperty(name="Tools", default=False, description="Show this view's tools and history")
    ai_preset: EnumProperty(name="AI Edit", items=_ai_preset_items,
                            description="What an AI edit of this view asks for: a preset, or your own prompt")

    @property
    def slot(self) -> str:
        return _slot_of(self)


def _provider_changed(self, context):
    reset_options(self)
    self.account_balance = ""  # it was another service's


class FIGURINE_PG_settings(bpy.types.PropertyGroup):
    # -- character views (paths are what the workflow reads) -------------------------------
    front_image: StringProperty(name="Front", subtype="FILE_PATH", description="Front view image (required)")
    back_image: StringProperty(name="Back", subtype="FILE_PATH", description="Back view image")
    left_image: StringProperty(name="Left", subtype="FILE_PATH",
                               description="Left view: the character faces the viewer's right")
    right_image: StringProperty(name="Right", subtype="FILE_PATH",
                                description="Right view: the character faces the viewer's left")
    view_front: PointerProperty(type=FIGURINE_PG_view)
    view_back: PointerProperty(type=FIGURINE_PG_view)
    view_left: PointerProperty(type=FIGURINE_PG_view)
    view_right: PointerProperty(type=FIGURINE_PG_view)
    # optional 45-degree views: new directions for the local reconstruction (docs/reconstruction.md)
    front_left_image: StringProperty(name="Front-Left", subtype="FILE_PATH",
                                     description="Optional 45° view " + DIAGONAL_HINTS["front_left"])
    front_right_image: StringProperty(name="Front-Right", subtype="FILE_PATH",
                                      description="Optional 45° view " + DIAGONAL_HINTS["front_right"])
    back_left_image: StringProperty(name="Back-Left", subtype="FILE_PATH",
                                    description="Optional 45° view " + DIAGONAL_HINTS["back_left"])
    back_right_image: StringProperty(name="Back-Right", subtype="FILE_PATH",
                                     description="Optional 45° view " + DIAGONAL_HINTS["back_right"])
    view_front_left: PointerProperty(type=FIGURINE_PG_view)
    view_front_right: PointerProperty(type=FIGURINE_PG_view)
    view_back_left: PointerProperty(type=FIGURINE_PG_view)
    view_back_right: PointerProperty(type=FIGURINE_PG_view)
    show_diagonal_views: BoolProperty(name="Diagonal Views", default=False,
                                      description="Show the optional 45° views and their tools")
    job_dir: StringProperty(name="Job Folder", subtype="DIR_PATH",
                            description="Folder where every step of this figurine is kept")
    # -- AI edits (Gemini) -----------------------------------------------------------------
    ai_model: StringProperty(name="Model", default=gemini.DEFAULT_MODEL, search=_ai_model_suggestions,
                             description="Gemini image model for AI edits (e.g. gemini-2.5-flash-image, "
                                         "gemini-3-pro-image-preview)")
    ai_aspect_ratio: EnumProperty(name="Aspect Ratio", default="AUTO",
                                  items=_choices(gemini.ASPECT_RATIOS, "The model's choice (the input image's shape)"),
                                  description="Shape of the image Gemini makes")
    ai_image_size: EnumProperty(name="Image Size", default="AUTO",
                                items=_choices(gemini.IMAGE_SIZES, "The model's own size"),
                                description="Size of the image Gemini makes (gemini-3-pro-image-preview and newer)")
    # -- generation --------------------------------------------------------------------------
    provider: EnumProperty(name="Generator", items=_provider_items(), update=_provider_changed,
                           description="Which 3D generator makes the mesh from the views")
    provider_options: CollectionProperty(type=FIGURINE_PG_option)
    provider_initialised: BoolProperty(default=False, options={"HIDDEN"})
    resolution: IntProperty(name="Resolution", default=160, min=32, max=512,
                            description="Local reconstruction grid size along the figure's height")
    last_generated: StringProperty(name="Last Model", subtype="FILE_PATH",
                                   description="The last mesh a generator delivered")
    account_balance: StringProperty(name="Credits", options={"SKIP_SAVE"},
                                    description="The generator account's credits, as last asked (Check Credits)")
    # -- print -------------------------------------------------------------------------------
    height_mm: FloatProperty(name="Height", default=32.0, min=1.0, max=2000.0, precision=1,
                             description="Printed figure height in millimetres")
    preset: EnumProperty(name="Printer", items=PRESET_ITEMS, default="resin",
                         description="Print-check thresholds")
    # -- export ------------------------------------------------------------------------------
    export_format: EnumProperty(name="Format", items=EXPORT_FORMAT_ITEMS, default="stl")
    export_max_triangles: IntProperty(name="Max Triangles", default=0, min=0, soft_max=2_000_000,
                                      description="Decimate the exported copy to at most this many triangles, "
                                                  "UVs and textures kept (0 keeps every triangle; the figure in "
                                                  "the scene is not changed)")
    export_dir: StringProperty(name="Folder", subtype="DIR_PATH",
                               description="Where Export writes; empty uses the job folder")
    export_name: StringProperty(name="File Name", default="figurine",
                                description="File name without extension")
    export_path: StringProperty(name="Export File", subtype="FILE_PATH",
                                description="Scripts: where figurine.export_mesh writes when given no path")
    last_export: StringProperty(name="Last Export", description="The last file written")
    last_report: StringProperty(name="Last Report", description="The last report.json written")

    def view(self, slot: str) -> FIGURINE_PG_view:
        return getattr(self, f"view_{slot}")

    def image_path(self, slot: str) -> str:
        path = getattr(self, f"{slot}_image")
        return bpy.path.abspath(path) if path else ""

    def view_paths(self, slots=ALL_VIEW_SLOTS) -> dict[str, str]:
        """slot -> absolute image path, for every view of ``slots`` that has one (what the CLI's
        ``view_paths`` gives from its options)."""
        return {slot: path for slot in slots if (path := self.image_path(slot))}

    def options_dict(self) -> dict:
        return {o.name: o.value for o in self.provider_options if o.provider == self.provider}

    def export_target(self) -> str:
        """Folder + name + format, as an absolute path; "" when no folder is known."""
        folder = self.export_dir or self.job_dir
        if not folder or not self.export_name.strip():
            return ""
        return os.path.join(bpy.path.abspath(folder), f"{self.export_name.strip()}.{self.export_format}")


def reset_options(settings, default_model: str = "") -> None:
    """Fill ``provider_options`` with the chosen provider's options at their defaults."""
    settings.provider_options.clear()
    desc = provider_description(settings.provider)
    if desc is None:
        return
    for spec in desc["options"]:
        item = settings.provider_options.add()
        item.name, item.provider, item.kind = spec["name"], settings.provider, spec["type"]
        item.help = spec.get("help", "")
        default = spec.get("default")
        if spec["name"] == "model" and default_model and default_model in [str(c) for c in spec.get("choices", [])]:
            default = default_model
        if item.kind == "int":
            item.int_value = int(default or 0)
        elif item.kind == "float":
            item.float_value = float(default or 0.0)
        elif item.kind == "bool":
            item.bool_value = bool(default)
        elif item.kind == "choice":
            item.choice_value = str(default)
        else:
            item.str_value = "" if default is None else str(default)


def options_stale(settings) -> bool:
    names = [o["name"] for o in (provider_description(settings.provider) or {}).get("options", [])]
    have = [o.name for o in settings.provider_options if o.provider == settings.provider]
    return names != have


def initialise_scene(scene) -> None:
    """Give a scene its view slots and the preferences' default generator (once)."""
    s = scene.figurine
    if not s.provider_initialised:
        from .prefs import get_preferences

        prefs = get_preferences()
        name = prefs.default_provider if prefs is not None and prefs.default_provider else s.provider
        desc = provider_description(name)
        if desc is not None and desc["remote"] and not getattr(bpy.app, "online_access", True):
            # Blender forbids the network: start with the generator that can run (the user can
            # still pick a service, and the panel then says how to allow online access).
            name = "local"
        s.provider = name  # the update resets the options
        reset_options(s, prefs.default_model if prefs is not None else "")
        s.provider_initialised = True
    elif options_stale(s):
        reset_options(s)


def initialise_all() -> None:
    for scene in bpy.data.scenes:
        initialise_scene(scene)


@persistent
def _on_load_post(*_args):
    initialise_all()


def _deferred_initialise():
    # bpy.data is restricted while an add-on registers; do it on the first timer tick.
    try:
        initialise_all()
    except AttributeError:  # data still restricted: try again shortly
        return 0.5
    return None


classes = (FIGURINE_PG_option, FIGURINE_PG_version, FIGURINE_PG_view, FIGURINE_PG_settings)


def register_properties() -> None:
    bpy.types.Scene.figurine = PointerProperty(type=FIGURINE_PG_settings)  # type: ignore[attr-defined]
    bpy.app.handlers.load_post.append(_on_load_post)
    if bpy.app.background:
        # No timers run in background mode, and bpy.data is usable right away there.
        try:
            initialise_all()
        except AttributeError:
            pass
    else:
        bpy.app.timers.register(_deferred_initialise, first_interval=0.1)


def unregister_properties() -> None:
    if _on_load_post in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_on_load_post)
    if bpy.app.timers.is_registered(_deferred_initialise):
        bpy.app.timers.unregister(_deferred_initialise)
    del bpy.types.Scene.figurine  # type: ignore[attr-defined]
