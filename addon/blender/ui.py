# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Figurine" tab in the 3D viewport's sidebar: one sub-panel per workflow step.

Drawing only reads: nothing here changes Blender data or touches the network (draw runs many
times a second). Where a step cannot run yet, the panel says what to do next instead of
showing a disabled button. Buttons appear only for operators that are registered, so a
feature another part of the add-on has not delivered yet is named in a note, never faked.
"""

from __future__ import annotations

import os

import bpy

from ..core.images import VIEW_SLOTS
from . import prefs, props, tasks

CATEGORY = "Figurine"


def _chars_per_line() -> int:
    # Labels do not wrap by themselves: estimate what fits the sidebar's current width.
    region = getattr(bpy.context, "region", None)
    width = region.width if region is not None and region.width > 1 else 300
    scale = bpy.context.preferences.system.ui_scale or 1.0
    return max(20, int((width - 50 * scale) / (6.5 * scale)))


def note(layout, text: str, icon: str = "INFO") -> None:
    """A "what to do next" line; long text wraps over several labels."""
    col = layout.column(align=True)
    words, line, first = text.split(), "", True
    limit = _chars_per_line()
    for word in words:
        if len(line) + len(word) >= limit and line:
            col.label(text=line, icon=icon if first else "BLANK1")
            line, first = "", False
        line = f"{line} {word}".strip()
    if line:
        col.label(text=line, icon=icon if first else "BLANK1")


# -- thumbnails -----------------------------------------------------------------------------
_previews = None


def thumbnail_icon(path: str) -> int:
    """An icon id showing the image file (cached per file and modification time)."""
    if _previews is None or not path or not os.path.isfile(path):
        return 0
    key = f"{path}:{os.path.getmtime(path)}"
    if key not in _previews:
        _previews.load(key, path, "IMAGE")
    return _previews[key].icon_id


# -- shared pieces --------------------------------------------------------------------------
def draw_task(layout) -> None:
    """The running task's progress bar and Cancel, or how the last one ended."""
    run = tasks.current()
    if run is not None and run.active:
        box = layout.box()
        row = box.row(align=True)
        row.progress(factor=run.fraction or 0.0, type="BAR", text=f"{run.task.label}: {run.text}")
        row.operator("figurine.cancel_task", text="", icon="CANCEL")
        return
    done = tasks.last()
    if done is not None and done.result_text:
        icon = {"finished": "CHECKMARK", "cancelled": "CANCEL"}.get(done.state, "ERROR")
        if done.state == "finished" and done.level == "WARNING":
            icon = "ERROR"
        note(layout, done.result_text, icon)


def draw_online_hint(layout) -> bool:
    """False (after saying why and how to fix it) when Blender forbids network access."""
    if getattr(bpy.app, "online_access", True):
        return True
    box = layout.box()
    note(box, "Online access is off, so Blender blocks the online services.", "ERROR")
    note(box, "Enable it in Edit → Preferences → System → Network → Allow Online Access.", "BLANK1")
    if getattr(bpy.app, "online_access_override", False):
        note(box, "Blender was started with --offline-mode: restart it without that option.", "BLANK1")
    else:
        box.operator("screen.userpref_show", text="Open Preferences", icon="PREFERENCES").section = "SYSTEM"
    return False


def ai_blocker(context) -> str:
    """Why Gemini cannot be asked right now ("" when it can), in a few words."""
    if not getattr(bpy.app, "online_access", True):
        return "Online access is off: see AI edits below."
    if not prefs.gemini_key(context):
        return "No Gemini API key yet: see AI edits below."
    return ""


def active_mesh(context):
    obj = context.active_object
    return obj if obj is not None and obj.type == "MESH" else None


# -- panels ---------------------------------------------------------------------------------
class FIGURINE_PT_main(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "Figurine Forge"
    bl_idname = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        layout.prop(s, "job_dir")
        if not s.job_dir:
            note(layout, "Choose a job folder: every step of this figurine is kept there.")
        draw_task(layout)


class FIGURINE_UL_versions(bpy.types.UIList):
    """A view's history: every image it has had, newest last."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.label(text=item.name, icon_value=thumbnail_icon(bpy.path.abspath(item.filepath)) or 0,
                  icon="NONE" if thumbnail_icon(bpy.path.abspath(item.filepath)) else "FILE_IMAGE")


class FIGURINE_PT_character(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "1 · Character"
    bl_idname = "FIGURINE_PT_character"
    bl_parent_id = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        for slot in VIEW_SLOTS:
            self.draw_view(context, layout, s, slot)
        self.draw_missing(context, layout, s)
        self.draw_ai_settings(context, layout, s)

    def draw_view(self, context, layout, s, slot):
        box = layout.box()
        path = s.image_path(slot)
        view = s.view(slot)
        row = box.row()
        icon = thumbnail_icon(path)
        split = row.split(factor=0.34)
        thumb = split.column()
        if icon:
            thumb.template_icon(icon_value=icon, scale=3.6)
        else:
            thumb.label(text="", icon="IMAGE_DATA" if path else "IMAGE")
        info = split.column(align=True)
        head = info.row(align=True)
        head.label(text=slot.title() + ("" if slot != "front" else " (required)"))
        head.prop(view, "expanded", text="", icon="TRIA_DOWN" if view.expanded else "TRIA_LEFT", emboss=False)
        if path:
            info.label(text=os.path.basename(path), icon="FILE_IMAGE" if os.path.isfile(path) else "ERROR")
        else:
            info.label(text={"left": "faces the viewer's right", "right": "faces the viewer's left"}.get(slot, "empty"))
        buttons = info.row(align=True)
        buttons.operator("figurine.load_view", text="File", icon="FILEBROWSER").slot = slot
        buttons.operator("figurine.view_from_image", text="Image", icon="IMAGE_DATA").slot = slot
        if path:
            buttons.operator("figurine.clear_view", text="", icon="X").slot = slot
        if view.expanded:
            self.draw_tools(context, box, s, slot, path, view)

    def draw_tools(self, context, box, s, slot, path, view):
        col = box.column(align=True)
        if not path:
            note(col, f"Load a {slot} image to edit it.")
            if slot == "front" and s.job_dir:
                self.draw_create(context, col, view)
        elif not s.job_dir:
            note(col, "Set the job folder above: edits are saved there as new versions.")
        else:
            row = col.row(align=True)
            row.operator("figurine.prepare_view", text="Prepare", icon="IMAGE_BACKGROUND").slot = slot
            op = row.operator("figurine.mirror_view", text="Mirror", icon="MOD_MIRROR")
            op.slot, op.source = slot, "SELF"
            self.draw_ai_edit(context, col.column(align=True), slot, view)
        if len(view.versions):
            col = box.column()
            col.label(text="History (click to use again)")
            col.template_list("FIGURINE_UL_versions", f"versions_{slot}", view, "versions", view, "active_version",
                              rows=2, maxrows=5)

    def draw_ai_edit(self, context, layout, slot, view):
        """Preset (or "Your Prompt") and the prompt field; the button once Gemini can be asked."""
        row = layout.row(align=True)
        row.prop(view, "ai_preset", text="")
        blocker = ai_blocker(context)
        if not blocker:
            op = row.operator("figurine.ai_edit_view", text="AI Edit", icon="SHADERFX")
            op.slot, op.preset = slot, view.ai_preset
        custom = view.ai_preset == "CUSTOM"
        row = layout.row(align=True)
        row.prop(view, "prompt", text="", icon="TEXT")
        if custom and view.prompt.strip():
            row.operator("figurine.save_ai_preset", text="", icon="ADD").slot = slot
        if blocker:
            note(layout, blocker, "LOCKED")
        elif custom and not view.prompt.strip():
            note(layout, "Write what to change above, or choose a preset.", "BLANK1")
        elif not custom and slot == "front" and view.ai_preset in ("rear-view", "left-view", "right-view"):
            note(layout, "Makes that view from this front view (it replaces that view's image).", "BLANK1")

    def draw_create(self, context, layout, view):
        """No front view yet: describe a character and let Gemini paint it."""
        blocker = ai_blocker(context)
        if blocker:
            return
        layout.label(text="Or describe a character for Gemini to paint:")
        layout.prop(view, "prompt", text="", icon="TEXT")
        if view.prompt.strip():
            op = layout.operator("figurine.ai_edit_view", text="Create with AI", icon="SHADERFX")
            op.slot, op.preset = "front", "create-character"

    def draw_ai_settings(self, context, layout, s):
        box = layout.box()
        box.label(text="AI edits (Gemini)", icon="SHADERFX")
        col = box.column(align=True)
        col.prop(s, "ai_model", text="")
        row = col.row(align=True)
        row.prop(s, "ai_aspect_ratio", text="")
        row.prop(s, "ai_image_size", text="")
        if not draw_online_hint(box):
            return
        if not prefs.gemini_key(context):
            note(box, "Next: enter your Gemini API key in Preferences → Add-ons → Figurine Forge "
                      "(or set GEMINI_API_KEY).", "LOCKED")
            box.operator("preferences.addon_show", text="Open Add-on Preferences",
                         icon="PREFERENCES").module = prefs.addon_package()
        else:
            note(box, "The views and prompts are sent to Google. Every result is a new version.", "INFO")

    def draw_missing(self, context, layout, s):
        have = [slot for slot in VIEW_SLOTS if s.image_path(slot)]
        missing = [slot for slot in VIEW_SLOTS if slot not in have]
        if "front" not in have:
            note(layout, "Next: load the front view (a file, or an image already open in Blender).")
            return
        if not missing:
            note(layout, "All four views are set. Next: Generate.", "CHECKMARK")
            return
        box = layout.box()
        box.label(text=f"Missing: {', '.join(missing)}", icon="QUESTION")
        blocker = ai_blocker(context)
        if not s.job_dir:
            note(box, "Set the job folder to generate the missing views with AI.")
        elif blocker:
            note(box, f"AI view generation. {blocker}", "LOCKED")
        else:
            box.operator("figurine.generate_missing_views", icon="SHADERFX")
        if any(slot in missing and other in have for slot, other in (("left", "right"), ("right", "left"))):
            if s.job_dir:
                box.operator("figurine.fill_missing_sides", icon="MOD_MIRROR")
            else:
                note(box, "Set the job folder to make the missing side by mirroring.")
        note(box, "Or generate now: the front view alone is enough for most generators.", "BLANK1")


class FIGURINE_PT_generate(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "2 · Generate"
    bl_idname = "FIGURINE_PT_generate"
    bl_parent_id = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        layout.prop(s, "provider", text="")
        desc = props.provider_description(s.provider)
        if desc is None:
            return
        if props.options_stale(s):
            layout.operator("figurine.reset_options", text="Show Options", icon="PREFERENCES")
        else:
            col = layout.column(align=True)
            for opt in s.provider_options:
                col.prop(opt, opt.value_prop, text=opt.name.replace("_", " ").title())
        self.draw_cost(layout, s, desc)
        ready = self.draw_requirements(context, layout, s, desc)
        busy = tasks.busy()
        if ready and desc.get("has_balance") and not busy:
            row = layout.row(align=True)
            row.label(text=s.account_balance or "Credits: not asked yet", icon="FUND")
            row.operator("figurine.check_balance", text="", icon="FILE_REFRESH")
        if busy:
            draw_task(layout)
        elif ready:
            row = layout.row(align=True)
            row.scale_y = 1.4
            row.operator("figurine.generate", icon="PLAY")
            if s.provider == "local":
                layout.operator("figurine.run_job", text="Make Whole Figurine (offline)", icon="MOD_BUILD")
            else:
                layout.operator("figurine.make", icon="MOD_BUILD")  # the whole loop (core.make)
        self.draw_resume(context, layout, s, busy)
        if s.last_generated and not busy:
            layout.label(text=f"Last model: {os.path.basename(s.last_generated)}", icon="MESH_DATA")

    def draw_cost(self, layout, s, desc):
        try:
            from ..core.providers import ProviderConfig, get_provider

            views = {slot: None for slot in VIEW_SLOTS if s.image_path(slot)}
            hint = get_provider(s.provider, ProviderConfig()).cost_hint(views, s.options_dict())
        except Exception:  # an option the provider refuses: the Generate report will say which
            hint = desc.get("cost_hint", "")
        note(layout, f"Cost: {hint}", "FUND")
        if desc.get("typical_minutes"):
            layout.label(text=f"Usually {desc['typical_minutes']} min", icon="TIME")

    def draw_requirements(self, context, layout, s, desc) -> bool:
        missing = [v for v in desc["views_required"] if not s.image_path(v)]
        if missing:
            note(layout, f"Next: load the {', '.join(missing)} view in Character ({desc['label']} needs it).")
            return False
        if not s.job_dir:
            note(layout, "Next: choose a job folder at the top of the panel.")
            return False
        if desc["remote"]:
            if not draw_online_hint(layout):
                note(layout, "Or make the model here, offline and free:", "HOME")
                layout.operator("figurine.use_local_generator", icon="HOME")
                return False
            if not prefs.has_key(desc, context):
                note(layout, f"Next: enter your {desc['label']} API key in Preferences → Add-ons → "
                             f"Figurine Forge (or set {desc['key_env']}).", "LOCKED")
                layout.operator("preferences.addon_show", text="Open Add-on Preferences",
                                icon="PREFERENCES").module = prefs.addon_package()
                return False
        return True

    def draw_resume(self, context, layout, s, busy):
        from .operators.generate_ops import pending_task

        task = pending_task(s.job_dir)
        if task is None:
            return
        box = layout.box()
        note(box, f"A {task.get('provider')} job (task {task.get('task_id')}) is unfinished: "
                  f"{task.get('last_error') or task.get('remote_status') or task.get('state')}.", "RECOVER_LAST")
        if not busy:
            box.operator("figurine.resume_generate", text="Resume (no new charge)", icon="FILE_REFRESH")


class FIGURINE_PT_review(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "3 · Review"
    bl_idname = "FIGURINE_PT_review"
    bl_parent_id = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: generate a model, or select one (or import a mesh).")
            layout.operator("figurine.import_mesh", icon="IMPORT")
            return
        layout.label(text=obj.name, icon="OBJECT_DATA")
        row = layout.row(align=True)
        is_clay = bool(obj.data.materials) and obj.data.materials[0] is not None \
            and obj.data.materials[0].name.startswith("Figurine Clay")
        row.operator("figurine.clay", text="Clay", icon="SHADING_SOLID", depress=is_clay).enable = True
        row.operator("figurine.clay", text="Colours", icon="SHADING_TEXTURE", depress=not is_clay).enable = False
        row = layout.row(align=True)
        row.operator("figurine.review", text="Render Review", icon="RENDER_STILL")
        row.operator("figurine.open_review_report", text="", icon="URL")


class FIGURINE_PT_print(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "4 · Print"
    bl_idname = "FIGURINE_PT_print"
    bl_parent_id = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        col = layout.column(align=True)
        col.prop(s, "height_mm")
        col.prop(s, "preset")
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: select the figure (a mesh) to scale, check and repair it.")
            return
        layout.operator("figurine.scale_to_height", icon="FULLSCREEN_ENTER")
        layout.operator("figurine.check_print", icon="VIEWZOOM")
        self.draw_findings(layout, obj)
        ps = getattr(context.scene, "figurine_print", None)
        if ps is not None:
            col = layout.column(align=True)
            col.label(text="Base")
            row = col.row(align=True)
            row.prop(ps, "base_type", text="")
            row.prop(ps, "base_size_mm")
            col.prop(ps, "base_thickness_mm")
            col.prop(ps, "hollow_wall_mm")
        row = layout.row(align=True)
        for idname, text, icon in (("figurine.make_printable", "Make Printable", "MODIFIER"),
                                   ("figurine.add_base", "Add Base", "MESH_CYLINDER"),
                                   ("figurine.hollow", "Hollow", "MOD_SOLIDIFY")):
            row.operator(idname, text=text, icon=icon)
        row = layout.row(align=True)
        row.operator("figurine.orient", icon="ORIENTATION_GLOBAL")
        row.operator("figurine.decimate", icon="MOD_DECIM")
        if ps is not None and ps.last_report:
            note(layout, ps.last_report, "INFO")

    def draw_findings(self, layout, obj):
        """The last check's findings for this object: click one to select its geometry."""
        try:
            from . import findings
        except ImportError:
            return
        result = findings.get(obj.name)
        if result is None:
            note(layout, "Press Check Print to list what would fail.", "BLANK1")
            return
        box = layout.box()
        box.label(text="Passes the check" if result.report.get("passed") else "Findings (click to select)",
                  icon="CHECKMARK" if result.report.get("passed") else "ERROR")
        col = box.column(align=True)
        for key, label in findings.FINDINGS:
            elements = result.faces.get(key) if key in result.faces else result.edges.get(key)
            count = 0 if elements is None else len(elements)
            if count:
                op = col.operator("figurine.select_finding", text=f"{label}: {count}", icon="RESTRICT_SELECT_OFF")
                op.finding, op.object_name = key, obj.name


class FIGURINE_PT_export(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
    bl_label = "5 · Export"
    bl_idname = "FIGURINE_PT_export"
    bl_parent_id = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        col = layout.column(align=True)
        col.row(align=True).prop(s, "export_format", expand=True)
        col.prop(s, "export_max_triangles")
        col.prop(s, "export_dir")
        col.prop(s, "export_name")
        target = s.export_target()
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: select the figure (a mesh) to export it.")
        elif not target:
            note(layout, "Next: choose a folder (or a job folder) and a file name.")
        else:
            layout.label(text=f"→ {os.path.basename(target)}" + (" (replaces it)" if os.path.exists(target) else ""),
                         icon="FILE")
            op = layout.operator("figurine.export_mesh", icon="EXPORT")
            op.filepath, op.overwrite = target, True
            op.format, op.max_triangles = s.export_format, s.export_max_triangles
        if s.last_export:
            layout.label(text=f"Last file: {s.last_export}", icon="CHECKMARK")


classes = (FIGURINE_UL_versions, FIGURINE_PT_main, FIGURINE_PT_character, FIGURINE_PT_generate,
           FIGURINE_PT_review, FIGURINE_PT_print, FIGURINE_PT_export)


def register() -> None:
    global _previews
    import bpy.utils.previews

    _previews = bpy.utils.previews.new()


def unregister() -> None:
    global _previews
    if _previews is not None:
        bpy.utils.previews.remove(_previews)
        _previews = None
