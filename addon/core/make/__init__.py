# SPDX-License-Identifier: GPL-3.0-or-later
"""``figurine make``: the workflow's loop from a prompt, a photo or a front view to a reviewed,
repaired figure, resumable at every stage (see ``loop``)."""

from .attempts import attempt_row, attempt_rows
from .loop import (MakeHooks, MakeResult, finish_stage, generation_stage, is_unfinished_make, load_plan, review_stage,
                   run, start, views_stage)
from .plan import AI_STEPS, DEFAULT_OPTIONS, DEFAULT_PROVIDER, MakePlan, default_ai_steps

__all__ = ["AI_STEPS", "DEFAULT_OPTIONS", "DEFAULT_PROVIDER", "MakeHooks", "MakePlan", "MakeResult",
           "attempt_row", "attempt_rows", "default_ai_steps", "finish_stage", "generation_stage",
           "is_unfinished_make", "load_plan", "review_stage", "run", "start", "views_stage"]
