# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine resume: pick up a generation task a job already paid for; never submits again."""

from __future__ import annotations

from ..core.errors import EXIT_OK

NAME = "resume"
HELP = ("Resume an unfinished generation in a job folder (after a crash, a timeout or Ctrl-C): "
        "poll the task it recorded and download the model; an unfinished `figurine make` continues from "
        "where it stopped. Never pays again for a task the job recorded.")


def add_arguments(p) -> None:
    p.add_argument("job", metavar="JOB_DIR", help="job folder written by `figurine generate` or `figurine make`")
    p.add_argument("--online", action="store_true", help="allow network access (required)")
    p.add_argument("--task", metavar="KEY", help="which task, when the job has several (default: the newest)")


def execute(args, out) -> int:
    from ..core import providers
    from ..core.jobstore import Job

    job = Job.open(args.job, create=False)
    from ..core.make import is_unfinished_make

    if is_unfinished_make(job) and args.task is None:
        # A make continues as a whole: finished edits and tasks are reused, never paid again.
        from .cmd_make import resume_make

        return resume_make(job.root, online=bool(args.online), out=out)
    config = providers.ProviderConfig.from_env(online=bool(args.online))
    result = providers.resume(job, task_key=args.task, config=config,
                              progress=lambda fraction, text: out.progress("resume", text, fraction))
    summary = {"ok": True, "job": str(job.root), **result.as_dict(job.root)}
    out.finish(summary, f"{result.latest_path or result.mesh_path} ({result.format.upper()}, task {result.task_id})")
    return EXIT_OK
