# SPDX-License-Identifier: GPL-3.0-or-later
"""How wide each drawn text is allowed to be in a sidebar panel: the arithmetic of
tests/gui/driver.py's "labels cut at the sidebar's width" check, without Blender (driver.py
measures the texts with blf inside Blender; tests/test_gui_layout_fit.py tests this part alone).

A layout is a tree: containers (``kind`` "column", "row", "split" or "box", with ``items``,
``factor`` and ``align``) holding ``Text`` leaves (what a label, button or field shows and the
pixels it needs). Blender 4.3 lays them out so:
  - a column (and a box, less its border) gives each item its whole width;
  - a row with the default (expand) alignment gives each item the same share, whatever its
    text: in a panel a row's items are not sized by their text (ui_text_icon_width gives every
    text button ten units), so a short label beside a long one leaves the long one only half
    the row even when the two texts together would fit. Only an icon-only item keeps its own
    width (one unit); the others share the rest. A non-aligned row leaves a gap between items;
  - a split gives its first item ``factor`` of the width and the rest share what is left.
A text wider than its share is what Blender cuts with "…".
"""

from __future__ import annotations

BOX_MARGIN = 12  # a box's border and inner margin, pixels at UI scale 1
ROW_GAP = 4  # between the items of a row that is not aligned


class Text:
    """One drawn text: what it says, whether an icon goes with it, and the pixels it needs."""

    def __init__(self, kind: str, text: str, icon: bool, need: float, shares: bool | None = None):
        self.kind, self.text, self.icon, self.need = kind, text, icon, need
        # Whether it takes a row's share: every text does, and so does a text or menu field
        # drawn without a name (Blender sizes it as text); an icon-only button or checkbox not.
        self.shares = bool(text) if shares is None else shares


class Group:
    """A container as the checks see it (driver.py's recording layout has the same fields)."""

    def __init__(self, kind: str, items: list | None = None, factor: float = 0.0, align: bool = False):
        self.kind, self.items, self.factor, self.align = kind, list(items or []), factor, align


def takes_share(node) -> bool:
    if isinstance(node, Text):
        return node.shares
    return any(takes_share(c) for c in node.items)


def _row_gap(node, scale: float) -> float:
    return 0.0 if node.align else ROW_GAP * scale * max(len(node.items) - 1, 0)


def row_shares(node, width: float, scale: float = 1.0) -> list[float]:
    """The width each item of a row gets: icon-only items their own, the others equal shares."""
    fixed = [None if takes_share(c) else natural(c, scale) for c in node.items]
    sharing = sum(f is None for f in fixed)
    rest = width - _row_gap(node, scale) - sum(f for f in fixed if f is not None)
    share = rest / sharing if sharing else 0.0
    return [share if f is None else f for f in fixed]


def natural(node, scale: float = 1.0) -> float:
    """The width ``node`` needs so that none of its texts is cut."""
    if isinstance(node, Text):
        return node.need
    widths = [natural(c, scale) for c in node.items]
    if not widths:
        return 0.0
    if node.kind == "row":  # equal shares: the widest text item sets every share
        fixed = sum(w for c, w in zip(node.items, widths) if not takes_share(c))
        sharing = [w for c, w in zip(node.items, widths) if takes_share(c)]
        return fixed + len(sharing) * max(sharing, default=0.0) + _row_gap(node, scale)
    if node.kind == "split":
        first = widths[0] / max(node.factor, 1e-3)
        rest = max(widths[1:], default=0.0) / max(1.0 - node.factor, 1e-3) * max(len(widths) - 1, 1)
        return max(first, rest)
    pad = BOX_MARGIN * scale if node.kind == "box" else 0.0
    return max(widths) + pad


def cut_texts(node, width: float, panel: str, out: list, scale: float = 1.0) -> None:
    """Every text of ``node`` that does not fit the ``width`` pixels it gets, appended to ``out``."""
    if isinstance(node, Text):
        if node.text and node.need > width + 0.5:
            out.append({"panel": panel, "text": node.text, "need_px": round(node.need), "have_px": round(width)})
        return
    if node.kind == "row":
        for c, share in zip(node.items, row_shares(node, width, scale)):
            cut_texts(c, share, panel, out, scale)
        return
    if node.kind == "split":
        for i, c in enumerate(node.items):
            share = node.factor if i == 0 else (1.0 - node.factor) / max(len(node.items) - 1, 1)
            cut_texts(c, width * share, panel, out, scale)
        return
    inner = width - (BOX_MARGIN * scale if node.kind == "box" else 0.0)
    for c in node.items:
        cut_texts(c, inner, panel, out, scale)


def collect_tight(node, width: float, panel: str, out: list, scale: float = 1.0) -> None:
    """need / have of each text of a column-like container's direct rows and items."""
    if isinstance(node, Text):
        if node.text:
            out.append({"panel": panel, "text": node.text, "ratio": round(node.need / max(width, 1), 3)})
        return
    if node.kind == "row":
        total = natural(node, scale)
        if node.items and total:
            out.append({"panel": panel, "text": " | ".join(c.text for c in node.items if isinstance(c, Text)),
                        "ratio": round(total / max(width, 1), 3)})
        return
    inner = width - (BOX_MARGIN * scale if node.kind == "box" else 0.0)
    for i, c in enumerate(node.items):
        share = (node.factor if i == 0 else 1 - node.factor) if node.kind == "split" else 1.0
        collect_tight(c, inner * share, panel, out, scale)
