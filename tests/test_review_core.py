# SPDX-License-Identifier: GPL-3.0-or-later
"""Review core without Blender: silhouette IoU, registration, naming the disagreement, the
verdict, heat-map colours and the HTML/JSON writers."""

from __future__ import annotations

import base64
import io
import json
import re
from collections import deque

import numpy as np
import pytest
from PIL import Image

from figurine_forge.core.errors import BadInputError
from figurine_forge.core.review import heatmap, report, silhouette, verdict
from figurine_forge.core.review.silhouette import compare_view, compare_views, label_components

S = 256


def figure(arms=("image_left", "image_right"), legs=True, dx=0) -> np.ndarray:
    """A blocky standing figure on an S x S canvas, framed like a prepared view (6 % margins):
    head, torso, optional arms beside the torso, legs, a base. ``dx`` slides it sideways."""
    m = np.zeros((S, S), np.float32)
    top, bottom = int(S * 0.06), int(S * 0.94)
    h = bottom - top
    c = S // 2 + dx

    def box(y0, y1, x0, x1):
        m[top + int(h * y0):top + int(h * y1), c + int(h * x0):c + int(h * x1)] = 1.0

    box(0.00, 0.18, -0.09, 0.09)  # head
    box(0.18, 0.58, -0.16, 0.16)  # torso
    if "image_left" in arms:
        box(0.20, 0.56, -0.26, -0.18)
    if "image_right" in arms:
        box(0.20, 0.56, 0.18, 0.26)
    if legs:
        box(0.58, 0.93, -0.13, -0.02)
        box(0.58, 0.93, 0.02, 0.13)
    box(0.93, 1.00, -0.30, 0.30)  # base: the widest part, so the box does not move with an arm
    return m


def test_identical_silhouettes_agree_fully():
    target = figure()
    c = compare_view("front", target, target, size=S)
    assert c.iou == 1.0 and c.missing == 0.0 and c.extra == 0.0 and c.shift_px == 0
    assert c.regions == []
    assert c.diff is not None and c.diff.shape == (S, S, 3)
    assert set(map(tuple, c.diff.reshape(-1, 3))) == {silhouette.AGREE_RGB, silhouette.BACKGROUND_RGB}


def test_iou_is_the_exact_area_ratio():
    target = np.zeros((S, S), np.float32)
    target[50:150, 100:140] = 1.0  # 4000 px
    render = np.zeros_like(target)
    render[50:150, 100:130] = 1.0  # 3000 px inside it, and 500 px beside it
    render[200:210, 10:60] = 1.0
    c = compare_view("front", render, target, size=S, max_shift=0.0)
    assert c.iou == pytest.approx(3000 / 4500)
    assert c.missing == pytest.approx(1000 / 4000) and c.extra == pytest.approx(500 / 4000)
    assert (c.diff[60, 135] == silhouette.MISSING_RGB).all()  # in the input only: red
    assert (c.diff[205, 30] == silhouette.EXTRA_RGB).all()  # in the render only: blue
    assert (c.diff[60, 110] == silhouette.AGREE_RGB).all()


def test_a_sideways_offset_is_registered_away():
    target = figure()
    c = compare_view("front", figure(dx=7), target, size=S)
    assert c.shift_px == -7 and c.iou == 1.0


def test_comparison_resamples_the_input_to_the_compare_size():
    big = np.asarray(Image.fromarray((figure() * 255).astype(np.uint8)).resize((2 * S, 2 * S), Image.NEAREST),
                     np.float32) / 255.0
    c = compare_view("front", figure(), big, size=S)
    assert c.iou > 0.99


@pytest.mark.parametrize("view, removed, expected", [
    # front: image right = +X = the character's left; back: image right = the character's right.
    ("front", "image_right", "left arm"),
    ("front", "image_left", "right arm"),
    ("back", "image_right", "right arm"),
    ("back", "image_left", "left arm"),
])
def test_a_missing_arm_is_named_with_the_characters_side(view, removed, expected):
    keep = tuple(a for a in ("image_left", "image_right") if a != removed)
    c = compare_view(view, figure(arms=keep), figure(), size=S)
    assert c.iou < 0.97
    assert [r.part for r in c.regions] == [expected]
    assert c.regions[0].kind == "missing"
    assert c.regions[0].describe(view).startswith(f"{expected} missing in the {view} view")


def test_side_views_name_front_and_back_of_the_character():
    # left view: image right = -Y = the character's front (it faces the viewer's right).
    target = figure(arms=())
    render = target.copy()
    top, h = int(S * 0.06), int(S * 0.88)
    render[top + int(h * 0.25):top + int(h * 0.5), S // 2 + 5:S // 2 + 41] = 0.0  # front half of the chest gone
    (left,) = compare_views({"left": render}, {"left": target}, size=S)
    assert [r.part for r in left.regions] == ["front of the upper body"]
    (right,) = compare_views({"right": render}, {"right": target}, size=S)
    assert [r.part for r in right.regions] == ["back of the upper body"]


def test_extra_material_and_lost_legs_are_located():
    target = figure(legs=False)
    c = compare_view("front", figure(), target, size=S)
    assert {r.kind for r in c.regions} == {"extra"}
    assert {r.part for r in c.regions} == {"left leg", "right leg"}
    assert any(r.describe("front").startswith("extra material at the left leg in the front view (")
               for r in c.regions)
    head_gone = figure()
    head_gone[: int(S * 0.06) + int(S * 0.88 * 0.18)] = 0
    (c,) = compare_views({"front": head_gone}, {"front": figure()}, size=S)
    assert [r.part for r in c.regions] == ["head"]


def test_outline_noise_is_not_a_finding():
    target = figure()
    render = target.copy()
    render[:, 1:] = np.maximum(render[:, 1:], target[:, :-1])  # one pixel fatter on one side
    c = compare_view("front", render, target, size=S, max_shift=0.0)
    assert c.iou < 1.0 and c.regions == []


def _flood_labels(mask: np.ndarray) -> list[set]:
    """Test oracle: 4-connected components by breadth-first search."""
    seen = np.zeros_like(mask)
    comps = []
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        comp, queue = set(), deque([(y, x)])
        seen[y, x] = True
        while queue:
            cy, cx = queue.popleft()
            comp.add((cy, cx))
            for ny, nx in ((cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)):
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        comps.append(comp)
    return comps


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_connected_components_match_a_flood_fill(seed):
    mask = np.random.default_rng(seed).random((48, 64)) < 0.55
    labels, count = label_components(mask)
    expected = _flood_labels(mask)
    assert count == len(expected)
    got = [set(zip(*np.nonzero(labels == i))) for i in range(count)]
    assert sorted(map(sorted, got)) == sorted(map(sorted, expected))
    assert (labels[~mask] == -1).all()


def test_a_long_spiral_is_one_component():
    mask = np.zeros((41, 41), bool)
    y0, x0, y1, x1 = 0, 0, 40, 40
    while y0 <= y1 and x0 <= x1:  # a one-pixel spiral corridor: the worst case for propagation
        mask[y0, x0:x1 + 1] = True
        mask[y0:y1 + 1, x1] = True
        if y0 + 2 <= y1:
            mask[y1, x0:x1 + 1] = True
        if x0 + 2 <= x1:
            mask[y0 + 2:y1 + 1, x0] = True
        y0, x0, y1, x1 = y0 + 2, x0 + 2, y1 - 2, x1 - 2
    labels, count = label_components(mask)
    assert count == len(_flood_labels(mask))


def test_bad_inputs_say_what_to_do():
    with pytest.raises(BadInputError, match="shows no character"):
        compare_view("front", figure(), np.zeros((S, S)), size=S)
    with pytest.raises(BadInputError, match="not a square"):
        compare_view("front", figure(), np.ones((S, S + 1)), size=S)
    with pytest.raises(BadInputError, match="no rendered view"):
        compare_views({"three_quarter": figure()}, {"front": figure()}, size=S)


def test_nothing_rendered_is_all_missing():
    c = compare_view("front", np.zeros((S, S)), figure(), size=S)
    assert c.iou == 0.0 and c.missing == 1.0


# -- verdict ----------------------------------------------------------------------------------
def _comparisons(front_arms=("image_left", "image_right")):
    return compare_views({"front": figure(arms=front_arms), "back": figure(), "left": figure()},
                         {"front": figure(), "back": figure(), "left": figure()}, size=S)


def test_keep_when_every_view_agrees_and_the_check_passes():
    v = verdict.decide(_comparisons(), {"passed": True, "checks": {"thin_faces": 0}})
    assert v.decision == "keep" and v.score == 1.0
    assert v.reasons == ["silhouette agrees 1.00 over 3 view(s); worst: front 1.00"]


def test_a_lost_arm_means_regenerate_and_names_the_view():
    v = verdict.decide(_comparisons(front_arms=("image_left",)))
    assert v.decision == "regenerate" and v.worst_view == "front"
    assert v.reasons[0].startswith("left arm missing in the front view (")
    assert v.to_dict()["advice"] == verdict.ADVICE["regenerate"]


def test_print_check_warnings_are_noted_without_changing_the_decision():
    check = {"passed": True, "checks": {"overhang_faces": 5849, "sharp_edges": 0}, "failures": [],
             "warnings": ["overhang_faces"]}
    v = verdict.decide(_comparisons(), check)
    assert v.decision == "keep"
    assert v.reasons[-1] == "print check notes: 5849 overhang faces"


def test_a_failed_print_check_means_fix():
    check = {"passed": False, "checks": {"thin_faces": 12, "loose_parts": 1, "min_thickness_mm": 0.2},
             "failures": ["thin_faces"]}
    v = verdict.decide(_comparisons(), check)
    assert v.decision == "fix"
    assert "the print check failed: 12 thin faces" in v.reasons
    assert verdict.check_findings({"checks": {"thin_faces": 3, "loose_parts": 1, "sharp_edges": 0,
                                              "min_thickness_mm": 0.2}}) == ["3 thin faces"]


def test_a_slightly_off_silhouette_means_fix():
    target = figure()
    render = target.copy()
    render[100:104, :] = 0  # a 4 px slice through the torso and arms: small patches everywhere
    (c,) = compare_views({"front": render}, {"front": target}, size=S)
    v = verdict.decide([c])
    assert 0.85 <= c.iou < verdict.KEEP_IOU or c.regions
    assert v.decision == "fix"


# -- heat maps --------------------------------------------------------------------------------
def test_thickness_colours():
    c = heatmap.thickness_colors(np.array([0.2, 0.6, 0.9, 1.2, 5.0, np.nan]), 0.6)
    assert c.shape == (6, 4) and c.dtype == np.float32
    assert tuple(c[0]) == pytest.approx(heatmap.THIN)
    assert tuple(c[1]) == pytest.approx(heatmap.CAUTION)
    assert tuple(c[2]) == pytest.approx(tuple((np.array(heatmap.CAUTION) + heatmap.NEUTRAL) / 2))
    assert tuple(c[3]) == pytest.approx(heatmap.NEUTRAL)
    assert tuple(c[4]) == pytest.approx(heatmap.NEUTRAL) and tuple(c[5]) == pytest.approx(heatmap.NEUTRAL)
    with pytest.raises(ValueError):
        heatmap.thickness_colors(np.ones(3), 0.0)


def test_face_colours_from_indices_or_mask():
    by_index = heatmap.face_colors(5, np.array([1, 3]))
    by_mask = heatmap.face_colors(5, np.array([False, True, False, True, False]))
    assert np.array_equal(by_index, by_mask)
    assert tuple(by_index[1]) == pytest.approx(heatmap.OVERHANG) and tuple(by_index[0]) == pytest.approx(heatmap.NEUTRAL)
    with pytest.raises(ValueError):
        heatmap.face_colors(5, np.array([7]))


# -- report writers ---------------------------------------------------------------------------
def _png(path, rgb):
    Image.fromarray(np.full((8, 8, 3), rgb, np.uint8)).save(path)


def test_html_embeds_every_image_and_escapes_text(tmp_path):
    (tmp_path / "steps").mkdir()
    for name, rgb in (("in", (1, 2, 3)), ("clay", (4, 5, 6)), ("diff", (7, 8, 9))):
        _png(tmp_path / "steps" / f"{name}.png", rgb)
    comps = _comparisons(front_arms=("image_left",))
    v = verdict.decide(comps)
    review = {
        "job": "abc", "model": "figurine.stl", "created": "now", "tool": "t",
        "verdict": {**v.to_dict(), "reasons": v.reasons + ["<script>alert(1)</script>"]},
        "score": v.score,
        "views": [{**c.to_dict(), "images": {"input": "steps/in.png", "render": "steps/clay.png",
                                             "diff": "steps/diff.png"}} for c in comps],
        "renders": {"three_quarter": "steps/clay.png"},
        "heatmaps": {"maps": [], "note": "No heat maps: test."},
        "print": {"size_mm": [10, 11, 32], "material": report.material_estimate(2500.0)},
        "check": {"passed": False, "checks": {"thin_faces": 4}, "failures": ["thin_faces"]},
        "files": [{"path": "figurine.stl", "what": "model"}],
    }
    path = report.write_html(tmp_path / "report.html", review, tmp_path)
    text = path.read_text("utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    srcs = re.findall(r'<img src="([^"]+)"', text)
    assert len(srcs) == 3 * 3 + 1
    colours = set()
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
            colours.add(im.convert("RGB").getpixel((0, 0)))
    assert colours == {(1, 2, 3), (4, 5, 6), (7, 8, 9)}
    assert "left arm missing in the front view" in text and "4 thin faces" in text
    assert "2.50 ml" in text  # resin volume of 2500 mm³
    json_path = report.write_review_json(tmp_path / "review.json", review)
    assert json.loads(json_path.read_text())["views"][0]["view"] == "front"


def test_a_missing_image_is_a_one_line_error(tmp_path):
    comps = _comparisons()
    review = {"verdict": verdict.decide(comps).to_dict(), "score": 1.0,
              "views": [{**comps[0].to_dict(), "images": {"input": "gone.png"}}]}
    with pytest.raises(Exception, match="gone.png cannot be read .* run the review again"):
        report.render_html(review, tmp_path)


def test_material_estimate():
    m = report.material_estimate(-1000.0)  # inside-out meshes have negative signed volume
    assert m["volume_ml"] == 1.0 and m["resin_g"] == pytest.approx(report.RESIN_G_PER_ML)
    assert m["pla_g"] == pytest.approx(report.PLA_G_PER_CM3)
