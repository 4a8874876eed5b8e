# SPDX-License-Identifier: GPL-3.0-or-later
"""From per-view comparisons (and the print check) to keep / fix / regenerate, in words.

"keep" needs evidence that can see a wrong shape: at least one side view (the front and back
see no depth) that the model was not built from. A local reconstruction carves its model out
of the input silhouettes, so comparing it with those same silhouettes agrees by construction;
such a review, or a single-view one, says "unverified" and what it could not check instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .silhouette import ViewComparison

# Per-view IoU at or above which a silhouette counts as agreeing with its input view. A visual
# hull of clean views lands at 0.95-0.99; outline resampling alone costs about 0.01.
KEEP_IOU = 0.95
# Below this the model is a different shape, not a flawed copy: generate it again.
REGENERATE_IOU = 0.85
# A missing patch this large (share of the view's silhouette) is a lost part — an arm, a head
# — that no repair brings back. Smaller patches (a thin hand, a trimmed edge) can be fixed.
LOST_PART = 0.03

ADVICE = {
    "keep": "The model matches its views; go ahead and print it.",
    "fix": "Close, but fix the points below in Blender (sculpt, repair, or re-check) before printing.",
    "regenerate": "The model does not match its views; generate it again (clearer or more views help).",
    "unverified": "Nothing wrong was found, but this review could not check everything (see below); look at "
                  "the clay renders from the side and at 3/4 before printing.",
}
SIDE_VIEWS = ("left", "right")


@dataclass
class Verdict:
    decision: str  # "keep", "fix", "regenerate" or "unverified"
    score: float  # mean IoU over the compared views
    reasons: list[str] = field(default_factory=list)
    worst_view: str = ""

    @property
    def advice(self) -> str:
        return ADVICE[self.decision]

    def to_dict(self) -> dict:
        return {"decision": self.decision, "score": round(self.score, 4), "worst_view": self.worst_view,
                "reasons": list(self.reasons), "advice": self.advice}


def decide(comparisons: list[ViewComparison], check: dict | None = None, *,
           built_from: Iterable[str] = (), ambiguities: Iterable[str] = ()) -> Verdict:
    """The verdict over all compared views, with the findings that drove it first.

    ``built_from``: the views whose silhouettes the model was made from (a local
    reconstruction's inputs); their agreement is no evidence (see the module's text).
    ``ambiguities``: where those views could not place the parts (phantom legs,
    ``core.reconstruct.ambiguity``); no silhouette can judge that either, so said plainly."""
    if not comparisons:
        raise ValueError("no views to judge")
    ious = {c.view: c.iou for c in comparisons}
    worst = min(ious, key=lambda v: ious[v])
    score = sum(ious.values()) / len(ious)
    regenerate: list[str] = []
    fix: list[str] = []
    for c in comparisons:
        if c.iou < REGENERATE_IOU:
            regenerate.append(f"silhouette agrees only {c.iou:.2f} in the {c.view} view")
        elif c.iou < KEEP_IOU:
            fix.append(f"silhouette agrees {c.iou:.2f} in the {c.view} view (below {KEEP_IOU:.2f})")
        for region in c.regions:
            text = region.describe(c.view)
            if region.kind == "missing" and region.fraction >= LOST_PART:
                regenerate.append(text)
            else:
                fix.append(text)
    if check is not None and check.get("passed") is False:
        fix.append("the print check failed: " + (", ".join(check_findings(check)) or "see the check summary"))
    decision = "regenerate" if regenerate else "fix" if fix else "keep"
    unchecked = _unchecked(list(ious), set(built_from))
    open_places = [f"could not be judged: {text}" for text in ambiguities]
    if decision == "keep" and (unchecked or open_places):
        decision = "unverified"
    # First: the panel and the CLI show the first reason.
    caveat = [*([unchecked] if unchecked else []), *open_places]
    agree = (f"silhouette agrees {score:.2f} over {len(ious)} view(s); worst: {worst} {ious[worst]:.2f}")
    notes = []
    if check is not None and check_warnings(check):
        # Findings the check does not fail on (overhangs need supports, sharp edges...): worth
        # knowing before printing, but no reason to change the model.
        notes.append("print check notes: " + ", ".join(check_warnings(check)))
    return Verdict(decision, score, [*caveat, *regenerate, *fix, agree, *notes], worst)


def check_warnings(check: dict) -> list[str]:
    """The print check's non-failing findings in words ("5849 overhang faces")."""
    raw = check.get("checks")
    counts: dict = raw if isinstance(raw, dict) else {}
    names = check.get("warnings")
    if not isinstance(names, list):
        return []
    out = []
    for name in names:
        value = counts.get(name)
        words = str(name).replace("_", " ")
        out.append(f"{value} {words}" if isinstance(value, int) and not isinstance(value, bool) else words)
    return out


def check_findings(check: dict) -> list[str]:
    """The print check's failed checks in words ("12 thin faces", "unstable").

    Reads the engine's report: ``failures`` names the checks that failed and ``checks``
    holds their counts. Without ``failures``, non-zero counts are listed (one loose part is
    the figure itself; ``min_*`` entries are measurements, not counts)."""
    raw = check.get("checks")
    counts: dict = raw if isinstance(raw, dict) else {}
    failures = check.get("failures")
    if isinstance(failures, list):
        found = []
        for name in failures:
            value = counts.get(name)
            words = str(name).replace("_", " ")
            found.append(f"{value} {words}" if isinstance(value, int) and not isinstance(value, bool) else words)
        return found
    found = []
    for name, value in counts.items():
        if isinstance(value, int) and not isinstance(value, bool) and not name.startswith("min_"):
            if value > (1 if name == "loose_parts" else 0):
                found.append(f"{value} {name.replace('_', ' ')}")
    return found


def _unchecked(views: list[str], built_from: set[str]) -> str:
    """What the compared views cannot show, in words ("" when they can judge the shape)."""
    independent = [v for v in views if v not in built_from]
    if views and not independent:
        return (f"the model was built from these same silhouettes ({', '.join(views)}), so their agreement cannot "
                f"show a wrong depth or shape between the views: check the clay renders by eye")
    if not any(v in SIDE_VIEWS for v in independent):
        return (f"only the {' and '.join(independent)} view{'s were' if len(independent) > 1 else ' was'} compared, "
                f"so the depth (the side profile) could not be checked: add a side view, or check the clay "
                f"renders from the side by eye")
    return ""


def ambiguities_recorded(manifest: dict) -> list[str]:
    """What the local reconstruction that made the job's model said it could not place
    (the "ambiguities" of its generate or reconstruct step; [] for any other model)."""
    steps = [s for s in manifest.get("steps", []) if isinstance(s, dict) and s.get("status") == "done"]
    models = [s for s in steps if s.get("name") in ("export", "generate", "reconstruct")]
    source = models[-1] if models else None
    if source is not None and source.get("name") == "export":
        recon = [s for s in steps if s.get("name") == "reconstruct"]
        source = recon[-1] if recon else None
    found = (source or {}).get("result", {}).get("ambiguities", [])
    return [str(t) for t in found] if isinstance(found, list) else []


def views_the_model_was_built_from(manifest: dict) -> list[str]:
    """The views a job's local reconstruction carved its ``figurine.stl`` from ([] if none)."""
    steps = [s for s in manifest.get("steps", []) if isinstance(s, dict) and s.get("status") == "done"]
    models = [s for s in steps if s.get("name") in ("export", "generate", "reconstruct")]
    if models and models[-1].get("name") == "generate":
        # A generator's model: the local provider carves it from the views' silhouettes; a
        # remote one is made by a model that draws its own shape, judged by every view.
        params = models[-1].get("params", {})
        views = params.get("views", [])
        return [str(v) for v in views] if params.get("provider") == "local" and isinstance(views, list) else []
    recon = [s for s in steps if s.get("name") == "reconstruct"]
    if not recon:
        return []
    before = [s for s in steps if s.get("name") == "prepare" and s.get("index", 0) < recon[-1].get("index", 0)]
    if not before:
        return []
    views = before[-1].get("params", {}).get("views", [])
    return [str(v) for v in views] if isinstance(views, list) else []
