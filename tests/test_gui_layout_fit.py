# SPDX-License-Identifier: GPL-3.0-or-later
"""The GUI driver's "labels cut at the sidebar's width" arithmetic (tests/gui/layout_fit.py),
without Blender: Blender 4.3 gives each item of a row an equal share, so a short label beside
a long one cuts the long one even when the two texts together would fit the row."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "gui"))
from layout_fit import ROW_GAP, BOX_MARGIN, Group, Text, collect_tight, cut_texts, natural  # noqa: E402


def label(text: str, need: float) -> Text:
    return Text("label", text, False, need)


def cuts(node, width: float, scale: float = 1.0) -> list[tuple[str, int]]:
    out: list = []
    cut_texts(node, width, "panel", out, scale)
    return [(c["text"], c["have_px"]) for c in out]


def test_a_row_shares_its_width_equally_not_by_need():
    # 80 + 150 px (+ the gap) fit 260 px together, but each gets (260 - 4) / 2 = 128 px: the
    # long one is cut. The old rule (a row fits when the sum fits) found nothing here.
    row = Group("row", [label("Score 0.93", 80), label("Back view redrawn by Gemini", 150)])
    assert cuts(row, 260) == [("Back view redrawn by Gemini", 128)]
    assert natural(row) == 2 * 150 + ROW_GAP
    assert cuts(row, 2 * 150 + ROW_GAP) == []
    # The same row in a wider panel, or at a bigger UI scale (the gap grows with it).
    assert cuts(row, 320) == []
    assert natural(row, scale=2.0) == 2 * 150 + 2 * ROW_GAP


def test_an_aligned_row_has_no_gaps_and_three_items_get_a_third_each():
    row = Group("row", [label("A", 40), label("B", 40), label("Longer text", 95)], align=True)
    assert cuts(row, 270) == [("Longer text", 90)]
    assert cuts(row, 285) == []


def test_icon_only_items_keep_their_unit_and_the_texts_share_the_rest():
    icon = Text("button", "", True, 20)
    row = Group("row", [icon, label("Load 1", 60), label("A rather long label", 130)])
    # 260 - 2 gaps - 20 px icon = 232 px for the two texts: 116 each.
    assert cuts(row, 260) == [("A rather long label", 116)]
    assert natural(row) == 20 + 2 * 130 + 2 * ROW_GAP
    # A text field without a name is sized as text by Blender: it takes a share.
    field = Text("field", "", False, 40, shares=True)
    assert cuts(Group("row", [field, label("Folder name", 100)], align=True), 160) == [("Folder name", 80)]


def test_a_column_inside_a_row_takes_one_share_and_gives_it_whole_to_its_items():
    column = Group("column", [label("Keep", 40), label("Score 0.96 after a second try", 150)])
    row = Group("row", [Group("column", [label("Regenerate", 90)]), column])
    assert cuts(row, 244) == [("Score 0.96 after a second try", 120)]


def test_splits_and_boxes_keep_their_rules():
    split = Group("split", [label("Generate type:", 90), label("Multi-view", 120)], factor=1 / 3)
    assert cuts(split, 240) == [("Generate type:", 80)]
    assert cuts(split, 270) == []
    box = Group("box", [label("Inside a box", 200)])
    assert cuts(box, 200 + BOX_MARGIN) == []
    assert cuts(box, 200 + BOX_MARGIN - 2) == [("Inside a box", 198)]
    # A row inside a box shares what the box leaves.
    boxed = Group("box", [Group("row", [label("a", 30), label("b" * 10, 100)], align=True)])
    assert cuts(boxed, 200 + BOX_MARGIN) == []
    assert cuts(boxed, 190 + BOX_MARGIN) == [("b" * 10, 95)]


def test_tightest_rows_report_the_equal_share_need():
    row = Group("row", [label("x", 10), label("y", 100)])
    out: list = []
    collect_tight(Group("column", [row]), 204, "panel", out)
    assert out == [{"panel": "panel", "text": "x | y", "ratio": 1.0}]
