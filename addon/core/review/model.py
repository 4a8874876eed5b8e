# SPDX-License-Identifier: GPL-3.0-or-later
"""Which model of a job a review looks at: the newest one, whatever made it.

A job can hold the run's ``figurine.stl`` (the local reconstruction, already in the views'
pose and in mm), models a 3D generator delivered (GLB, zip, OBJ... in the generator's pose and
unit), and the make loop's attempts. The newest finished step that produced a model wins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError
from ..jobstore import Job

# Step name -> the output key holding its model. "export" is the run's figurine.stl.
MODEL_STEPS = {"export": None, "generate": "mesh"}


@dataclass
class JobModel:
    path: Path
    label: str  # what the review calls it ("figurine.stl", "steps/004-generate/model.glb")
    step_name: str  # "export", "generate" or "" (the top-level file without a step)
    step_index: int
    # A generator's file (remote or the local provider's): its facing and size are found before
    # the review; the run's export is already in the views' pose and the job's size.
    from_generator: bool
    task_id: str = ""
    provider: str = ""


def _export_path(job: Job, entry: dict) -> Path | None:
    candidate = job.root / entry["folder"] / "figurine.stl"
    return candidate if candidate.is_file() else None


def job_models(job: Job) -> list[JobModel]:
    """Every model the job's finished steps hold, oldest first."""
    found: list[JobModel] = []
    for entry in job.steps:
        if entry.get("status") != "done" or entry.get("name") not in MODEL_STEPS:
            continue
        name = entry["name"]
        if name == "export":
            path = _export_path(job, entry)
            if path is None:
                continue
            # The job's top-level copy is what users know; it is the newest export's copy.
            found.append(JobModel(path, "figurine.stl", name, int(entry["index"]), False))
            continue
        rel = entry.get("outputs", {}).get(MODEL_STEPS[name])
        if not isinstance(rel, str) or not (job.root / rel).is_file():
            continue
        params = entry.get("params", {})
        found.append(JobModel(job.root / rel, rel, name, int(entry["index"]),
                              from_generator=True,
                              task_id=str(entry.get("result", {}).get("task_id", "")),
                              provider=str(params.get("provider", ""))))
    return found


def newest_model(job: Job) -> JobModel:
    """The model a review of ``job`` looks at (see the module's text)."""
    models = job_models(job)
    top = job.root / "figurine.stl"
    if models and models[-1].step_name == "export" and top.is_file():
        # The published copy: what users open, sculpt and save back in place.
        return JobModel(top, "figurine.stl", "export", models[-1].step_index, False)
    if models:
        return models[-1]
    if top.is_file():
        return JobModel(top, "figurine.stl", "", 0, False)
    raise BadInputError(f"{job.root} has no model to review (no figurine.stl and no finished generation)",
                        hint="run 'figurine make', 'figurine generate' or 'figurine run' for this job first")
