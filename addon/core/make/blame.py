# SPDX-License-Identifier: GPL-3.0-or-later
"""Which view a failed attempt is blamed on, and what to tell the image model when it is
drawn again.

The review compares the model's clay silhouette with every input view (``core.review``:
per-view IoU and the named regions that are missing or extra). When one or a few views
disagree at the verdict's "regenerate" level while the others agree, the views probably
disagree with each other there — a side view drawn in another pose, an arm hidden against the
body — and the generator could not satisfy them all: drawing that view again, told what was
wrong, is the better next try. When every view disagrees the generator failed on its own (a
different shape): a new seed, not a new view."""

from __future__ import annotations

from ..review.verdict import LOST_PART, REGENERATE_IOU

# Job-prompt marker of a corrective re-edit: the initial view edits never carry it, so a
# resumed make never takes a re-edit for a first drawing (or the other way round).
CORRECTION_MARK = "Correction after 3D attempt"

# What to ask for, by the kind of part the model lacks ("left arm" -> arms).
_GUIDANCE = (("arm", "both arms clearly apart from the body"),
             ("leg", "both legs clearly apart from each other"),
             ("head", "the whole head, nothing cut off"),
             ("foot", "the feet and the base whole"),
             ("feet", "the feet and the base whole"))


def view_scores(review: dict) -> dict[str, dict]:
    """slot -> the review's score of that view: ``{"iou", "missing", "extra", "lost",
    "findings"}``; ``lost`` are the missing regions at least ``LOST_PART`` of the silhouette."""
    out: dict[str, dict] = {}
    for entry in review.get("views") or []:
        regions = entry.get("regions") or []
        lost = [r for r in regions if r.get("kind") == "missing" and float(r.get("fraction", 0)) >= LOST_PART]
        out[str(entry["view"])] = {
            "iou": float(entry.get("iou", 0.0)), "missing": float(entry.get("missing", 0.0)),
            "extra": float(entry.get("extra", 0.0)),
            "lost": [{"part": r.get("part", ""), "fraction": float(r.get("fraction", 0))} for r in lost],
            "findings": list(entry.get("findings") or [])[:3]}
    return out


def blamed_views(review: dict) -> list[dict]:
    """The views the model disagrees with at the "regenerate" level, worst first, each with
    why: ``[{"view", "iou", "why": [...], "lost": [...]}]``. Empty when no view fails, or when
    every compared view fails (the generator failed, not a view)."""
    scores = view_scores(review)
    failing = [v for v, s in scores.items() if s["iou"] < REGENERATE_IOU or s["lost"]]
    if not failing or len(failing) == len(scores):
        return []
    out = []
    for view in sorted(failing, key=lambda v: scores[v]["iou"]):
        s = scores[view]
        why = [f"{p['part']} missing in the model ({p['fraction'] * 100:.1f}% of this view's silhouette)"
               for p in s["lost"]]
        if s["iou"] < REGENERATE_IOU:
            why.append(f"the silhouettes agree only {s['iou']:.2f}")
        out.append({"view": view, "iou": round(s["iou"], 4), "why": why, "lost": s["lost"]})
    return out


def guidance(blame: dict) -> str:
    """What the redrawn view must show, from the parts the model lacks."""
    wanted = []
    for lost in blame.get("lost", []):
        part = str(lost.get("part", ""))
        for key, text in _GUIDANCE:
            if key in part and text not in wanted:
                wanted.append(text)
                break
    if not wanted:
        wanted.append("every part of the body where the front view shows it, its outline clear against the "
                      "background")
    return ", ".join(wanted)


def correction_text(attempt_n: int, blame: dict) -> str:
    """The instruction added to the view's preset for a re-edit (one paragraph, no secrets)."""
    why = "; ".join(blame.get("why") or ["it does not match the model"])
    return (f"{CORRECTION_MARK} {attempt_n}: the 3D model made from these views does not match the "
            f"{blame['view']} view drawn before: {why}. Draw this view again so that it agrees exactly with "
            f"the front view (the same pose and proportions) and shows {guidance(blame)} in this view.")
