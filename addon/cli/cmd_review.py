# SPDX-License-Identifier: GPL-3.0-or-later
"""figurine review: clay renders, the model against its input views, report.html + review.json."""

from __future__ import annotations

from ..core.errors import EXIT_OK

NAME = "review"
HELP = ("Review a job's model: clay renders, silhouettes against the input views, heat maps; "
        "writes JOB_DIR/report.html and JOB_DIR/review.json.")


def add_arguments(p) -> None:
    p.add_argument("job_dir", metavar="JOB_DIR", help="a job folder (run, generate or make); its newest model is reviewed")
    p.add_argument("--size", type=int, default=512, metavar="PX",
                   help="render and comparison size in pixels (default 512)")
    p.add_argument("--preset", default=None,
                   help="print-check preset for the summary and heat maps: resin or fdm (default: the job's)")
    p.add_argument("--no-check", action="store_true",
                   help="skip the print check and its heat maps (faster; silhouettes only)")


def execute(args, out) -> int:
    from .blender_host import empty_scene

    with empty_scene():
        from ..blender.review import review_job

        result = review_job(args.job_dir, size=args.size, preset=args.preset, run_check=not args.no_check,
                            progress=lambda step, frac, msg: out.progress(step, msg, frac))
    review = result.review
    verdict = review["verdict"]
    summary = {
        "ok": True, "job_dir": str(result.job_dir), "report_html": str(result.html_path),
        "review_json": str(result.review_path), "verdict": verdict["decision"], "score": review["score"],
        "reasons": verdict["reasons"],
        "views": [{"view": v["view"], "iou": v["iou"], "findings": v["findings"]} for v in review["views"]],
        "model": review.get("model"), "model_import": review.get("model_import"),
    }
    changes = (review.get("model_import") or {}).get("changes") or []
    lines = [f"model: {review.get('model')}"] + [f"  import: {c}" for c in changes]
    lines += [f"{v['view']:>6}: IoU {v['iou']:.3f}" + (f"  ({'; '.join(v['findings'])})" if v["findings"] else "")
             for v in review["views"]]
    lines.append(f"verdict: {verdict['decision']} (score {review['score']:.3f}) — {verdict['advice']}")
    lines += [f"  - {r}" for r in verdict["reasons"]]
    lines.append(f"report: {result.html_path}")
    out.finish(summary, "\n".join(lines))
    # The review itself succeeded whatever it found; the verdict is in the output for scripts.
    return EXIT_OK
