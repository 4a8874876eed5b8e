# SPDX-License-Identifier: GPL-3.0-or-later
"""The review's two outputs: ``review.json`` for scripts and ``report.html`` for people.

The HTML is self-contained: every image is embedded as a PNG data URI, so the file opens in
any browser with no server, still works when mailed or moved out of the job folder, and the
copy promoted to the job's top level shows the same as the one in the step folder. The images
also stay as files in the review step folder (Blender's panel shows those). Links to the job's
other files (STL, report.json) are relative to the job folder, where the report is published.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

from .. import atomic
from ..errors import OutputError
from .verdict import check_findings

REVIEW_FORMAT = 1
# Material estimates: typical standard photopolymer resin, and solid PLA (miniatures this
# small print close to 100 % infill because their walls are thinner than any infill pattern).
RESIN_G_PER_ML = 1.10
PLA_G_PER_CM3 = 1.24

VIEW_TITLES = {"front": "Front", "back": "Back", "left": "Left", "right": "Right", "three_quarter": "3/4",
               "front_below": "Front, from below", "back_below": "Back, from below"}
_VERDICT_COLOURS = {"keep": "#2e7d32", "fix": "#b26a00", "regenerate": "#c62828", "unverified": "#5c6bc0"}


def material_estimate(volume_mm3: float) -> dict:
    """Volume of the solid model and what printing it solid costs in material."""
    ml = abs(float(volume_mm3)) / 1000.0
    return {"volume_ml": round(ml, 4), "resin_ml": round(ml, 3), "resin_g": round(ml * RESIN_G_PER_ML, 3),
            "pla_g": round(ml * PLA_G_PER_CM3, 3),
            "assumptions": f"solid; resin {RESIN_G_PER_ML} g/ml, PLA {PLA_G_PER_CM3} g/cm³; supports not included"}


# -- JSON ------------------------------------------------------------------------------------
def write_review_json(path: str | os.PathLike, review: dict) -> Path:
    return atomic.write_json(path, review)


# -- HTML ------------------------------------------------------------------------------------
def _data_uri(root: Path, rel: str) -> str:
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"the review image {rel} cannot be read ({exc.strerror or exc})",
                          hint="run the review again") from None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _img(root: Path, rel: str | None, alt: str) -> str:
    if not rel:
        return '<div class="noimg">no image</div>'
    return (f'<img src="{_data_uri(root, rel)}" alt="{html.escape(alt)}" '
            f'title="{html.escape(rel)}" data-file="{html.escape(rel)}">')


def _e(value) -> str:
    return html.escape(str(value))


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f4f4;color:#222}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #ccc;padding-bottom:4px}
.meta{color:#666;font-size:13px}
.verdict{border-left:8px solid var(--c);background:#fff;padding:14px 18px;margin:18px 0;border-radius:4px}
.verdict .word{font-size:24px;font-weight:700;color:var(--c);text-transform:uppercase;letter-spacing:.04em}
.verdict .score{font-size:18px;margin-left:14px}
table{border-collapse:collapse;background:#fff;width:100%}
td,th{border:1px solid #ddd;padding:6px 8px;vertical-align:top;text-align:left}
th{background:#eee}
.views td img,.grid img{width:100%;max-width:260px;display:block;background:#bebebe}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.grid figure{margin:0;background:#fff;padding:6px;border:1px solid #ddd}
figcaption{font-size:13px;color:#444;margin-top:4px}
.iou{font-size:22px;font-weight:700}.ok{color:#2e7d32}.warn{color:#b26a00}.bad{color:#c62828}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}
.noimg{width:200px;height:200px;background:#ddd;color:#777;display:flex;align-items:center;justify-content:center}
code{font-size:13px}
"""


def _iou_class(iou: float) -> str:
    from .verdict import KEEP_IOU, REGENERATE_IOU

    return "ok" if iou >= KEEP_IOU else "warn" if iou >= REGENERATE_IOU else "bad"


def render_html(review: dict, root: str | os.PathLike) -> str:
    """The report page for ``review`` (as written to review.json); image paths in it are
    relative to ``root`` (the job folder) and are embedded."""
    root = Path(root)
    verdict = review["verdict"]
    colour = _VERDICT_COLOURS[verdict["decision"]]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>Figurine review — {_e(verdict['decision'])}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Figurine review</h1>",
        f'<div class="meta">job <code>{_e(review.get("job", ""))}</code> · model '
        f'<code>{_e(review.get("model", ""))}</code> · {_e(review.get("created", ""))} · '
        f'{_e(review.get("tool", ""))}</div>',
        f'<section class="verdict" style="--c:{colour}"><span class="word">{_e(verdict["decision"])}</span>'
        f'<span class="score">score {verdict["score"]:.3f}</span>'
        f'<p>{_e(verdict["advice"])}</p><ul>',
        *(f"<li>{_e(r)}</li>" for r in verdict["reasons"]),
        "</ul></section>",
    ]
    changes = (review.get("model_import") or {}).get("changes") or []
    if changes:  # what the import did to a generator's model before the review looked at it
        parts += ["<h2>What the import changed</h2><ul>", *(f"<li>{_e(c)}</li>" for c in changes), "</ul>"]

    # Input views against the model's renders.
    parts += [
        "<h2>The model against its input views</h2>",
        '<p class="legend">Difference:<span style="background:rgb(128,128,128)"></span>agree'
        '<span style="background:rgb(220,30,30)"></span>missing from the model'
        '<span style="background:rgb(30,80,230)"></span>extra in the model</p>',
        '<table class="views"><tr><th>view</th><th>input</th><th>clay render</th><th>difference</th>'
        "<th>agreement</th></tr>",
    ]
    for v in review["views"]:
        title = VIEW_TITLES.get(v["view"], v["view"])
        imgs = v.get("images", {})
        findings = "".join(f"<li>{_e(f)}</li>" for f in v.get("findings", [])) or "<li>no disagreement found</li>"
        parts.append(
            f"<tr><td><b>{_e(title)}</b></td><td>{_img(root, imgs.get('input'), f'{title} input')}</td>"
            f"<td>{_img(root, imgs.get('render'), f'{title} clay render')}</td>"
            f"<td>{_img(root, imgs.get('diff'), f'{title} difference')}</td>"
            f'<td><div class="iou {_iou_class(v["iou"])}">IoU {v["iou"]:.3f}</div>'
            f'<div>missing {v["missing"] * 100:.1f}% · extra {v["extra"] * 100:.1f}%</div><ul>{findings}</ul></td></tr>')
    parts.append("</table>")

    # All clay renders, including views without an input (3/4).
    parts.append("<h2>Clay renders</h2><div class=\"grid\">")
    for view, rel in review.get("renders", {}).items():
        title = VIEW_TITLES.get(view, view)
        parts.append(f"<figure>{_img(root, rel, f'{title} clay')}<figcaption>{_e(title)}</figcaption></figure>")
    parts.append("</div>")

    # Heat maps from the print check's maps.
    parts.append("<h2>Heat maps</h2>")
    heat = review.get("heatmaps") or {}
    if heat.get("maps"):
        for hm in heat["maps"]:
            parts.append(f"<p><b>{_e(hm['title'])}</b> — {_e(hm['caption'])}</p><div class=\"grid\">")
            for view, rel in hm["images"].items():
                title = VIEW_TITLES.get(view, view)
                parts.append(f"<figure>{_img(root, rel, hm['title'] + ' ' + title)}"
                             f"<figcaption>{_e(title)}</figcaption></figure>")
            parts.append("</div>")
    else:
        parts.append(f"<p>{_e(heat.get('note', 'No heat maps.'))}</p>")

    # Print facts.
    pr = review.get("print", {})
    size = pr.get("size_mm") or [0, 0, 0]
    mat = pr.get("material", {})
    parts += [
        "<h2>Print</h2><table>",
        f"<tr><th>size (W × D × H)</th><td>{size[0]:.1f} × {size[1]:.1f} × {size[2]:.1f} mm</td></tr>",
        f"<tr><th>volume</th><td>{mat.get('volume_ml', 0):.3f} ml</td></tr>",
        f"<tr><th>material estimate</th><td>resin {mat.get('resin_ml', 0):.2f} ml "
        f"(≈ {mat.get('resin_g', 0):.2f} g) · PLA ≈ {mat.get('pla_g', 0):.2f} g"
        f"<br><small>{_e(mat.get('assumptions', ''))}</small></td></tr>",
        "</table>",
    ]
    parts.append("<h2>Print check</h2>")
    check = review.get("check")
    if isinstance(check, dict):
        passed = check.get("passed")
        state = "passed" if passed else "failed" if passed is False else "no verdict"
        parts.append(f'<p class="{"ok" if passed else "bad"}"><b>{state}</b>'
                     f'{_e(" (" + str(check.get("source")) + ")") if check.get("source") else ""}</p>')
        failed = check_findings(check)
        if failed:
            parts.append("<ul>" + "".join(f"<li>{_e(f)}</li>" for f in failed) + "</ul>")
        rows = check.get("checks")
        if isinstance(rows, dict) and rows:
            parts.append("<table><tr><th>check</th><th>result</th></tr>")
            parts += [f"<tr><td>{_e(k.replace('_', ' '))}</td><td>{_e(v)}</td></tr>" for k, v in rows.items()
                      if isinstance(v, (int, float, str, bool)) or v is None]
            parts.append("</table>")
    else:
        parts.append("<p>No print check results in this job.</p>")

    # Files.
    parts.append("<h2>Files</h2><table><tr><th>file</th><th>what</th></tr>")
    for f in review.get("files", []):
        parts.append(f'<tr><td><a href="{_e(f["path"])}">{_e(f["path"])}</a></td><td>{_e(f["what"])}</td></tr>')
    parts.append("</table></main></body></html>")
    return "\n".join(parts) + "\n"


def write_html(path: str | os.PathLike, review: dict, root: str | os.PathLike) -> Path:
    return atomic.write_text(path, render_html(review, root))
