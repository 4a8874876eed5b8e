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
