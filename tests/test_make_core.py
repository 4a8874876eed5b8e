# SPDX-License-Identifier: GPL-3.0-or-later
"""core.make without Blender or a network: what an interrupted attempt becomes, new seeds per
attempt, the plan's checks."""

from __future__ import annotations

import pytest

from figurine_forge.core import providers
from figurine_forge.core.errors import BadInputError
from figurine_forge.core.jobstore import Job
from figurine_forge.core.make import MakeHooks, MakePlan, generation_stage, loop


def _hooks(warnings: list[str]) -> MakeHooks:
    def never(*_args):
        raise AssertionError("no review or finish expected")

    return MakeHooks(review=never, finish=never, warn=warnings.append,
                     provider_config=providers.ProviderConfig(online=False))


def test_an_attempt_killed_before_its_task_id_is_counted_as_paid_never_guessed_away(tmp_path):
    job = Job.open(tmp_path / "job")
    plan = MakePlan(views={"front": "inputs/front.png"}, attempts=1)
    loop.start(job, plan)
    # What job.json holds when the process died between recording the attempt (with its price)
    # and the service's answer: the attempt, and no task for it.
    loop.state(job)["attempts"].append({"n": 1, "provider": "3daistudio", "options": {"model": "3.0"},
                                        "credits": 80.0, "state": "submitting", "steps_before": len(job.steps)})
    warnings: list[str] = []
    attempt, stopped = generation_stage(job, plan, _hooks(warnings), viewset=None)
    assert attempt is None  # nothing to poll, and --attempts 1 is used up: no second payment
    assert "1 paid attempt(s) made" in stopped
    (recorded,) = loop.state(job)["attempts"]
    assert recorded["state"] == "lost" and "counted as paid" in recorded["note"]
    assert any("counted as paid" in w for w in warnings)
    assert loop._spent(loop.state(job)["attempts"]) == 80.0


def test_a_service_with_a_seed_gets_a_new_one_each_attempt():
    server = providers.get_provider("hunyuan-server", providers.ProviderConfig(online=False))
    assert loop.attempt_options(server, {}, 1) == {}
    assert loop.attempt_options(server, {}, 3) == {"seed": "1236"}  # the default 1234, plus 2
    assert loop.attempt_options(server, {"seed": "7"}, 2) == {"seed": "8"}
    studio = providers.get_provider("3daistudio", providers.ProviderConfig(online=False))
    assert loop.attempt_options(studio, {"model": "3.0"}, 2) == {"model": "3.0"}  # asked again as it was


def test_a_different_make_in_the_same_job_is_refused(tmp_path):
    job = Job.open(tmp_path / "job")
    loop.start(job, MakePlan(prompt="a knight"))
    with pytest.raises(BadInputError, match="already holds a different make"):
        loop.start(job, MakePlan(prompt="a dragon"))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one of"),
    ({"prompt": "x", "photo": "p.png"}, "exactly one of"),
    ({"prompt": "x", "max_credits": 0.0}, "allows nothing"),
    ({"prompt": "x", "height_mm": 2.0}, "not a figurine height"),
    ({"prompt": "x", "ai_steps": ["sparkles"]}, "unknown AI step"),
])
def test_plan_checks(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        MakePlan(**kwargs)


def test_the_default_model_is_named_as_the_workflow_names_it():
    from figurine_forge.core.make import DEFAULT_OPTIONS

    plan = MakePlan(prompt="x", options=dict(DEFAULT_OPTIONS["3daistudio"]))
    assert plan.model_name == "Hunyuan 3.0 (Multi-view)"
    assert MakePlan(prompt="x", options={"model": "3.1"}).model_name == "Hunyuan 3.1 (Multi-view)"


# -- which view a failed attempt is blamed on ---------------------------------------------------
def _review(ious: dict[str, float], lost: dict[str, str] | None = None) -> dict:
    lost = lost or {}
    return {"views": [{"view": v, "iou": iou, "missing": 0.0, "extra": 0.0,
                       "regions": ([{"kind": "missing", "part": lost[v], "fraction": 0.06}] if v in lost else []),
                       "findings": []} for v, iou in ious.items()]}


def test_the_view_that_disagrees_is_blamed_worst_first():
    from figurine_forge.core.make.blame import blamed_views

    review = _review({"front": 0.96, "back": 0.96, "left": 0.80, "right": 0.95}, {"left": "front of the upper body"})
    (left,) = blamed_views(review)
    assert left["view"] == "left" and left["iou"] == 0.8
    assert left["why"] == ["front of the upper body missing in the model (6.0% of this view's silhouette)",
                           "the silhouettes agree only 0.80"]
    # A lost part at a good IoU still blames the view; two of them: worst first.
    two = blamed_views(_review({"front": 0.90, "back": 0.91, "left": 0.96, "right": 0.96},
                               {"front": "left arm", "back": "left arm"}))
    assert [b["view"] for b in two] == ["front", "back"]


def test_no_view_is_blamed_when_all_or_none_disagree():
    from figurine_forge.core.make.blame import blamed_views

    assert blamed_views(_review({"front": 0.96, "back": 0.97, "left": 0.95, "right": 0.96})) == []
    # Every view disagrees: the generator failed, not a view (a new seed, not a new view).
    assert blamed_views(_review({"front": 0.60, "back": 0.62, "left": 0.70, "right": 0.71})) == []
    assert blamed_views({"views": []}) == []


def test_the_correction_says_what_was_wrong_and_what_to_show():
    from figurine_forge.core.make.blame import CORRECTION_MARK, correction_text

    blame = {"view": "back", "iou": 0.9, "why": ["left arm missing in the model (6.9% of this view's silhouette)"],
             "lost": [{"part": "left arm", "fraction": 0.069}]}
    text = correction_text(1, blame)
    assert text.startswith(f"{CORRECTION_MARK} 1:") and "left arm missing in the model" in text
    assert "both arms clearly apart from the body" in text and "the back view drawn before" in text
    # The re-edit is the view preset's prompt with the correction added: one Gemini prompt.
    from figurine_forge.core.make import loop

    prompt = loop._prompt(MakePlan(prompt="x"), "rear-view", text)
    assert prompt.startswith("The image shows a character seen from the front.") and prompt.endswith(text)
    assert CORRECTION_MARK not in loop._prompt(MakePlan(prompt="x"), "rear-view")


def test_attempt_rows_of_a_job_without_a_make(tmp_path):
    """A job with two generations and a review of the second: one row per model, the review's
    verdict, score and clay render with the second."""
    from figurine_forge.core.make import attempt_row, attempt_rows

    job = Job.open(tmp_path / "job")
    labels = []
    for i in range(2):
        with job.step("generate", {"provider": "3daistudio"}) as step:
            (step.folder / "model.glb").write_bytes(b"glTF")
            job.finish_step(step, {"mesh": step.folder / "model.glb"}, {"task_id": f"t{i}"})
            labels.append(step.relpath(step.folder / "model.glb"))
    with job.step("review", {"model": labels[1]}) as step:
        (step.folder / "clay_three_quarter.png").write_bytes(b"png")
        job.finish_step(step, {}, {"decision": "keep", "score": 0.97})
    rows = attempt_rows(job)
    assert [(r["n"], r["model"], r["decision"], r["task_id"]) for r in rows] == [
        (1, labels[0], "", "t0"), (2, labels[1], "keep", "t1")]
    assert rows[0]["clay"] is None and rows[1]["clay"].endswith("-review/clay_three_quarter.png")
    assert attempt_row(job, 2)["score"] == 0.97
    with pytest.raises(BadInputError, match="no attempt 3"):
        attempt_row(job, 3)
