# SPDX-License-Identifier: GPL-3.0-or-later
"""What a finished batch shows: the summary table (terminal) and ``index.html``.

``index.html`` is one self-contained page (inline CSS, no script, nothing fetched from the
network) in OUTPUT_DIR; it links each character's report and shows its clay render through
relative links, so the folder can be moved, zipped or served as it is.
"""

from __future__ import annotations

import html
from pathlib import Path

from .. import atomic
from .state import BatchState

INDEX = "index.html"


def summary_rows(state: BatchState) -> list[dict]:
    rows = []
    for name in state.data["order"]:
        e = state.characters.get(name, {})
        rows.append({"name": name, "status": e.get("status", "pending"), "provider": e.get("provider", ""),
                     "seconds": e.get("seconds"), "verdict": e.get("verdict") or "",
                     "reason": e.get("reason") or "", "stl": e.get("stl") or ""})
    return rows


def summary_table(state: BatchState) -> str:
    rows = summary_rows(state)
    head = ("character", "status", "provider", "time", "result")
    body = []
    for r in rows:
        secs = f"{r['seconds']:.0f} s" if isinstance(r["seconds"], (int, float)) else "-"
        result = r["stl"] if r["status"] == "done" else r["reason"]
        body.append((r["name"], r["status"], r["provider"], secs, result))
    widths = [max(len(h), *(len(str(b[i])) for b in body)) if body else len(h) for i, h in enumerate(head[:-1])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head[:-1], widths)) + "  " + head[-1]]
    for b in body:
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(b[:-1], widths)) + "  " + str(b[-1]))
    c = state.counts()
    lines.append(f"{c['done']} done, {c['failed']} failed"
                 + (f", {c['cancelled'] + c['pending'] + c['running']} not finished" if c['cancelled'] + c['pending'] + c['running'] else "")
                 + f" of {c['total']}")
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;background:#f4f4f4;color:#222}
h1{font-size:22px;margin:0 0 4px} p.sum{margin:0 0 18px;color:#444}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:14px}
.card{background:#fff;border-radius:8px;padding:10px;border:3px solid #ccc}
.card.done{border-color:#3a9d4f}.card.failed{border-color:#c8372d}.card.cancelled,.card.pending,.card.running{border-color:#c9a227}
.card h2{font-size:16px;margin:0 0 6px;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.badge.done{background:#3a9d4f}.badge.failed{background:#c8372d}.badge.cancelled,.badge.pending,.badge.running{background:#c9a227}
.thumb{display:block;width:100%;aspect-ratio:1;object-fit:contain;background:#bebebe;border-radius:4px;margin:8px 0}
.nothumb{display:flex;align-items:center;justify-content:center;width:100%;aspect-ratio:1;background:#e6e6e6;
border-radius:4px;margin:8px 0;color:#888;font-size:13px}
.reason{color:#8a1f17;font-size:13px;margin:6px 0} .meta{color:#555;font-size:13px} a{color:#1f5fa8}
"""


def _rel(state: BatchState, value: str | None) -> str | None:
    if not value:
        return None
    path = state.output_dir / value
    return Path(value).as_posix() if path.exists() else None


def write_index(state: BatchState) -> Path:
    c = state.counts()
    cards = []
    for name in state.data["order"]:
        e = state.characters.get(name, {})
        status = e.get("status", "pending")
        esc = html.escape
        clay = _rel(state, e.get("clay"))
        report = _rel(state, e.get("report_html")) or _rel(state, e.get("report"))
        stl = _rel(state, e.get("stl"))
        parts = [f'<div class="card {esc(status)}" id="c-{esc(name)}">',
                 f'<h2>{esc(name)}</h2><span class="badge {esc(status)}">{esc(status)}</span>']
        if clay:
            img = f'<img class="thumb" src="{esc(clay)}" alt="clay render of {esc(name)}">'
            parts.append(f'<a href="{esc(report)}">{img}</a>' if report else img)
        else:
            parts.append('<div class="nothumb">no render</div>')
        if e.get("reason"):
            parts.append(f'<div class="reason">{esc(str(e["reason"]))}</div>')
        meta = []
        if e.get("provider"):
            meta.append(esc(str(e["provider"])))
        if e.get("size_mm"):
            meta.append(f"{float(e['size_mm'][2]):.1f} mm tall")
        if e.get("verdict"):
            meta.append(f"review: {esc(str(e['verdict']))}")
        if isinstance(e.get("seconds"), (int, float)):
            meta.append(f"{e['seconds']:.0f} s")
        if meta:
            parts.append(f'<div class="meta">{" · ".join(meta)}</div>')
        links = []
        if report:
            links.append(f'<a href="{esc(report)}">report</a>')
        if stl:
            links.append(f'<a href="{esc(stl)}">STL</a>')
        for fmt, rel in sorted((e.get("files") or {}).items()):
            if fmt != "stl" and _rel(state, rel):
                links.append(f'<a href="{esc(rel)}">{esc(fmt.upper())}</a>')
        if e.get("log"):
            links.append(f'<a href="{esc(e["log"])}">log</a>')
        if links:
            parts.append(f'<div class="meta">{" · ".join(links)}</div>')
        parts.append("</div>")
        cards.append("".join(parts))
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Figurine batch</title>'
            f'<meta name="viewport" content="width=device-width"><style>{_CSS}</style></head><body>'
            f'<h1>Figurine batch</h1><p class="sum">{c["done"]} done · {c["failed"]} failed'
            f'{" · " + str(c["total"] - c["done"] - c["failed"]) + " not finished" if c["total"] - c["done"] - c["failed"] else ""}'
            f' · {c["total"]} characters</p><div class="grid">{"".join(cards)}</div></body></html>\n')
    return atomic.write_text(state.output_dir / INDEX, page)
