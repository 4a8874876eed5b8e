# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: stored in Blender's user preferences, never in a .blend file.

API keys live here (PASSWORD fields, so they are drawn as dots) or in the environment
variable each provider names; a key set here wins. They are read on the main thread when a
task starts and handed to the worker inside a ``ProviderConfig`` (which never prints them).
"""

from __future__ import annotations

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

GEMINI_KEY_ENVS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # the SDK's order: GOOGLE_API_KEY wins


def addon_package() -> str:
    # The extension's package name differs by install (bl_ext.<repo>.figurine_forge).
    return __package__.rsplit(".", 1)[0]


def key_prop(provider_name: str) -> str:
    """The preferences field that holds a provider's key ("hunyuan-server" → key_hunyuan_server)."""
    return "key_" + provider_name.replace("-", "_")


def url_prop(provider_name: str) -> str:
    return "url_" + provider_name.replace("-", "_")


def _descriptions() -> list[dict]:
    from .props import provider_descriptions

    return provider_descriptions()


def _provider_items():
    return [(d["name"], d["label"], "") for d in _descriptions()]


class FIGURINE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = addon_package()

    output_dir: StringProperty(name="Output Folder", subtype="DIR_PATH",
                               description="Default parent folder for new job folders")
    presets_dir: StringProperty(name="Presets Folder", subtype="DIR_PATH",
                                description="Extra AI edit presets (JSON files) beside the built-in ones")
    default_provider: EnumProperty(name="Default Generator", items=_provider_items(),
                                   description="The generator a new scene starts with")
    default_model: StringProperty(name="Default Model",
                                  description="The generator's model a new scene starts with (e.g. 3.1); "
                                              "empty uses the generator's own default")
    # Off by default: Blender's own File > Export, Convert to Mesh and Boolean modifiers read the
    # viewport's evaluated mesh, so while the lighter copy is shown they would get it, not the
    # figure (Figurine Forge's own checks and exports always read the full mesh).
    light_viewport: BoolProperty(
        name="Lighter Viewport for Dense Figures", default=False,
        description="Show figures over 60,000 triangles with a ~40,000-triangle copy in the viewport so "
                    "Blender stays quick; Figurine Forge checks and exports the full mesh, but Blender's own "
                    "File > Export and Convert to Mesh get the copy while it is shown")
    gemini_key: StringProperty(name="Gemini API Key", subtype="PASSWORD",
                               description="For AI image edits; empty uses GOOGLE_API_KEY or GEMINI_API_KEY from the environment")

    # One key field per provider that needs one, and a server address for self-hosted ones:
    # built from the registry so a new provider gets its field without touching this file.
    __annotations__ = dict(__annotations__)
    for _d in _descriptions():
        if _d["needs_key"]:
            __annotations__[key_prop(_d["name"])] = StringProperty(
                name=f"{_d['label']} Key", subtype="PASSWORD",
                description=f"API key for {_d['label']}; empty uses {_d['key_env']} from the environment")
        elif _d["remote"]:
            __annotations__[url_prop(_d["name"])] = StringProperty(
                name=f"{_d['label']} Address",
                description=f"Base URL of your {_d['label']}; empty uses {_d['base_url_env'] or 'the default'}")
    del _d

    def draw(self, context):
        layout = self.layout
        col = layout.column()
        col.prop(self, "output_dir")
        col.prop(self, "presets_dir")
        row = col.row(align=True)
        row.prop(self, "default_provider")
        row.prop(self, "default_model", text="Model")
        col.prop(self, "light_viewport")
        box = layout.box()
        box.label(text="API keys (kept in Blender's preferences, never in .blend files)", icon="LOCKED")
        for d in _descriptions():
            if d["needs_key"]:
                row = box.row()
                row.prop(self, key_prop(d["name"]))
                row.label(text="set in environment" if os.environ.get(d["key_env"] or "") else "",
                          icon="CHECKMARK" if os.environ.get(d["key_env"] or "") else "NONE")
            elif d["remote"]:
                box.prop(self, url_prop(d["name"]))
        row = box.row()
        row.prop(self, "gemini_key")
        has_env = any(os.environ.get(v) for v in GEMINI_KEY_ENVS)
        row.label(text="set in environment" if has_env else "", icon="CHECKMARK" if has_env else "NONE")
        if not bpy.app.online_access:
            layout.label(text="Online access is off: enable it in System → Network to use online services",
                         icon="ERROR")


def get_preferences(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(addon_package())
    return addon.preferences if addon else None


def api_key(provider_name: str, context=None) -> str | None:
    """The key from the preferences, or None (the provider then reads its environment variable)."""
    prefs = get_preferences(context)
    value = getattr(prefs, key_prop(provider_name), "") if prefs is not None else ""
    return value.strip() or None


def base_url(provider_name: str, context=None) -> str | None:
    prefs = get_preferences(context)
    value = getattr(prefs, url_prop(provider_name), "") if prefs is not None else ""
    return value.strip() or None


def gemini_key(context=None) -> str | None:
    prefs = get_preferences(context)
    value = (prefs.gemini_key if prefs is not None else "").strip()
    return value or next((os.environ[v] for v in GEMINI_KEY_ENVS if os.environ.get(v)), None)


def has_key(desc: dict, context=None) -> bool:
    if not desc["needs_key"]:
        return True
    return bool(api_key(desc["name"], context) or os.environ.get(desc["key_env"] or ""))


def output_root(context=None) -> str:
    prefs = get_preferences(context)
    return bpy.path.abspath(prefs.output_dir) if prefs is not None and prefs.output_dir else ""


classes = (FIGURINE_AP_preferences,)
