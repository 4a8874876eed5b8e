# SPDX-License-Identifier: GPL-3.0-or-later
"""The generated models of a job, one row each, as the panel shows them side by side and the
CLI lists them: the make's attempts (verdict, score, clay render, which view was re-edited),
or, for a job without a make, every model a ``generate`` step delivered with its newest
review."""

from __future__ import annotations

from ..errors import BadInputError
from ..jobstore import Job

# The review's clay render shown as the attempt's thumbnail (``core.review`` names them).
CLAY_THUMBNAIL = "clay_three_quarter.png"


def _from_make(attempts: list[dict]) -> list[dict]:
    rows = []
    for a in attempts:
        review = a.get("review") or {}
        retry = a.get("retry") or {}
        rows.append({"n": int(a["n"]), "source": "make", "model": a.get("model"), "state": a.get("state", ""),
                     "decision": review.get("decision", ""), "score": review.get("score"),
                     "clay": review.get("clay"), "review": review.get("folder"),
                     "re_edited": sorted(retry.get("views", {})) if retry.get("how") == "re-edited view" else [],
                     "retry": retry.get("how", ""), "chosen": bool(a.get("chosen")),
                     "task_id": a.get("task_id"), "prepare_step": a.get("prepare_step")})
    return rows


def _from_generations(job: Job) -> list[dict]:
    from ..review.model import job_models

    reviews: dict[str, dict] = {}
    for entry in job.steps:  # oldest first: the newest review of each model wins
        if entry.get("name") == "review" and entry.get("status") == "done":
            reviews[str(entry.get("params", {}).get("model", ""))] = entry
    rows: list[dict] = []
    for model in (m for m in job_models(job) if m.from_generator):
        review = reviews.get(model.label) or {}
        result = review.get("result", {})
        clay = f"{review['folder']}/{CLAY_THUMBNAIL}" if review and (job.root / review["folder"] / CLAY_THUMBNAIL
                                                                     ).is_file() else None
        rows.append({"n": len(rows) + 1, "source": "generate", "model": model.label,
                     "state": "reviewed" if review else "generated",
                     "decision": result.get("decision", ""), "score": result.get("score"), "clay": clay,
                     "review": review.get("folder"), "re_edited": [], "retry": "", "chosen": False,
                     "task_id": model.task_id, "prepare_step": None})
    return rows


def attempt_rows(job: Job) -> list[dict]:
    """One row per generated model of ``job``, oldest first (see the module's text); paths are
    job-relative (``model``, ``clay``, ``review``)."""
    attempts = (job.manifest.get("make") or {}).get("attempts") or []
    return _from_make(attempts) if attempts else _from_generations(job)


def attempt_row(job: Job, n: int) -> dict:
    """Attempt ``n``'s row, with a model file to load."""
    rows = attempt_rows(job)
    row = next((r for r in rows if r["n"] == n), None)
    if row is None:
        raise BadInputError(f"{job.root} has no attempt {n}",
                            hint=f"it has {len(rows)} generated model(s)" if rows else "make or generate a model first")
    if not row.get("model") or not (job.root / row["model"]).is_file():
        raise BadInputError(f"attempt {n} of {job.root} has no model file ({row['state'] or 'not generated'})",
                            hint="resume the make to finish it")
    return row
