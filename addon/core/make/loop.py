# SPDX-License-Identifier: GPL-3.0-or-later
"""The workflow's loop in one call: prompt or photo -> front -> the missing views -> paid 3D
generations until the review keeps one -> repaired, scaled figure on a base.

Every stage finds its own earlier work in the job before doing anything, so running the same
plan again after any interruption (``figurine resume JOB``) continues where it stopped:

* Gemini edits are job steps (``core.gemini.edit_into_job``); a finished edit with the same
  preset and parent is reused, never asked again.
* Each paid generation is an *attempt* written into ``job.json`` (``make.attempts``) with its
  price before the request goes out; the provider lifecycle then records the task id the
  moment the service answers. An attempt with a recorded task is only ever polled again
  (``providers.resume``), never submitted again.
* The review, repair and export run in Blender; the host passes them in (``MakeHooks``), so
  this module stays free of Blender.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import BadInputError, RemoteError
from ..gemini import EDIT_STEP
from ..jobstore import Job
from .blame import CORRECTION_MARK, blamed_views, correction_text, view_scores
from .plan import CREATE_PRESET, VIEW_PRESETS, MakePlan

if TYPE_CHECKING:
    from ..providers.base import ProviderConfig

MAKE_KEY = "make"  # job.json section
# Issues a retried view must not have (core.images.validate codes); a side view facing the wrong
# way is mirrored instead, an unsure facing is only reported.
REJECTING_ISSUES = ("height_mismatch", "silhouette_mismatch", "other_character", "same_image", "matte_broken",
                    "cropped", "subject_size")


@dataclass
class MakeHooks:
    """What the host (the CLI in Blender's Python, or the panel) provides."""

    review: Callable[[Job, str], dict]  # review one model (job-relative path); returns review.json's dict
    finish: Callable[[Job, dict, MakePlan], dict]  # repair, scale, base, export the chosen attempt
    progress: Callable[[str, str], None] = lambda stage, text: None
    warn: Callable[[str], None] = lambda text: None
    provider_config: "ProviderConfig | None" = None
    gemini_key: str | None = None
    cancel: threading.Event | None = None


@dataclass
class MakeResult:
    job: Path
    attempts: list[dict]
    chosen: dict | None
    finished: dict | None
    views: dict[str, str] = field(default_factory=dict)
    stopped: str = ""  # why the loop stopped before a "keep" (attempts or credits used up)

    def as_dict(self) -> dict:
        return {"job": str(self.job), "attempts": self.attempts, "chosen": self.chosen, "finished": self.finished,
                "views": self.views, "stopped": self.stopped}


# -- the job's make section -----------------------------------------------------------------------
def state(job: Job) -> dict:
    return job.manifest.setdefault(MAKE_KEY, {})


def _save(job: Job) -> None:
    job.save()


def start(job: Job, plan: MakePlan) -> None:
    """Write the plan into the job (before anything is paid for)."""
    section = state(job)
    if section.get("plan") and section["plan"] != plan.to_dict():
        raise BadInputError(f"{job.root} already holds a different make",
                            hint=f"continue it with `figurine resume {job.root}`, or use a new folder")
    section["plan"] = plan.to_dict()
    section.setdefault("attempts", [])
    section.setdefault("status", "running")
    _save(job)


def load_plan(job: Job) -> MakePlan:
    section = job.manifest.get(MAKE_KEY) or {}
    if not section.get("plan"):
        raise BadInputError(f"{job.root} holds no make to continue", hint="start one with `figurine make`")
    return MakePlan.from_dict(section["plan"])


def is_unfinished_make(job: Job) -> bool:
    section = job.manifest.get(MAKE_KEY) or {}
    return bool(section.get("plan")) and section.get("status") != "done"


# -- images ---------------------------------------------------------------------------------------
def _is_edit(entry: dict, preset: str, parent: str | None, slot: str, prompt: str | None) -> bool:
    """An edit step of ``preset`` on ``parent`` for ``slot``: the first drawings when ``prompt``
    is None (no correction in their prompt), else the re-edit asked with exactly ``prompt``."""
    p = entry.get("params", {})
    if (entry.get("name") != EDIT_STEP or p.get("preset") != preset or p.get("parent") != parent
            or p.get("slot") != slot):
        return False
    text = str(p.get("prompt") or "")
    return text == prompt if prompt is not None else CORRECTION_MARK not in text


def _find_edits(job: Job, preset: str, parent: str | None, slot: str, prompt: str | None = None) -> list[dict]:
    """Finished edits of ``preset`` on ``parent`` for ``slot``, oldest first."""
    return [e for e in job.steps if e.get("status") == "done" and _is_edit(e, preset, parent, slot, prompt)]


def _tries(job: Job, preset: str, parent: str | None, slot: str, prompt: str | None = None) -> int:
    """Edits asked for (finished or not: a call that died may still have been billed)."""
    return sum(1 for e in job.steps if _is_edit(e, preset, parent, slot, prompt))


def _prompt(plan: MakePlan, preset_name: str, correction: str | None = None) -> str:
    from .. import presets

    return presets.get_preset(preset_name).render(plan.prompt if preset_name == CREATE_PRESET else correction)


def _edit(job: Job, plan: MakePlan, hooks: MakeHooks, preset_name: str, parent: str | None, slot: str,
          *, reuse: bool = True, correction: str | None = None) -> dict:
    """The finished edit step for (preset, parent, slot): an earlier one, or a new Gemini call.
    ``correction``: a re-edit, the preset's prompt with what was wrong added."""
    from .. import gemini, presets

    exact = _prompt(plan, preset_name, correction) if correction else None
    if reuse:
        done = _find_edits(job, preset_name, parent, slot, exact)
        if done:
            return done[-1]
    preset = presets.get_preset(preset_name)
    prompt = exact or _prompt(plan, preset_name)
    settings = gemini.GeminiSettings(model=plan.gemini_model or gemini.DEFAULT_MODEL)
    hooks.progress("edit", f"Gemini: {preset.title.lower()} ({slot})")
    version = gemini.edit_into_job(job, job.root / parent if parent else None, prompt, slot=slot,
                                   parent_slot="front", preset=preset_name, settings=settings,
                                   api_key=hooks.gemini_key, online=True, size=plan.size,
                                   progress=lambda m: hooks.progress("edit", m))
    for w in version.warnings:
        hooks.warn(f"{slot} ({preset_name}): {w}")
    return job.steps[version.step_index - 1]


def front_image(job: Job, plan: MakePlan, hooks: MakeHooks) -> tuple[str, str]:
    """The job-relative front after the plan's AI steps (each reused if done): the prepared
    image, and the picture as it came (the model's answer, or the user's file)."""
    if plan.prompt:
        outputs = _edit(job, plan, hooks, CREATE_PRESET, None, "front")["outputs"]
        current, raw = outputs["prepared"], outputs["image"]
    else:
        current = raw = plan.photo or plan.views["front"]
    for name in plan.ai_steps:
        outputs = _edit(job, plan, hooks, name, current, "front")["outputs"]
        current, raw = outputs["prepared"], outputs["image"]
    return current, raw


def _prepared_single(job: Job, rel: str, slot: str, size: int):
    from ..images.load import load_rgba
    from ..images.prepare import prepare_single

    return prepare_single(load_rgba(job.root / rel, name=Path(rel).name), slot, size).views[slot]


def _checked_view(job: Job, prepared: str, raw: str, slot: str, size: int):
    """The prepared view, with what was measured on the picture as it came (its height in the
    picture, the edges it touches): preparing frames every view to one height, which would
    hide a view drawn at another zoom."""
    view = _prepared_single(job, prepared, slot, size)
    if raw != prepared:
        view.source = _prepared_single(job, raw, slot, size).source
    return view


def check_view(front_view, view) -> tuple[list, bool]:
    """The consistency check of one drawn view against the front: (rejecting issues, mirror?).

    Facing (a side view turned the wrong way is mirrored, as the panel does), height against
    the front's, the back's silhouette against the mirrored front, colours (the same
    character), and a matte that fell apart — ``core.images.validate``'s checks."""
    from ..images import validate

    views = {"front": front_view, view.slot: view}
    issues = validate.check_views(views, {s: v.source for s, v in views.items()})
    mine = [i for i in issues if i.slot == view.slot]
    mirror = any(i.code == "wrong_facing" for i in mine)
    return [i for i in mine if i.code in REJECTING_ISSUES], mirror


def draw_view(job: Job, plan: MakePlan, hooks: MakeHooks, front_view, front_rel: str, slot: str,
              correction: str | None = None) -> str | None:
    """A drawn ``slot`` view that passes the check against the front (earlier drawings first,
    then new Gemini calls, ``plan.view_tries`` calls at most), or None. ``correction``: a
    re-edit after a review blamed the view (its own drawings and tries, by its prompt)."""
    preset = VIEW_PRESETS[slot]
    exact = _prompt(plan, preset, correction) if correction else None
    candidates = list(_find_edits(job, preset, front_rel, slot, exact))
    checked = 0
    while True:
        if checked >= len(candidates):
            if _tries(job, preset, front_rel, slot, exact) >= plan.view_tries:
                return None
            candidates.append(_edit(job, plan, hooks, preset, front_rel, slot, reuse=False, correction=correction))
        entry = candidates[checked]
        checked += 1
        rel = entry["outputs"]["prepared"]
        view = _checked_view(job, rel, entry["outputs"]["image"], slot, plan.size)
        problems, mirror = check_view(front_view, view)
        if problems:
            hooks.warn(f"{slot} view {'re-edit ' if correction else ''}try {checked} rejected: "
                       + "; ".join(i.message for i in problems))
            continue
        if mirror:
            rel = _mirrored_copy(job, entry, rel)
            hooks.warn(f"{slot} view faced the wrong way; using a mirrored copy ({rel})")
        return rel


def missing_views(job: Job, plan: MakePlan, hooks: MakeHooks, front: tuple[str, str]) -> dict[str, str]:
    """slot -> job-relative image for every view: given ones, and drawn ones that passed the
    check (tried up to ``plan.view_tries`` times each); a view that never passes is left out."""
    front_rel, front_raw = front
    chosen = {"front": front_rel}
    front_view = _checked_view(job, front_rel, front_raw, "front", plan.size)
    for slot in ("back", "left", "right"):
        if slot in plan.views:
            chosen[slot] = plan.views[slot]
            continue
        picked = draw_view(job, plan, hooks, front_view, front_rel, slot)
        if picked is None:
            hooks.warn(f"no {slot} view passed the check after {plan.view_tries} tries; going on without it")
        else:
            chosen[slot] = picked
    return chosen


def _mirrored_copy(job: Job, entry: dict, rel: str) -> str:
    from PIL import Image

    from .. import atomic

    target = job.root / entry["folder"] / (Path(rel).stem + "_mirrored.png")
    if not target.exists():
        with Image.open(job.root / rel) as img:
            flipped = img.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        with atomic.atomic_path(target) as tmp:
            flipped.save(tmp, format="PNG")
    return target.relative_to(job.root).as_posix()


def prepared_views(job: Job, plan: MakePlan, chosen: dict[str, str]):
    """The views prepared together (one "prepare" step, reused on resume). After a re-edit
    (``revise_views``) the job's current set is the revised one, with the same slots."""
    from ..images.prepare import load_prepared

    section = state(job)
    index = section.get("prepare_step")
    if index:
        entry = job.steps[int(index) - 1]
        if entry.get("status") == "done" and entry.get("params", {}).get("views") == list(
                s for s in ("front", "back", "left", "right") if s in chosen):
            return load_prepared(job.root / entry["folder"])
    return _prepare(job, plan, chosen)


def _prepare(job: Job, plan: MakePlan, chosen: dict[str, str]):
    """A new "prepare" step of ``chosen``, made the job's current view set."""
    from ..images.prepare import prepare_into_job

    section = state(job)
    _, viewset = prepare_into_job(job, {s: job.root / r for s, r in chosen.items()}, size=plan.size)
    section["prepare_step"] = len(job.steps)
    section["views"] = chosen
    _save(job)
    return viewset


def current_viewset(job: Job, fallback):
    """The view set the next attempt is submitted with: the last revision's, else ``fallback``."""
    from ..images.prepare import load_prepared

    section = state(job)
    if not any(r.get("state") == "done" for r in section.get("revisions", [])):
        return fallback
    entry = job.steps[int(section["prepare_step"]) - 1]
    return load_prepared(job.root / entry["folder"])


def redrawable(plan: MakePlan, section: dict) -> set[str]:
    """The views the make drew itself from the front: the ones a re-edit may replace. The front
    (everything else is drawn from it) and the user's own views are never redrawn."""
    return {s for s in section.get("views", {}) if s != "front" and s not in plan.views}


def revise_views(job: Job, plan: MakePlan, hooks: MakeHooks, last: dict, viewset):
    """Re-edit the view(s) the review of ``last`` blames, through the same Gemini edit and
    consistency check that drew them, told what was wrong; returns the view set to submit next.

    The revision is written into ``job.json`` (``make.revisions``) before Gemini is asked; each
    re-edit is an edit step found again by its exact prompt, so a make killed after the re-edit
    and before the submit reuses it on resume and never asks (or pays) for it twice. No view to
    blame, or only the front or the user's own views: ``viewset`` unchanged (a new seed)."""
    from ..images.prepare import load_prepared

    section = state(job)
    revisions: list[dict] = section.setdefault("revisions", [])
    rev = next((r for r in revisions if r.get("after_attempt") == last["n"]), None)
    if rev is None:
        blamed = (last.get("review") or {}).get("blame") or []
        mine = redrawable(plan, section)
        drawn = [b for b in blamed if b["view"] in mine]
        if not drawn:
            if blamed:
                hooks.progress("generate", f"attempt {last['n']}: the review blames the "
                                           f"{', '.join(b['view'] for b in blamed)} view, which the make does not "
                                           f"redraw (the front, or your own view): asking the generator again")
            return viewset
        rev = {"after_attempt": last["n"], "state": "editing",
               "views": {b["view"]: {"why": b["why"], "iou": b["iou"], "before": section["views"][b["view"]],
                                     "correction": correction_text(last["n"], b)} for b in drawn}}
        revisions.append(rev)
        _save(job)  # recorded before Gemini is asked
    if rev["state"] == "done":
        return load_prepared(job.root / job.steps[int(rev["prepare_step"]) - 1]["folder"])
    if rev["state"] == "unchanged":
        return viewset
    front_rel, front_raw = front_image(job, plan, hooks)  # finished before: found, not asked
    front_view = _checked_view(job, front_rel, front_raw, "front", plan.size)
    chosen = dict(section["views"])
    for slot, entry in rev["views"].items():
        hooks.progress("edit", f"attempt {last['n']} blamed the {slot} view: {'; '.join(entry['why'])}; "
                               f"drawing it again")
        picked = draw_view(job, plan, hooks, front_view, front_rel, slot, correction=entry["correction"])
        entry["image"] = picked
        if picked is None:
            hooks.warn(f"no re-edit of the {slot} view passed the check after {plan.view_tries} tries; "
                       f"keeping the view it had")
        else:
            chosen[slot] = picked
    if chosen == section["views"]:
        rev["state"] = "unchanged"
        _save(job)
        return viewset
    revised = _prepare(job, plan, chosen)
    rev.update(state="done", prepare_step=section["prepare_step"], view_set=chosen)
    _save(job)
    return revised


# -- paid generations -------------------------------------------------------------------------------
def _task_for(job: Job, attempt: dict) -> tuple[str, dict] | None:
    """The task the attempt's generation recorded (its step came after the attempt began)."""
    first = int(attempt["steps_before"])
    for key, task in job.manifest.get("tasks", {}).items():
        step = str(task.get("step", ""))
        try:
            index = int(Path(step).name.split("-", 1)[0])
        except ValueError:
            continue
        if index > first and task.get("provider") == attempt["provider"]:
            return key, task
    return None


def _spent(attempts: list[dict]) -> float:
    return float(sum(a.get("credits") or 0.0 for a in attempts if a.get("state") != "refused"))


def _generated(job: Job, attempt: dict, result) -> None:
    attempt.update(state="generated", task_key=result.task_key, task_id=result.task_id,
                   model=Path(result.mesh_path).relative_to(job.root).as_posix())
    _save(job)


def _settle(job: Job, attempt: dict, hooks: MakeHooks) -> None:
    """Bring an attempt that was interrupted back to "generated" without paying again."""
    from .. import providers

    found = _task_for(job, attempt)
    if found is None:
        # Died between recording the attempt and the service's answer: it may or may not have
        # been billed, and there is nothing to poll. Count it; never guess it away.
        attempt.update(state="lost", note="interrupted before the service returned a task id; counted as paid")
        hooks.warn(f"attempt {attempt['n']}: interrupted before a task id came back; counted as paid")
        _save(job)
        return
    key, task = found
    if task.get("state") == "finished" and task.get("result"):
        attempt.update(state="generated", task_key=key, task_id=task.get("task_id"), model=task["result"])
        _save(job)
        return
    hooks.progress("generate", f"resuming attempt {attempt['n']} (task {task.get('task_id')}); no new payment")
    result = providers.resume(job, task_key=key, config=hooks.provider_config,
                              progress=lambda f, t: hooks.progress("generate", t), cancel=hooks.cancel)
    _generated(job, attempt, result)


def attempt_options(provider, options: dict, n: int) -> dict:
    """The options of attempt ``n``: a service that takes a seed gets a new one each attempt
    (the given or default seed, plus n - 1); others are simply asked again."""
    spec = next((o for o in provider.capabilities.options if o.name == "seed"), None)
    if spec is None or n == 1:
        return dict(options)
    base = int(options.get("seed", spec.default))
    return {**options, "seed": str(base + n - 1)}


def _price(job: Job, plan: MakePlan, hooks: MakeHooks, viewset,
           attempts: list[dict]) -> tuple[dict, float | None] | None:
    """The next attempt's options and price, or None when it would pass ``--max-credits``
    (asked before a re-edit, so no view is redrawn for a generation that will not be paid)."""
    from .. import providers
    from ..providers.lifecycle import check_request

    provider = providers.get_provider(plan.provider, hooks.provider_config)
    options = attempt_options(provider, plan.options, len(attempts) + 1)
    slots, parsed, _ = check_request(provider, list(viewset.views), options)
    cost = provider.cost_credits({s: None for s in slots}, parsed)
    if plan.max_credits is not None and cost is not None and _spent(attempts) + cost > plan.max_credits:
        return None
    return options, cost


def _check_balance(plan: MakePlan, hooks: MakeHooks, viewset, options: dict) -> None:
    """Read the account's balance right before paying (where the service has one): too low
    stops with a message, nothing recorded as paid."""
    from .. import providers

    from ..providers.lifecycle import check_request

    provider = providers.get_provider(plan.provider, hooks.provider_config)
    if provider.remote and provider.capabilities.has_balance:
        slots, _, _ = check_request(provider, list(viewset.views), options)
        balance = providers.account_balance(plan.provider, config=hooks.provider_config,
                                            views=slots, options=options)
        if balance.get("enough") is False:
            raise RemoteError(f"{provider.label} has {balance['balance']:g} credits; one generation costs "
                              f"{balance['cost']:g}", hint="top up the account, then `figurine resume` the job")


def _new_attempt(job: Job, plan: MakePlan, hooks: MakeHooks, viewset, attempts: list[dict],
                 options: dict, cost: float | None) -> dict:
    """Pay for one more generation with ``viewset``, recorded with its price (and which views it
    was sent, and why it differs from the last attempt) before the request goes out."""
    from .. import providers

    _check_balance(plan, hooks, viewset, options)
    section = state(job)
    attempt = {"n": len(attempts) + 1, "provider": plan.provider, "options": dict(options),
               "credits": cost, "state": "submitting", "steps_before": len(job.steps),
               "views": dict(section.get("views", {})), "prepare_step": section.get("prepare_step")}
    if attempts:
        rev = next((r for r in section.get("revisions", []) if r.get("after_attempt") == attempts[-1]["n"]
                    and r.get("state") == "done"), None)
        if rev is not None:
            attempt["retry"] = {"how": "re-edited view", "after_attempt": rev["after_attempt"],
                                "views": {s: e["why"] for s, e in rev["views"].items() if e.get("image")}}
        else:
            attempt["retry"] = {"how": "new seed" if "seed" in options else "asked again",
                                "after_attempt": attempts[-1]["n"]}
    attempts.append(attempt)
    _save(job)  # recorded with its price before the request goes out
    hooks.progress("generate", f"attempt {attempt['n']}: {plan.model_name} "
                               f"({'about %g credits' % cost if cost is not None else 'price unknown'})")
    result = providers.generate(job, plan.provider, viewset, options=options, config=hooks.provider_config,
                                progress=lambda f, t: hooks.progress("generate", t), cancel=hooks.cancel)
    _generated(job, attempt, result)
    return attempt


def _review(job: Job, attempt: dict, hooks: MakeHooks) -> None:
    hooks.progress("review", f"attempt {attempt['n']}: comparing the model with the views")
    review = hooks.review(job, attempt["model"])
    verdict = review["verdict"]
    renders = review.get("renders") or {}
    attempt["review"] = {"decision": verdict["decision"], "score": review["score"],
                         "reasons": verdict["reasons"][:4], "turn_deg": (review.get("model_import") or {})
                         .get("facing", {}).get("turn_deg"), "folder": review.get("folder"),
                         "views": {v: round(s["iou"], 4) for v, s in view_scores(review).items()},
                         # The views to blame (worst first), only when the attempt failed.
                         "blame": blamed_views(review) if verdict["decision"] == "regenerate" else [],
                         "clay": renders.get("three_quarter") or renders.get("front")}
    attempt["state"] = "reviewed"
    _save(job)


def _score(attempt: dict) -> tuple[int, float]:
    review = attempt.get("review") or {}
    rank = {"keep": 3, "unverified": 2, "fix": 1, "regenerate": 0}.get(review.get("decision", ""), -1)
    return rank, float(review.get("score") or 0.0)


# -- the loop ---------------------------------------------------------------------------------------
# The stages are separate so a host can run the network ones off its main thread (Blender's
# panel: ``blender/tasks.py``) and the review and finish, which render, on it.
def views_stage(job: Job, plan: MakePlan, hooks: MakeHooks):
    """Network (Gemini) and numpy: the plan written, the front, the missing views, prepared."""
    start(job, plan)
    front = front_image(job, plan, hooks)
    chosen = missing_views(job, plan, hooks, front)
    return prepared_views(job, plan, chosen)


def generation_stage(job: Job, plan: MakePlan, hooks: MakeHooks, viewset) -> tuple[dict | None, str]:
    """Network: the attempt to review next — one interrupted earlier (polled, never paid
    again), or a newly paid one — or ``(None, why the loop stops)`` ("" after a keep)."""
    attempts: list[dict] = state(job)["attempts"]
    for attempt in attempts:
        if attempt["state"] == "submitting":
            _settle(job, attempt, hooks)
    pending = [a for a in attempts if a["state"] == "generated"]
    if pending:
        return pending[0], ""
    if any(_score(a)[0] == 3 for a in attempts):
        return None, ""
    if len(attempts) >= plan.attempts:
        return None, f"{len(attempts)} paid attempt(s) made (--attempts {plan.attempts}) and none was kept"
    viewset = current_viewset(job, viewset)
    priced = _price(job, plan, hooks, viewset, attempts)
    if priced is None:
        return None, f"the next generation would pass --max-credits {plan.max_credits:g} ({_spent(attempts):g} spent)"
    if attempts and attempts[-1].get("review"):
        viewset = revise_views(job, plan, hooks, attempts[-1], viewset)
    return _new_attempt(job, plan, hooks, viewset, attempts, *priced), ""


def review_stage(job: Job, attempt: dict, hooks: MakeHooks) -> None:
    """The host's review of one attempt (Blender renders)."""
    _review(job, attempt, hooks)


def finish_stage(job: Job, plan: MakePlan, hooks: MakeHooks, stopped: str) -> MakeResult:
    """Choose the best attempt and finish it (the host's repair and export), once."""
    section = state(job)
    attempts: list[dict] = section["attempts"]
    best = best_of(attempts)
    for a in attempts:
        a["chosen"] = a is best
    finished = section.get("finished")
    if best is not None and not (finished and finished.get("attempt") == best["n"]):
        hooks.progress("finish", f"attempt {best['n']}: repair, {plan.height_mm:g} mm"
                                 + (f", {plan.base} base" if plan.base else ""))
        finished = {"attempt": best["n"], **hooks.finish(job, best, plan)}
        section["finished"] = finished
    section["status"] = "done" if best is not None else "stopped"
    section["stopped"] = stopped
    _save(job)
    return MakeResult(job.root, attempts, best, finished, dict(section.get("views", {})), stopped)


def run(job: Job, plan: MakePlan, hooks: MakeHooks) -> MakeResult:
    """Run (or continue) the make in ``job``; see the module's text."""
    viewset = views_stage(job, plan, hooks)
    while True:
        attempt, stopped = generation_stage(job, plan, hooks, viewset)
        if attempt is None:
            break
        review_stage(job, attempt, hooks)
    return finish_stage(job, plan, hooks, stopped)


def best_of(attempts: list[dict]) -> dict | None:
    reviewed = [a for a in attempts if a.get("review")]
    return max(reviewed, key=_score) if reviewed else None
