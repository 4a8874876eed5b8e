# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators on the character views (the four main ones and the four optional diagonals):
load, prepare, mirror, pick a version.

Every image the panel makes for a view is a new file in ``<job>/views/<slot>/`` (never an
overwrite), recorded in that view's history, so any earlier version can be picked again.
Image work that takes time (matting and framing) runs as a background task.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from ...core import atomic
from ...core.errors import BadInputError
from ...core.images import ALL_VIEW_SLOTS, DIAGONAL_VIEW_SLOTS
from .. import tasks
from ..props import slot_label
from .common import abspath, reports_errors

# The main four first: their enum numbers stay what they were before the diagonals came.
SLOT_ITEMS = [(s, slot_label(s), f"The {slot_label(s).lower()} view") for s in ALL_VIEW_SLOTS]
# A view flipped left-right shows the character from its mirror-image direction (a symmetric
# character looks the same): left <-> right, and each diagonal with its twin across the front.
OPPOSITE = {"left": "right", "right": "left", "front_left": "front_right", "front_right": "front_left",
            "back_left": "back_right", "back_right": "back_left"}
SIDE_PAIRS = {"left": "right", "right": "left"}  # what Mirror Missing Side fills
IMAGE_FILTER = "*.png;*.jpg;*.jpeg;*.webp;*.tif;*.tiff;*.bmp"


def views_folder(settings, slot: str) -> Path:
    if not settings.job_dir:
        raise BadInputError("no job folder yet", hint="set the Job Folder in the Character panel first")
    from ...core.jobstore import Job

    # Make it a job folder first: a job folder must be new, empty or already a job.
    job = Job.open(abspath(settings.job_dir))
    return job.root / "views" / slot


def next_version_path(settings, slot: str, origin: str) -> Path:
    """A new, unused file name: ``NN-origin.png`` (NN counts up, so the folder reads in order)."""
    folder = views_folder(settings, slot)
    numbers = [int(m.group(1)) for p in folder.glob("*.png") if (m := re.match(r"(\d+)-", p.name))] \
        if folder.is_dir() else []
    tag = re.sub(r"[^a-z0-9]+", "-", origin.lower()).strip("-") or "image"
    return folder / f"{max(numbers, default=0) + 1:02d}-{tag}.png"


def add_version(settings, slot: str, path: str, origin: str) -> None:
    """Record ``path`` in the view's history and make it the current image."""
    view = settings.view(slot)
    for i, existing in enumerate(view.versions):
        if existing.filepath == path:  # the same file again: just pick it
            view.active_version = i
            setattr(settings, f"{slot}_image", path)
            return
    item = view.versions.add()
    item.filepath, item.origin = path, origin
    item.name = f"{origin} · {time.strftime('%H:%M:%S')}"
    setattr(settings, f"{slot}_image", path)
    view.active_version = len(view.versions) - 1


def _current_path(settings, slot: str) -> str:
    path, name = settings.image_path(slot), slot_label(slot).lower()
    if not path:
        raise BadInputError(f"the {name} view has no image", hint="load one first")
    if not os.path.isfile(path):
        raise BadInputError(f"the {name} view's file {path} is missing", hint="load it again")
    return path


class FIGURINE_OT_load_view(bpy.types.Operator):
    """Load an image file as this view"""

    bl_idname = "figurine.load_view"
    bl_label = "Load View"
    bl_options = {"REGISTER", "UNDO"}

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    filepath: StringProperty(subtype="FILE_PATH")
    filter_glob: StringProperty(default=IMAGE_FILTER, options={"HIDDEN"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    @reports_errors
    def execute(self, context):
        path = abspath(self.filepath)
        if not path or not os.path.isfile(path):
            raise BadInputError(f"{path or 'no file'} does not exist", hint="pick an image file")
        from ...core.images.load import load_rgba

        load_rgba(path)  # refuse what is not an image now, not at generation time
        add_version(context.scene.figurine, self.slot, path, "loaded")
        self.report({"INFO"}, f"{slot_label(self.slot)} view: {os.path.basename(path)}")
        return {"FINISHED"}


def _image_items(self, context):
    items = [(img.name, img.name, img.filepath or "in this .blend", "IMAGE_DATA", i)
             for i, img in enumerate(bpy.data.images) if img.type in ("IMAGE", "UV_TEST")]
    _IMAGE_ITEMS[:] = items or [("", "(no images in this file)", "", "ERROR", 0)]
    return _IMAGE_ITEMS


_IMAGE_ITEMS: list = []  # dynamic enum items must stay referenced from Python


class FIGURINE_OT_view_from_image(bpy.types.Operator):
    """Use an image already in Blender as this view (packed or generated images are saved to the job folder)"""

    bl_idname = "figurine.view_from_image"
    bl_label = "Use Blender Image"
    bl_options = {"REGISTER", "UNDO"}
    bl_property = "image"

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    image: EnumProperty(name="Image", items=_image_items)

    def invoke(self, context, event):
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    @reports_errors
    def execute(self, context):
        img = bpy.data.images.get(self.image)
        if img is None:
            raise BadInputError(f"there is no image {self.image!r} in this file", hint="open or load it first")
        settings = context.scene.figurine
        on_disk = bpy.path.abspath(img.filepath) if img.filepath else ""
        if on_disk and os.path.isfile(on_disk) and not img.packed_file and not img.is_dirty:
            path = on_disk
        else:
            # Packed, generated or painted: its pixels are only in Blender, so write them out.
            if not img.has_data and img.size[0] == 0:
                raise BadInputError(f"image {img.name!r} has no pixels", hint="load or paint it first")
            target = next_version_path(settings, self.slot, "blender-image")
            with atomic.atomic_path(target) as tmp:
                img.save_render(str(tmp), scene=context.scene)
            path = str(target)
        add_version(settings, self.slot, path, f"image {img.name}")
        self.report({"INFO"}, f"{slot_label(self.slot)} view: {img.name}")
        return {"FINISHED"}


def _write_png(rgb, path: Path) -> str:
    from PIL import Image

    with atomic.atomic_path(path) as tmp:
        Image.fromarray(rgb, "RGB").save(tmp, format="PNG")
    return str(path)


class FIGURINE_OT_prepare_view(bpy.types.Operator):
    """Separate the character from its background and frame it on studio gray, as a new version"""

    bl_idname = "figurine.prepare_view"
    bl_label = "Prepare"
    bl_options = {"REGISTER", "UNDO"}

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    size: IntProperty(name="Size", default=1024, min=256, max=4096, description="Prepared image size in pixels")

    @reports_errors
    def execute(self, context):
        settings = context.scene.figurine
        slot, size = self.slot, self.size
        source = _current_path(settings, slot)
        target = next_version_path(settings, slot, "prepared")

        def work(ctl):  # worker thread: files and arrays only
            from ...core.images.load import load_rgba
            from ...core.images.prepare import prepare_single

            ctl.progress(0.1, f"separating the {slot_label(slot).lower()} view from its background")
            # One view on its own: a back or side view is prepared without the front beside it.
            viewset = prepare_single(load_rgba(source), slot, size, name=os.path.basename(source))
            ctl.check_cancel()
            ctl.progress(0.9, "saving")
            return _write_png(viewset.views[slot].rgb, target), list(viewset.warnings)

        def finish(ctx, value):
            path, warnings = value
            add_version(ctx.scene.figurine, slot, path, "prepared")
            done = f"{slot_label(slot)} view prepared"
            # The view check's findings (facing the wrong way, cut off...) are a warning, not a tick.
            return ("WARNING", f"{done} — {'; '.join(warnings)}") if warnings else done

        tasks.start(context, tasks.Task(f"Prepare {slot_label(slot)}", work, finish))
        return {"FINISHED"}


class FIGURINE_OT_mirror_view(bpy.types.Operator):
    """Flip this view left-right, as a new version"""

    bl_idname = "figurine.mirror_view"
    bl_label = "Mirror"
    bl_options = {"REGISTER", "UNDO"}

    slot: EnumProperty(name="View", items=SLOT_ITEMS)
    source: EnumProperty(name="From", items=[("SELF", "This View", "Flip this view's own image"),
                                            ("OPPOSITE", "Opposite Side",
                                             "Flip the view on the other side (left ↔ right, front-left ↔ "
                                             "front-right, back-left ↔ back-right)")],
                         default="SELF")

    @reports_errors
    def execute(self, context):
        settings = context.scene.figurine
        src_slot = OPPOSITE.get(self.slot) if self.source == "OPPOSITE" else self.slot
        if src_slot is None:
            raise BadInputError(f"the {slot_label(self.slot).lower()} view has no opposite side view",
                                hint="left and right mirror each other, and each diagonal its twin "
                                     "(front-left and front-right, back-left and back-right)")
        mirror_into(settings, src_slot, self.slot)
        self.report({"INFO"}, f"{slot_label(self.slot)} view: mirrored {slot_label(src_slot).lower()}")
        return {"FINISHED"}


def mirror_into(settings, src_slot: str, dst_slot: str) -> str:
    import numpy as np

    from ...core.images.load import load_rgba

    rgba = load_rgba(_current_path(settings, src_slot))
    flipped = np.ascontiguousarray(rgba[:, ::-1])
    # The version's origin is what the panel's History shows: the view's name, as the panel says it.
    origin = "mirrored" if src_slot == dst_slot else f"mirrored {slot_label(src_slot).lower()}"
    target = next_version_path(settings, dst_slot, origin)
    from PIL import Image

    with atomic.atomic_path(target) as tmp:
        Image.fromarray(np.round(flipped * 255).astype(np.uint8), "RGBA").save(tmp, format="PNG")
    add_version(settings, dst_slot, str(target), origin)
    return str(target)


DIAGONAL_PAIRS = {s: OPPOSITE[s] for s in DIAGONAL_VIEW_SLOTS}


class FIGURINE_OT_fill_missing_sides(bpy.types.Operator):
    """Make a missing side view from the other side, mirrored (a symmetric character looks the same)"""

    bl_idname = "figurine.fill_missing_sides"
    bl_label = "Mirror Missing Side"
    bl_options = {"REGISTER", "UNDO"}

    which: EnumProperty(name="Views", default="SIDES",
                        items=[("SIDES", "Sides", "A missing left or right view from the other one"),
                               ("DIAGONALS", "Diagonals", "A missing diagonal from its twin across the front "
                                                          "(front-left ↔ front-right, back-left ↔ back-right)")])

    @classmethod
    def description(cls, context, properties):
        if properties.which == "DIAGONALS":
            return ("Make a missing diagonal view from its twin across the front, mirrored "
                    "(a symmetric character looks the same; no AI, no cost)")
        return cls.__doc__

    @reports_errors
    def execute(self, context):
        settings = context.scene.figurine
        pairs = DIAGONAL_PAIRS if self.which == "DIAGONALS" else SIDE_PAIRS
        made = []
        for slot, other in pairs.items():
            if not settings.image_path(slot) and settings.image_path(other):
                mirror_into(settings, other, slot)
                made.append(slot)
        if not made:
            if self.which == "DIAGONALS":
                raise BadInputError("no diagonal view can be made this way",
                                    hint="it needs one view of a pair (front-left/front-right, back-left/back-right)")
            raise BadInputError("no side view can be made this way",
                                hint="it needs exactly one of the left and right views")
        self.report({"INFO"}, f"Made the {' and '.join(slot_label(m).lower() for m in made)} view by mirroring")
        return {"FINISHED"}


class FIGURINE_OT_clear_view(bpy.types.Operator):
    """Leave this view empty (its history is kept)"""

    bl_idname = "figurine.clear_view"
    bl_label = "Clear View"
    bl_options = {"REGISTER", "UNDO"}

    slot: EnumProperty(name="View", items=SLOT_ITEMS)

    def execute(self, context):
        settings = context.scene.figurine
        setattr(settings, f"{self.slot}_image", "")
        settings.view(self.slot).active_version = -1
        return {"FINISHED"}


classes = (FIGURINE_OT_load_view, FIGURINE_OT_view_from_image, FIGURINE_OT_prepare_view,
           FIGURINE_OT_mirror_view, FIGURINE_OT_fill_missing_sides, FIGURINE_OT_clear_view)
