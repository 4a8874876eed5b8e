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

from ..core.images import DIAGONAL_VIEW_SLOTS, VIEW_SLOTS
from ..core.images.validate import EXPECTED_FACING
from . import prefs, props, tasks

CATEGORY = "Figurine"
PRINT_CATEGORY = "Figurine Print"  # the print tools: a tab of their own, like the 3D Print Toolbox


def ui_scale() -> float:
    return float(bpy.context.preferences.system.ui_scale or 1.0)


def text_width(text: str) -> float:
    """Pixels the UI font needs for ``text`` (the widget font at the current UI scale)."""
    import blf

    style = bpy.context.preferences.ui_styles[0].widget
    blf.size(0, style.points * ui_scale())
    return float(blf.dimensions(0, text)[0])


def line_width(indent: int = 1) -> float:
    """Pixels a label's text has in the sidebar at its current width: the region less the
    category tabs and the panel's margins (56 px), its icon (30 px) and ``indent`` levels of
    boxes or sub-panels."""
    region = getattr(bpy.context, "region", None)
    width = region.width if region is not None and region.width > 1 else 300
    return width - (80 + 12 * indent) * ui_scale()


def elide(text: str, width: float | None = None) -> str:
    """``text`` shortened in the middle ("start…end") until it fits ``width`` pixels."""
    width = line_width() if width is None else width
    if text_width(text) <= width:
        return text
    lo, hi = 1, len(text)
    while lo < hi:  # the longest middle cut that fits, by bisection on the kept length
        mid = (lo + hi + 1) // 2
        head = (mid + 1) // 2
        cand = text[:head] + "…" + text[len(text) - (mid - head):]
        lo, hi = (mid, hi) if text_width(cand) <= width else (lo, mid - 1)
    head = (lo + 1) // 2
    return text[:head] + "…" + text[len(text) - (lo - head):]


def note(layout, text: str, icon: str = "INFO", indent: int = 2) -> None:
    """A "what to do next" line; long text wraps over several labels (measured, not guessed)."""
    col = layout.column(align=True)
    width = line_width(indent)
    line, first = "", True
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and text_width(candidate) > width:
            col.label(text=line, icon=icon if first else "BLANK1")
            line, first = "", False
            candidate = word
        line = candidate if text_width(candidate) <= width else elide(candidate, width)
    if line:
        col.label(text=line, icon=icon if first else "BLANK1")


# Short enough for the label half of a dropdown row at the sidebar's default width ("Generate
# type" was cut to "Generat…").
OPTION_LABELS = {"enable_pbr": "PBR Textures", "should_texture": "Texture", "face_count": "Faces",
                 "guidance_scale": "Guidance", "generate_type": "Type", "geometry_file_format": "Format",
                 "num_inference_steps": "Steps", "octree_resolution": "Octree", "target_polycount": "Polygons",
                 "face_limit": "Faces"}


def option_label(name: str) -> str:
    """A provider option's name as a short label ("enable_pbr" -> "PBR Textures")."""
    return OPTION_LABELS.get(name) or name.replace("_", " ").capitalize()


def scene_unit_text(scene) -> str:
    us = scene.unit_settings
    if us.system == "NONE":
        return "Scene units: none (1 unit)"
    unit = us.length_unit.lower().replace("adaptive", "adaptive")
    scale = us.scale_length
    if us.system == "METRIC" and us.length_unit == "MILLIMETERS" and abs(scale - 0.001) < 1e-9:
        return "Scene units: mm (1 unit = 1 mm)"
    return f"Scene units: {unit}" + (f" × {scale:g}" if abs(scale - 1.0) > 1e-9 else "")


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
        box.label(text=elide(run.task.label, line_width(2)), icon="SORTTIME")
        row = box.row(align=True)
        row.progress(factor=run.fraction or 0.0, type="BAR", text=f"{round(100 * (run.fraction or 0.0))} %")
        row.operator("figurine.cancel_task", text="", icon="CANCEL")
        if run.text:
            note(box, run.text, "BLANK1", indent=2)
        return
    done = tasks.last()
    if done is not None and done.result_text:
        icon = {"finished": "CHECKMARK", "cancelled": "CANCEL"}.get(done.state, "ERROR")
        if done.state == "finished" and done.level == "WARNING":
            icon = "ERROR"
        note(layout, done.result_text, icon)


def refused_for_views() -> bool:
    """The last task was a Generate refused before paying because of the views' check."""
    from ..core.errors import ViewCheckError

    done = tasks.last()
    return done is not None and done.state == "failed" and isinstance(done.error, ViewCheckError)


def draw_online_hint(layout) -> bool:
    """False (after saying why and how to fix it) when Blender forbids network access."""
    if getattr(bpy.app, "online_access", True):
        return True
    box = layout.box()
    # This box often sits in another box: wrap for two levels of borders.
    note(box, "Online access is off, so Blender blocks the online services.", "ERROR", indent=4)
    note(box, "Enable it in Edit → Preferences → System → Network → Allow Online Access.", "BLANK1", indent=4)
    if getattr(bpy.app, "online_access_override", False):
        note(box, "Blender was started with --offline-mode: restart it without that option.", "BLANK1", indent=4)
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
# What the panels of each sidebar tab share. Base classes only: they are never registered.
class _FigurineTab(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY


class _WorkflowStep(_FigurineTab):
    """One numbered step under the Figurine tab's main panel."""

    bl_parent_id = "FIGURINE_PT_main"


class _PrintTab(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = PRINT_CATEGORY


class _PrintTool(_PrintTab):
    """A section of the Figurine Print tab, about the active mesh."""

    bl_parent_id = "FIGURINE_PT_print_tab"

    @classmethod
    def poll(cls, context):
        return active_mesh(context) is not None


class FIGURINE_PT_main(_FigurineTab):
    bl_label = "Figurine Forge"
    bl_idname = "FIGURINE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        col = layout.column(align=True)
        col.label(text="Job Folder", icon="FILE_FOLDER")
        col.prop(s, "job_dir", text="")
        if not s.job_dir:
            note(layout, "Choose a job folder: every step of this figurine is kept there.")
        draw_task(layout)


class FIGURINE_UL_versions(bpy.types.UIList):
    """A view's history: every image it has had, newest last."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.label(text=item.name, icon_value=thumbnail_icon(bpy.path.abspath(item.filepath)) or 0,
                  icon="NONE" if thumbnail_icon(bpy.path.abspath(item.filepath)) else "FILE_IMAGE")


class FIGURINE_PT_character(_WorkflowStep):
    bl_label = "1 · Character"
    bl_idname = "FIGURINE_PT_character"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        for slot in VIEW_SLOTS:
            self.draw_view(context, layout, s, slot)
        self.draw_diagonals(context, layout, s)
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
        head.label(text=props.slot_label(slot) + ("" if slot != "front" else " (required)"))
        head.prop(view, "expanded", text="", icon="TRIA_DOWN" if view.expanded else "TRIA_LEFT", emboss=False)
        if path:
            info.label(text=elide(os.path.basename(path), 0.6 * line_width(2)),
                       icon="FILE_IMAGE" if os.path.isfile(path) else "ERROR")
        else:
            facing = EXPECTED_FACING.get(slot)  # side views and diagonals: which way the character looks
            info.label(text={1: "faces the viewer's right", -1: "faces the viewer's left"}.get(facing, "empty"))
        buttons = info.row(align=True)
        buttons.operator("figurine.load_view", text="File", icon="FILEBROWSER").slot = slot
        buttons.operator("figurine.view_from_image", text="", icon="IMAGE_DATA").slot = slot
        if path:
            buttons.operator("figurine.clear_view", text="", icon="X").slot = slot
        if not path and slot in props.DIAGONAL_CAMERAS:
            # Where its camera stands, while the user decides what to load or draw (one line at
            # the sidebar's default width; the facing is the label above).
            note(box, props.DIAGONAL_CAMERAS[slot], "BLANK1")
        if view.expanded:
            self.draw_tools(context, box, s, slot, path, view)

    def draw_tools(self, context, box, s, slot, path, view):
        col = box.column(align=True)
        if not path:
            note(col, f"Load a {props.slot_label(slot).lower()} image to edit it.")
            if slot == "front" and s.job_dir:
                self.draw_create(context, col, view)
            elif slot in props.DIAGONAL_HINTS:
                self.draw_make_diagonal(context, col, s, slot)
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
        layout.prop(view, "ai_preset", text="")  # a line of its own: preset names are long
        blocker = ai_blocker(context)
        custom = view.ai_preset == "CUSTOM"
        row = layout.row(align=True)
        row.prop(view, "prompt", text="", icon="TEXT")
        if custom and view.prompt.strip():
            row.operator("figurine.save_ai_preset", text="", icon="ADD").slot = slot
        if not blocker:
            op = layout.operator("figurine.ai_edit_view", text="AI Edit", icon="SHADERFX")
            op.slot, op.preset = slot, view.ai_preset
        if blocker:
            note(layout, blocker, "LOCKED")
        elif custom and not view.prompt.strip():
            note(layout, "Write what to change above, or choose a preset.", "BLANK1")
        elif not custom and slot == "front" and view.ai_preset in ("rear-view", "left-view", "right-view"):
            note(layout, "Makes that view from this front view (it replaces that view's image).", "BLANK1")
        elif not custom and slot in props.DIAGONAL_HINTS:
            from .operators.ai_ops import DIAGONAL_PRESETS

            makes = next((d for d, name in DIAGONAL_PRESETS.items() if name == view.ai_preset), None)
            if makes is not None:
                which = "this view" if makes == slot else f"the {props.slot_label(makes).lower()} view"
                note(layout, f"Makes {which} from the front view (a new version).", "BLANK1")

    def draw_make_diagonal(self, context, layout, s, slot):
        """An empty diagonal: draw it from the front with its preset, or mirror its twin."""
        from .operators.ai_ops import DIAGONAL_PRESETS
        from .operators.view_ops import OPPOSITE

        if not s.job_dir or not s.image_path("front"):
            return
        twin = OPPOSITE[slot]
        if s.image_path(twin):
            op = layout.operator("figurine.mirror_view", text=f"Mirror {props.slot_label(twin)}", icon="MOD_MIRROR")
            op.slot, op.source = slot, "OPPOSITE"
        if not ai_blocker(context):
            op = layout.operator("figurine.ai_edit_view", text="AI: Make from Front", icon="SHADERFX")
            op.slot, op.preset = slot, DIAGONAL_PRESETS[slot]

    def draw_diagonals(self, context, layout, s):
        """The four optional 45-degree views in a section of their own, closed until opened:
        the same per-view tools as the main four, and one button to draw the missing ones."""
        # Open or closed is the scene's setting (saved with the .blend, settable by scripts).
        header, body = layout.panel_prop(s, "show_diagonal_views")
        have = [slot for slot in DIAGONAL_VIEW_SLOTS if s.image_path(slot)]
        # One label (two in a row share its width evenly: the title was cut). With views set,
        # the count shows, the section closed too: they take part in the reconstruction.
        header.label(text=f"Diagonal Views: {len(have)} of 4 set" if have else "Diagonal Views (optional)",
                     icon="VIEW_PERSPECTIVE")
        if body is None:
            return
        note(body, "45° views for the local reconstruction; online generators leave them out.", "INFO")
        for slot in DIAGONAL_VIEW_SLOTS:
            self.draw_view(context, body, s, slot)
        missing = [slot for slot in DIAGONAL_VIEW_SLOTS if slot not in have]
        if not missing:
            return
        col = body.column(align=True)
        blocker = ai_blocker(context)
        if not s.image_path("front"):
            note(col, "Load the front view first: the diagonals are drawn from it.", "BLANK1", indent=3)
        elif not s.job_dir:
            note(col, "Set the job folder to make the diagonal views with AI.", "BLANK1", indent=3)
        elif blocker:
            note(col, f"AI view generation. {blocker}", "LOCKED", indent=3)
        else:
            col.operator("figurine.generate_diagonal_views", text="AI: Make Diagonal Views", icon="SHADERFX")
            note(col, f"Draws the {len(missing)} missing from the front: one paid image each.", "FUND", indent=3)
        from .operators.view_ops import OPPOSITE

        if s.job_dir and any(OPPOSITE[slot] in have for slot in missing):
            col.operator("figurine.fill_missing_sides", text="Mirror Missing Diagonals",
                         icon="MOD_MIRROR").which = "DIAGONALS"

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
        note(box, f"Missing: {', '.join(missing)}", "QUESTION", indent=2)
        blocker = ai_blocker(context)
        if not s.job_dir:
            note(box, "Set the job folder to generate the missing views with AI.")
        elif blocker:
            note(box, f"AI view generation. {blocker}", "LOCKED")
        else:
            box.operator("figurine.generate_missing_views", text="AI: Make Missing Views", icon="SHADERFX")
        if any(slot in missing and other in have for slot, other in (("left", "right"), ("right", "left"))):
            if s.job_dir:
                box.operator("figurine.fill_missing_sides", text="Mirror Missing Side", icon="MOD_MIRROR")
            else:
                note(box, "Set the job folder to make the missing side by mirroring.")
        note(box, "Or generate now: the front view alone is enough for most generators.", "BLANK1")


class FIGURINE_PT_generate(_WorkflowStep):
    bl_label = "2 · Generate"
    bl_idname = "FIGURINE_PT_generate"

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
                col.prop(opt, opt.value_prop, text=option_label(opt.name))
        self.draw_cost(layout, s, desc)
        ready = self.draw_requirements(context, layout, s, desc)
        busy = tasks.busy()
        if ready and desc.get("has_balance") and not busy:
            # Wrapped, not elided: the credits left and whether they are enough are the point.
            row = layout.row(align=True)
            note(row.column(), s.account_balance or "Credits: not asked yet", "FUND", indent=5)
            row.operator("figurine.check_balance", text="", icon="FILE_REFRESH")
        if busy:
            draw_task(layout)
        elif ready:
            row = layout.row(align=True)
            row.scale_y = 1.4
            row.operator("figurine.generate", icon="PLAY")
            if desc["remote"] and refused_for_views():
                # The last Generate sent nothing: a side view seemed to face the wrong way (the
                # report says which). Fix the view, or send the views as they are.
                note(layout, "Nothing was sent: see the report above. If the views are right, send them "
                             "as they are:", "ERROR")
                layout.operator("figurine.generate", text="Generate Anyway", icon="ERROR").ignore_view_check = True
            if s.provider == "local":
                layout.operator("figurine.run_job", text="Make Whole Figurine", icon="MOD_BUILD")
                note(layout, "Generate, scale, check and write an STL in one go.", "BLANK1")
            else:
                layout.operator("figurine.make", icon="MOD_BUILD")  # the whole loop (core.make)
        self.draw_resume(context, layout, s, busy)
        if s.last_generated and not busy:
            layout.label(text=elide(f"Last: {os.path.basename(s.last_generated)}"), icon="MESH_DATA")

    def draw_cost(self, layout, s, desc):
        try:
            from ..core.providers import ProviderConfig, get_provider

            usable = set(desc["views_required"]) | set(desc["views_optional"])
            views = {slot: None for slot in s.view_paths() if slot in usable}
            hint = get_provider(s.provider, ProviderConfig()).cost_hint(views, s.options_dict())
        except Exception:  # an option the provider refuses: the Generate report will say which
            hint = desc.get("cost_hint", "")
        note(layout, f"Cost: {hint}", "FUND")
        unused = [props.slot_label(slot).lower() for slot in s.view_paths()
                  if slot not in desc["views_required"] and slot not in desc["views_optional"]]
        if unused:
            note(layout, f"{desc['label']} does not use the {', '.join(unused)} view{'s' if len(unused) > 1 else ''}: "
                         "left out.", "INFO")
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
            box.operator("figurine.resume_generate", text="Resume (no charge)", icon="FILE_REFRESH")


# -- the make's attempts ------------------------------------------------------------------------
VERDICT_ICONS = {"keep": "CHECKMARK", "fix": "MODIFIER", "regenerate": "ERROR", "unverified": "QUESTION"}
RETRY_LABELS = {"new seed": "New seed", "asked again": "Asked again"}
ATTEMPTS_PER_ROW = 2  # side by side: two fit the sidebar's default width with their labels


def job_attempts(context) -> list[dict]:
    """The make's attempts, or the generated models of a job that has several ([] else: one
    generation has nothing to compare)."""
    from .make import panel_rows

    job_dir = context.scene.figurine.job_dir
    rows = panel_rows(bpy.path.abspath(job_dir)) if job_dir else []
    return rows if rows and (rows[0]["source"] == "make" or len(rows) > 1) else []


class FIGURINE_PT_attempts(_FigurineTab):
    """The job's generated models side by side: the review's clay render, verdict and score,
    the view re-edited before it, and Load."""

    bl_label = "Attempts"
    bl_idname = "FIGURINE_PT_attempts"
    bl_parent_id = "FIGURINE_PT_generate"

    @classmethod
    def poll(cls, context):
        return bool(job_attempts(context))

    def draw(self, context):
        rows = job_attempts(context)
        root = bpy.path.abspath(context.scene.figurine.job_dir)
        for first in range(0, len(rows), ATTEMPTS_PER_ROW):
            line = self.layout.row()
            shown = rows[first:first + ATTEMPTS_PER_ROW]
            for row in shown:
                self.draw_attempt(line.column(align=True), row, root)
            for _ in range(ATTEMPTS_PER_ROW - len(shown)):
                line.column()  # keep the columns as wide as in the rows above

    def draw_attempt(self, col, row, root: str) -> None:
        icon = thumbnail_icon(os.path.join(root, row["clay"])) if row.get("clay") else 0
        if icon:
            col.template_icon(icon_value=icon, scale=4.0)
        decision = row.get("decision") or row.get("state") or "?"
        col.label(text=decision.capitalize(), icon=VERDICT_ICONS.get(decision, "TIME"))
        col.label(text=f"Score {row['score']:.2f}" if row.get("score") is not None else "No review")
        if row.get("re_edited"):
            col.label(text=f"{', '.join(row['re_edited']).capitalize()} redrawn")
        else:
            col.label(text=RETRY_LABELS.get(row.get("retry", ""), "First try"))
        op = col.operator("figurine.load_attempt", text=f"Load {row['n']}",
                          icon="SOLO_ON" if row.get("chosen") else "IMPORT")
        op.attempt = row["n"]


class FIGURINE_PT_review(_WorkflowStep):
    bl_label = "3 · Review"
    bl_idname = "FIGURINE_PT_review"

    def draw(self, context):
        layout = self.layout
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: generate a model, or select one (or import a mesh).")
            layout.operator("figurine.import_mesh", icon="IMPORT")
            return
        layout.label(text=elide(obj.name), icon="OBJECT_DATA")
        row = layout.row(align=True)
        is_clay = bool(obj.data.materials) and obj.data.materials[0] is not None \
            and obj.data.materials[0].name.startswith("Figurine Clay")
        row.operator("figurine.clay", text="Clay", icon="SHADING_SOLID", depress=is_clay).enable = True
        row.operator("figurine.clay", text="Colours", icon="SHADING_TEXTURE", depress=not is_clay).enable = False
        row = layout.row(align=True)
        row.operator("figurine.review", text="Render Review", icon="RENDER_STILL")
        row.operator("figurine.open_review_report", text="", icon="URL")


def draw_height(layout, context) -> None:
    """Target height and printer, the scene's unit, and Scale to Height (which sets mm)."""
    s = context.scene.figurine
    col = layout.column(align=True)
    col.prop(s, "height_mm", text="Height (mm)")
    col.prop(s, "preset", text="")
    layout.label(text=scene_unit_text(context.scene), icon="DRIVER_DISTANCE")


def figure_size_mm(context, obj) -> tuple[float, float, float]:
    """The object's size in millimetres in the scene's units."""
    us = context.scene.unit_settings
    per_unit_mm = 1000.0 * (us.scale_length if us.system != "NONE" else 1.0)
    return tuple(float(d) * per_unit_mm for d in obj.dimensions)  # type: ignore[return-value]


class FIGURINE_PT_print(_WorkflowStep):
    """Step 4 in the workflow tab: the height and the check, in short; the full print tools
    (thresholds, per-check Select, overlay, material, repairs) are the Figurine Print tab."""

    bl_label = "4 · Print"
    bl_idname = "FIGURINE_PT_print"

    def draw(self, context):
        layout = self.layout
        draw_height(layout, context)
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: select the figure (a mesh) to scale and check it.")
            return
        row = layout.row(align=True)
        row.operator("figurine.scale_to_height", text="Scale", icon="FULLSCREEN_ENTER")
        row.operator("figurine.check_print", text="Check", icon="VIEWZOOM")
        from . import findings

        result = findings.get(obj.name)
        if result is not None:
            failures = result.report.get("failures", [])
            note(layout, "Passes the check." if not failures else f"Fails: {len(failures)} problem(s).",
                 "CHECKMARK" if not failures else "ERROR")
        note(layout, "Details, Select, colours and repairs: the Figurine Print tab.", "BLANK1")


class FIGURINE_PT_print_tab(_PrintTab):
    """The print tools in a tab of their own, like the 3D Print Toolbox: nothing to scroll past."""

    bl_label = "Print Check"
    bl_idname = "FIGURINE_PT_print_tab"

    def draw(self, context):
        layout = self.layout
        draw_height(layout, context)
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: select the figure (a mesh) to check it.")
            return
        x, y, z = figure_size_mm(context, obj)
        layout.label(text=elide(obj.name), icon="OBJECT_DATA")
        layout.label(text=f"{x:.1f} × {y:.1f} × {z:.1f} mm", icon="CON_SIZELIMIT")
        layout.operator("figurine.scale_to_height", icon="FULLSCREEN_ENTER")
        note(layout, f"Scales to {context.scene.figurine.height_mm:g} mm tall, feet at 0; scene in mm.",
             "BLANK1")
        run = tasks.current()
        if run is not None and run.active:
            draw_task(layout)  # the check's progress shows here, where it was started


class FIGURINE_PT_print_checks(_PrintTool):
    bl_label = "Checks"
    bl_idname = "FIGURINE_PT_print_checks"

    def draw(self, context):
        layout = self.layout
        obj = active_mesh(context)
        ps = getattr(context.scene, "figurine_print", None)
        self.draw_thresholds(layout, context, ps)
        row = layout.row(align=True)
        row.scale_y = 1.3
        op = row.operator("figurine.check_print", text="Check All", icon="VIEWZOOM")
        if ps is not None:
            op.min_wall_mm = ps.min_wall_mm
        from . import findings

        result = findings.get(obj.name)
        if result is None:
            note(layout, "Check All lists what would fail; Select shows it.", "BLANK1")
            return
        self.draw_results(layout, obj, result, findings)
        row = layout.row(align=True)
        overlay_on = ps is not None and ps.thickness_overlay
        if findings.THICKNESS_ATTRIBUTE in obj.data.color_attributes:
            row.operator("figurine.thickness_overlay", text="Hide Colours" if overlay_on else "Show Colours",
                         icon="HIDE_ON" if overlay_on else "COLOR", depress=overlay_on).show = not overlay_on
        row.operator("figurine.clear_findings", text="Clear", icon="X")

    def draw_thresholds(self, layout, context, ps):
        from ..core import printcheck

        preset = printcheck.PRESETS.get(context.scene.figurine.preset, printcheck.PRESETS["resin"])
        col = layout.column(align=True)
        if ps is not None:
            col.prop(ps, "min_wall_mm", text=f"Min Wall (0: {preset.min_wall_mm:g} mm)")
        col.label(text=f"Fragile under {preset.fragile_thickness_mm:g} mm", icon="BLANK1")
        col.label(text=f"Overhang past {preset.overhang_angle_deg:g}°", icon="BLANK1")
        col.label(text=f"Parts under {preset.min_part_mm:g} mm", icon="BLANK1")

    def draw_results(self, layout, obj, result, findings):
        failures = result.report.get("failures", [])
        box = layout.box()
        box.label(text="Passes" if not failures else f"Fails: {len(failures)} problem(s)",
                  icon="CHECKMARK" if not failures else "ERROR")
        col = box.column(align=True)
        for key, label in findings.FINDINGS:
            count = findings.element_count(result, key)
            verdict = findings.verdict(result, key)
            advice = findings.FINDING_ADVICE.get(key)
            row = col.row(align=True)
            icon = {"fail": "ERROR", "warn": "INFO"}.get(verdict, "CHECKMARK") if count else "CHECKMARK"
            row.label(text=f"{label}: {count}", icon=icon)
            if count:
                op = row.operator("figurine.select_finding", text="", icon="RESTRICT_SELECT_OFF")
                op.finding, op.object_name = key, obj.name
                if advice:
                    col.label(text=f"→ {advice}", icon="BLANK1")
        if not result.report.get("stable", True):
            col.label(text="Tips over: widen the base", icon="ERROR")


class FIGURINE_PT_print_material(_PrintTool):
    bl_label = "Size & Material"
    bl_idname = "FIGURINE_PT_print_material"

    def draw(self, context):
        from . import findings

        layout = self.layout
        result = findings.get(active_mesh(context).name)
        if result is None:
            note(layout, "Check All measures volume and material.", "BLANK1")
            return
        r = result.report
        col = layout.column(align=True)
        x, y, z = r.get("size_mm", (0.0, 0.0, 0.0))
        col.label(text=f"Printed: {x:.1f} × {y:.1f} × {z:.1f} mm", icon="CON_SIZELIMIT")
        col.label(text=f"Volume: {r.get('volume_ml', 0.0):.2f} ml", icon="MESH_CUBE")
        material = r.get("material", {})
        col.label(text=f"Resin: {material.get('resin_ml', 0.0):.2f} ml ({material.get('weight_g', 0.0):.1f} g)",
                  icon="MATFLUID")
        col.label(text=f"Filament: {material.get('filament_m', 0.0):.2f} m", icon="CURVE_PATH")
        if not r.get("volume_reliable", True):
            note(layout, "Not closed: the volume is a guess until Make Printable.", "ERROR")


class FIGURINE_PT_print_repair(_PrintTool):
    bl_label = "Repair & Base"
    bl_idname = "FIGURINE_PT_print_repair"

    def draw(self, context):
        layout = self.layout
        ps = getattr(context.scene, "figurine_print", None)
        col = layout.column(align=True)
        col.operator("figurine.orient", text="Orient Upright", icon="ORIENTATION_GLOBAL")
        col.operator("figurine.make_printable", text="Make Printable", icon="MODIFIER")
        note(layout, "Closes holes, fixes normals; a voxel remesh if needed.", "BLANK1")
        if ps is not None:
            col = layout.column(align=True)
            row = col.row(align=True)
            row.prop(ps, "base_type", text="")
            row.prop(ps, "base_size_mm", text="Ø mm")
            col.prop(ps, "base_thickness_mm", text="Base (mm)")
        layout.operator("figurine.add_base", text="Add Base", icon="MESH_CYLINDER")
        if ps is not None:
            layout.prop(ps, "hollow_wall_mm", text="Wall (mm)")
        layout.operator("figurine.hollow", text="Hollow", icon="MOD_SOLIDIFY")
        note(layout, "Hollow saves resin; drain holes are cut.", "BLANK1")
        if ps is not None:
            layout.prop(ps, "decimate_target", text="Tris")
        layout.operator("figurine.decimate", text="Decimate", icon="MOD_DECIM")
        if ps is not None and ps.last_report:
            note(layout, ps.last_report, "INFO")


class FIGURINE_PT_export(_WorkflowStep):
    bl_label = "5 · Export"
    bl_idname = "FIGURINE_PT_export"

    def draw(self, context):
        layout = self.layout
        s = context.scene.figurine
        col = layout.column(align=True)
        col.row(align=True).prop(s, "export_format", expand=True)
        col.prop(s, "export_max_triangles", text="Max Tris (0: all)")
        col = layout.column(align=True)
        col.label(text="Folder (empty: job folder)")
        col.prop(s, "export_dir", text="")
        col.prop(s, "export_name", text="Name")
        target = s.export_target()
        obj = active_mesh(context)
        if obj is None:
            note(layout, "Next: select the figure (a mesh) to export it.")
        elif not target:
            note(layout, "Next: choose a folder (or a job folder) and a file name.")
        else:
            layout.label(text=elide(f"→ {os.path.basename(target)}" + (" (replaces)" if os.path.exists(target) else "")),
                         icon="FILE")
            op = layout.operator("figurine.export_mesh", icon="EXPORT")
            op.filepath, op.overwrite = target, True
            op.format, op.max_triangles = s.export_format, s.export_max_triangles
        if s.last_export:
            layout.label(text=elide(f"Wrote {os.path.basename(s.last_export)}"), icon="CHECKMARK")


classes = (FIGURINE_UL_versions, FIGURINE_PT_main, FIGURINE_PT_character, FIGURINE_PT_generate,
           FIGURINE_PT_attempts, FIGURINE_PT_review, FIGURINE_PT_print, FIGURINE_PT_export,
           FIGURINE_PT_print_tab, FIGURINE_PT_print_checks, FIGURINE_PT_print_material, FIGURINE_PT_print_repair)


def register() -> None:
    global _previews
    import bpy.utils.previews

    _previews = bpy.utils.previews.new()


def unregister() -> None:
    global _previews
    if _previews is not None:
        bpy.utils.previews.remove(_previews)
        _previews = None
