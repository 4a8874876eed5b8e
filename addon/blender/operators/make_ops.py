# SPDX-License-Identifier: GPL-3.0-or-later
"""``figurine.make``: the panel's "Make Figurine (online)", the same loop as ``figurine make``
(``core.make``). The network stages (Gemini, the 3D service) run as background tasks
(``blender/tasks.py``); the review and the finish, which render and edit meshes, run on the main
thread between them. A job folder holding an unfinished make is continued, never paid twice."""

from __future__ import annotations

import os
from pathlib import Path

import bpy
from bpy.props import FloatProperty, IntProperty, StringProperty

from ...core.errors import BadInputError
from ...core.images import DIAGONAL_VIEW_SLOTS, VIEW_SLOTS
from .. import prefs, tasks
from ..props import slot_label
from .common import abspath, reports_errors
from .generate_ops import provider_config


def _chain(context, task: tasks.Task, wait: bool) -> None:
    """Start the next stage: right away when running synchronously (scripts, background);
    in the window, once the monitor has finished the current task (a timer)."""
    if wait or bpy.app.background:
        tasks.start(context, task, wait=True)
        return

    def later():
        if tasks.busy():
            return 0.2  # the current stage's monitor is still concluding
        tasks.start(bpy.context, task)
        return None

    bpy.app.timers.register(later, first_interval=0.2)


class FIGURINE_OT_make(bpy.types.Operator):
    """Make a printable figure online: Gemini draws the front (from the prompt) and the missing views, the 3D service builds the model, the review checks it against the views (regenerating up to Attempts times), then it is repaired, scaled and put on a base"""

    bl_idname = "figurine.make"
    bl_label = "Make Figurine (online)"
    bl_options = {"REGISTER"}

    prompt: StringProperty(name="Prompt", description="Describe a character (empty: start from the front view loaded)")
    attempts: IntProperty(name="Attempts", default=2, min=1, max=10,
                          description="Paid generations at most: another one while the review keeps none")
    max_credits: FloatProperty(name="Max Credits", default=0.0, min=0.0,
                               description="Never start a generation that would pass this many credits (0: no cap)")
    height_mm: FloatProperty(name="Height", default=32.0, min=5.0, max=1000.0, description="Figure height in mm")
    base: StringProperty(name="Base", default="round25", description="Base preset (round25, hex32...; empty: none)")
    wait: tasks.wait_property()

    def invoke(self, context, event):
        # The button asks first: what to start from and what the loop may spend.
        return context.window_manager.invoke_props_dialog(self, width=360)

    def draw(self, context):
        from ...core import make

        layout = self.layout
        s = context.scene.figurine
        provider = s.provider if s.provider != "local" else make.DEFAULT_PROVIDER
        model = make.MakePlan(prompt="-", provider=provider, options=dict(make.DEFAULT_OPTIONS.get(provider, {})))
        # The make's own model (the workflow's), which may differ from the Generate options.
        layout.label(text=f"3D model: {model.model_name}", icon="MESH_MONKEY")
        layout.prop(self, "prompt", text="")
        if not self.prompt:
            layout.label(text="Empty: start from the front view loaded", icon="INFO")
        col = layout.column(align=True)
        col.prop(self, "attempts")
        col.prop(self, "max_credits")
        row = layout.row(align=True)
        row.prop(self, "height_mm")
        row.prop(self, "base", text="")

    @reports_errors
    def execute(self, context):
        from ...core import make
        from ...core.jobstore import Job
        from ..make import hooks as make_hooks

        s = context.scene.figurine
        if not s.job_dir:
            raise BadInputError("no job folder", hint="set the Job Folder in the Character panel")
        job = Job.open(abspath(s.job_dir))
        notes: list[str] = []
        # The make (like `figurine make`) works with the four main views only: diagonals set in
        # the panel are said to be left out, not silently dropped.
        diagonals = [slot_label(slot).lower() for slot in DIAGONAL_VIEW_SLOTS if s.image_path(slot)]
        if diagonals:
            notes.append(f"the make uses the front, back, left and right views; the {', '.join(diagonals)} "
                         f"view{'s are' if len(diagonals) > 1 else ' is'} left out (Generate with the local "
                         "reconstruction uses them)")
            self.report({"WARNING"}, notes[-1])
        if make.is_unfinished_make(job):
            plan = make.load_plan(job)  # continue it: nothing finished is asked or paid again
        else:
            views = {slot: s.image_path(slot) for slot in VIEW_SLOTS if s.image_path(slot)}
            if not self.prompt and "front" not in views:
                raise BadInputError("nothing to start from", hint="type a prompt or load a front view")
            for slot, path in views.items():
                if not os.path.isfile(path):
                    raise BadInputError(f"{slot} view {path} does not exist", hint="load it again")
            given = {} if self.prompt else {slot: job.add_input(slot, path).relative_to(job.root).as_posix()
                                            for slot, path in views.items()}
            provider = s.provider if s.provider != "local" else make.DEFAULT_PROVIDER
            plan = make.MakePlan(prompt=self.prompt or None, views=given,
                                 ai_steps=make.default_ai_steps("prompt" if self.prompt else "views"),
                                 provider=provider, options=dict(make.DEFAULT_OPTIONS.get(provider, {})),
                                 attempts=self.attempts, max_credits=self.max_credits or None,
                                 height_mm=self.height_mm, base=self.base or None)
        hooks = make_hooks(provider_config=provider_config(plan.provider, context),
                           gemini_key=prefs.gemini_key(context) or None)
        wait = bool(self.wait)
        hooks.warn = notes.append

        def generation(viewset):
            def work(ctl):
                hooks.progress = lambda stage, text: ctl.progress(None, text)
                hooks.cancel = ctl.cancel
                return make.generation_stage(job, plan, hooks, viewset)

            def finish(ctx, value):
                attempt, stopped = value
                if attempt is not None:
                    make.review_stage(job, attempt, hooks)  # renders: the main thread
                    _chain(ctx, generation(viewset), wait)
                    return f"attempt {attempt['n']}: {attempt['review']['decision']}"
                result = make.finish_stage(job, plan, hooks, stopped)
                return _bring_in(ctx, job.root, result, notes)

            return tasks.Task("Make Figurine", work, finish)

        def views_work(ctl):
            hooks.progress = lambda stage, text: ctl.progress(None, text)
            hooks.cancel = ctl.cancel
            return make.views_stage(job, plan, hooks)

        def views_done(ctx, viewset):
            _chain(ctx, generation(viewset), wait)
            return f"{len(viewset.views)} views ready; generating with {plan.model_name}"

        tasks.start(context, tasks.Task("Make Figurine", views_work, views_done, undo=False), wait=wait)
        return {"FINISHED"}


def _bring_in(context, root: Path, result, notes: list[str]):
    """The finished figure into the scene (the Figurine Forge collection), and the outcome."""
    from .. import pipeline

    if result.finished is None:
        return ("WARNING", f"Make stopped: {result.stopped or 'no attempt was reviewed'}")
    obj = bpy.data.objects.get(str(result.finished.get("object", "")))
    if obj is None:  # finished in an earlier session: bring the written figure in
        obj = pipeline.import_mesh_file(root / "figurine.stl", "Figurine")
        obj["figurine_job"] = str(root)
    context.scene["figurine_make"] = {"attempts": len(result.attempts), "chosen": result.chosen["n"],
                                      "decision": result.chosen["review"]["decision"],
                                      "stopped": result.stopped, "notes": notes[-5:]}
    decision = result.chosen["review"]["decision"]
    text = (f"Made '{obj.name}' from attempt {result.chosen['n']} of {len(result.attempts)} "
            f"({decision}); {root / 'figurine.stl'}")
    return ("INFO" if decision == "keep" else "WARNING", text)


class FIGURINE_OT_load_attempt(bpy.types.Operator):
    """Bring this attempt's model into the scene, turned and scaled as its review saw it (textures kept)"""

    bl_idname = "figurine.load_attempt"
    bl_label = "Load Attempt"
    bl_options = {"REGISTER", "UNDO"}

    attempt: IntProperty(name="Attempt", default=1, min=1, description="Which attempt of the job's make")

    @reports_errors
    def execute(self, context):
        from ...core.jobstore import Job
        from ..make import load_attempt

        s = context.scene.figurine
        if not s.job_dir:
            raise BadInputError("no job folder", hint="set the Job Folder in the Character panel")
        job = Job.open(abspath(s.job_dir), create=False)
        obj, row, _fitting = load_attempt(context, job, self.attempt)
        verdict = f"{row['decision']} {row['score']:.2f}" if row.get("decision") else "not reviewed"
        self.report({"INFO"}, f"Loaded attempt {self.attempt} ({verdict}) as '{obj.name}'")
        return {"FINISHED"}


classes = (FIGURINE_OT_make, FIGURINE_OT_load_attempt)
