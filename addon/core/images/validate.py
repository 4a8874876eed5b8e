# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a view set and say what is wrong with it, with a fix where there is one.

Conventions (docs/architecture.md): the left view is taken from the character's left, so
the character faces the viewer's RIGHT; the right view faces the viewer's LEFT; the back
view is the front's silhouette mirrored."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import view_name

HEIGHT_TOLERANCE = 0.10  # relative; framing differences beyond this mean a different zoom or pose
SILHOUETTE_MIN_IOU = 0.75  # front vs mirrored back
FACING_MIN_SCORE = 0.02  # below this the facing is reported as unsure, never acted on
# An animal's side view (a horse, a dog on all fours, a sitting rabbit) is read by its head, not
# its feet: hooves and paws point down, and the toes that say which way a person faces are not
# there. It is at least this wide for its height...
ANIMAL_MIN_ASPECT = 0.7
# ...and holds its head this far (share of the height) ahead of the middle of its feet; a
# person's head stays over their feet. Measured on the side and 45-degree views (bench/
# bench_facing.py --eval): the built quadrupeds and the horse and bunny scans 0.26-0.38 (their
# widths 0.80-1.29 x the height; a rabbit seen half from the front, 0.06, is left to the feet
# cues, which read it right); people at most 0.11 (widths 0.22-0.76), the shared sets 0.09.
ANIMAL_MIN_HEAD = 0.2
ANIMAL_HEAD_ROWS = 0.30  # the top share of the height where the head is looked for
# Colour agreement of two views of one character (histogram intersection of the subject's
# colours, 6 levels per channel). Measured on the shared development sets and the sample:
# one character's views agree 0.64-0.97, different characters' 0.07-0.50.
SAME_CHARACTER_MIN_COLOUR = 0.55
SAME_IMAGE_MAX_DIFF = 3.0 / 255.0  # mean colour difference under which two views are one picture
# A matte that fell apart: a character's matte is one piece (the development sets: one part
# of >= 99.9 %, no empty row inside the figure); a photo-like backdrop that swallowed the
# torso leaves legs and scraps (3-6 parts, the largest 38-89 %, or empty rows across it).
MATTE_MIN_LARGEST_PART = 0.85
MATTE_MAX_PARTS = 2  # parts larger than 1 % of the subject
MATTE_MAX_GAP_ROWS = 0.02  # share of the figure's height with no subject at all

# the direction each side slot must face on screen: +1 = viewer's right, -1 = viewer's left;
# a diagonal faces the way of the side view it is half of (front_left: between the front and
# the left view, shot from the character's front and own right side)
EXPECTED_FACING = {"left": +1, "right": -1, "front_left": +1, "back_left": +1, "front_right": -1, "back_right": -1}
# the slot a wrongly facing view really shows
_FACING_TWIN = {"left": "right", "right": "left", "front_left": "front_right", "front_right": "front_left",
                "back_left": "back_right", "back_right": "back_left"}


@dataclass
class Issue:
    code: str  # front_missing, cropped, height_mismatch, wrong_facing, facing_unsure, silhouette_mismatch,
    #            same_image, other_character, matte_broken, subject_size
    slot: str
    message: str
    fix: str = ""  # "mirror" when mirroring the view repairs it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Facing:
    direction: int  # +1 faces the viewer's right, -1 the viewer's left, 0 unsure
    score: float  # signed evidence; larger magnitude = surer
    cues: dict


def _rows_extent(solid: np.ndarray, y0: int, y1: int) -> tuple[int, int] | None:
    band = solid[max(0, y0):max(y0 + 1, y1)]
    cols = np.flatnonzero(band.any(axis=0))
    if cols.size == 0:
        return None
    return int(cols[0]), int(cols[-1])


def _rows_centroid(solid: np.ndarray, y0: int, y1: int) -> float | None:
    band = solid[max(0, y0):max(y0 + 1, y1)]
    weights = band.sum(axis=0)
    total = weights.sum()
    if total == 0:
        return None
    return float((weights * np.arange(band.shape[1])).sum() / total)


def _contour_roughness(x: np.ndarray, height: int) -> float:
    if x.size < 8:
        return 0.0
    smooth = np.convolve(x, np.ones(3) / 3.0, mode="valid")
    return float(np.abs(np.diff(smooth, 2)).sum() / height)


def _above_base(solid: np.ndarray, top: int, bottom: int) -> int:
    """The row where the character's feet end: above a tabletop base if there is one.

    A base (the workflow adds a round one) is a band at the bottom much wider than the
    legs and symmetric, which would hide the feet cues; its rows are those at least 80% as
    wide as the bottom row, when that row is at least 1.5 times as wide as the legs, as wide
    as the body above, and centred under the legs."""
    widths = solid.sum(axis=1)
    height = bottom - top
    legs = widths[bottom - int(0.20 * height)]
    # The widest of the last few rows: an anti-aliased corner can leave a one-pixel row.
    base_width = widths[bottom - max(2, int(0.03 * height)):bottom].max()
    body_width = widths[top:bottom - int(0.20 * height)].max()
    if legs == 0 or base_width < 1.5 * legs or base_width < 0.9 * body_width:
        return bottom  # feet, not a plate: a base is wider than the body above it
    cols = np.flatnonzero(solid[bottom - max(2, int(0.03 * height)):bottom].any(axis=0))
    legs_cols = np.flatnonzero(solid[bottom - int(0.20 * height)])
    if abs((cols[0] + cols[-1]) - (legs_cols[0] + legs_cols[-1])) / 2 > 0.15 * base_width:
        return bottom  # off-centre: toes reaching forward, not a plate under the figure
    wide = widths[top:bottom][::-1] >= 0.8 * base_width  # from the bottom row upwards
    first = int(np.argmax(wide))  # skip thin anti-aliased rows under the plate
    band_end = first + (int(np.argmin(wide[first:])) if not wide[first:].all() else 0)
    # A base is a thin plate: never more than a fifth of the figure.
    return bottom - band_end if 0 < band_end < 0.2 * height else bottom


def detect_facing(alpha: np.ndarray) -> Facing:
    """Which way a side view faces, from its silhouette alone.

    Cues, each signed (+ = towards the viewer's right):
    * feet: toes stick out forward of the legs much more than heels do backward, so the
      sole's extent is lopsided about the centre of the lower legs;
    * foot mass: the feet's centroid sits forward of the legs' centroid;
    * profile: the face side of the head and chest (nose, lips, chin) has a busier outline
      than the back of the head; weaker (hair and hats add detail), so it only tips a
      close call.
    An animal's side view has none of these: its hooves or paws point down. Its head does:
    held up at the front, the mass of its top rows lies far ahead of the middle of its feet
    (:data:`ANIMAL_MIN_HEAD`, in a silhouette at least :data:`ANIMAL_MIN_ASPECT` times as wide
    as tall), and then that decides alone (``head``).
    Measured on the development views and their mirror images (see bench/bench_facing.py)."""
    solid = alpha > 0.5
    rows = np.flatnonzero(solid.any(axis=1))
    if rows.size < 20:
        return Facing(0, 0.0, {})
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    bottom = _above_base(solid, top, bottom)
    height = bottom - top
    animal = _animal_head(solid, top, bottom)
    if animal is not None:
        return Facing(1 if animal > 0 else -1, animal, {"head": round(animal, 4)})
    feet = _rows_extent(solid, bottom - max(2, int(0.05 * height)), bottom)
    legs_c = _rows_centroid(solid, bottom - int(0.20 * height), bottom - int(0.10 * height))
    feet_c = _rows_centroid(solid, bottom - max(2, int(0.05 * height)), bottom)
    cues = {}
    if feet is not None and legs_c is not None:
        cues["feet"] = ((feet[1] - legs_c) - (legs_c - feet[0])) / height
    if feet_c is not None and legs_c is not None:
        cues["foot_mass"] = (feet_c - legs_c) / height
    upper = solid[top:top + int(0.45 * height)]
    has = upper.any(axis=1)
    if has.sum() >= 8:
        left_edge = np.argmax(upper, axis=1)[has].astype(np.float64)
        right_edge = (upper.shape[1] - 1 - np.argmax(upper[:, ::-1], axis=1))[has].astype(np.float64)
        cues["profile"] = _contour_roughness(right_edge, height) - _contour_roughness(left_edge, height)
    score = cues.get("feet", 0.0) + cues.get("foot_mass", 0.0) + 0.25 * cues.get("profile", 0.0)
    direction = 0 if abs(score) < FACING_MIN_SCORE else (1 if score > 0 else -1)
    return Facing(direction, float(score), {k: round(float(v), 4) for k, v in cues.items()})


def _animal_head(solid: np.ndarray, top: int, bottom: int) -> float | None:
    """How far ahead of the middle of its feet an animal holds its head (share of the height,
    + = towards the viewer's right), or None when the silhouette is not read as an animal's:
    narrower than :data:`ANIMAL_MIN_ASPECT` x its height, or no head clearly ahead (a person
    holding a spear forward is wide too, but their head is over their feet)."""
    height = bottom - top
    cols = np.flatnonzero(solid[top:bottom].any(axis=0))
    feet = _rows_extent(solid, bottom - max(2, int(0.08 * height)), bottom)
    head = _rows_centroid(solid, top, top + max(2, int(ANIMAL_HEAD_ROWS * height)))
    if cols.size == 0 or feet is None or head is None:
        return None
    if int(cols[-1]) - int(cols[0]) + 1 < ANIMAL_MIN_ASPECT * height:
        return None
    ahead = (head - (feet[0] + feet[1]) / 2.0) / height
    return float(ahead) if abs(ahead) >= ANIMAL_MIN_HEAD else None


def facing_issue(slot: str, facing: Facing) -> Issue | None:
    expected = EXPECTED_FACING.get(slot)
    if expected is None:
        return None
    side = {1: "right", -1: "left"}
    name = view_name(slot)
    if facing.direction == 0:
        return Issue("facing_unsure", slot,
                     f"{name} view: could not tell which way the character faces; the {name} view must "
                     f"face the viewer's {side[expected]}")
    if facing.direction != expected:
        other = view_name(_FACING_TWIN[slot])
        return Issue("wrong_facing", slot,
                     f"{name} view faces the viewer's {side[facing.direction]} but a {name} view must face "
                     f"the viewer's {side[expected]}: mirror it (Mirror in the panel, --fix-facing on the "
                     f"command line) or give it as the {other} view",
                     fix="mirror")
    return None


def silhouette_iou(front: np.ndarray, back: np.ndarray, max_shift: int) -> float:
    """IoU of the front matte and the mirrored back matte, best over small sideways shifts
    (the two bounding boxes are centred, but loose hair or a tail can move the centre)."""
    a = front > 0.5
    b = (back > 0.5)[:, ::-1]
    best = 0.0
    step = max(1, max_shift // 8)
    for shift in range(-max_shift, max_shift + 1, step):
        bs = np.roll(b, shift, axis=1)
        union = np.count_nonzero(a | bs)
        if union:
            best = max(best, np.count_nonzero(a & bs) / union)
    return float(best)


def check_views(views: dict, sources: dict) -> list[Issue]:
    """``views``: slot -> prepared view (``matte``); ``sources``: slot -> dict with
    ``touches`` (sides the subject is cut by) and ``rel_height`` (subject height / image
    height in the original). Returns the issues, most important first."""
    issues: list[Issue] = []
    if "front" not in views:
        issues.append(Issue("front_missing", "front", "the front view is missing; every generator needs it"))
    for slot, info in sources.items():
        if info.get("touches"):
            issues.append(Issue("cropped", slot,
                                f"{view_name(slot)} view: the character touches the {' and '.join(info['touches'])} "
                                f"edge of the image and may be cut off; use an image showing the whole character"))
    ref = sources.get("front", {}).get("rel_height")
    if ref:
        for slot, info in sources.items():
            rel = info.get("rel_height")
            if slot != "front" and rel and abs(rel / ref - 1.0) > HEIGHT_TOLERANCE:
                issues.append(Issue("height_mismatch", slot,
                                    f"{view_name(slot)} view: the character fills {rel:.0%} of the image height, "
                                    f"the front {ref:.0%}; the views may differ in zoom or pose (check the "
                                    f"{view_name(slot)} view)"))
    for slot in EXPECTED_FACING:
        if slot in views:
            found = facing_issue(slot, detect_facing(views[slot].matte))
            if found:
                issues.append(found)
    for slot, view in views.items():
        found = matte_issue(slot, view.matte, sources.get(slot, {}))
        if found:
            issues.append(found)
    issues += same_character_issues(views)
    if "front" in views and "back" in views:
        size = views["front"].matte.shape[1]
        iou = silhouette_iou(views["front"].matte, views["back"].matte, max_shift=int(0.03 * size))
        if iou < SILHOUETTE_MIN_IOU:
            issues.append(Issue("silhouette_mismatch", "back",
                                f"back view: its mirrored silhouette matches the front's by only {iou:.0%}; it "
                                f"may show another pose or character (regenerate the back view)"))
    return issues


def matte_issue(slot: str, matte: np.ndarray, source: dict) -> Issue | None:
    """A matte that looks wrong: in pieces, with empty rows across the figure, or a subject
    far too small or too large for a character image. The usual cause is a busy or photo-like
    backdrop with little contrast to the character; the run would go on to a wrong figure."""
    from .ops import component_sizes, label

    name = view_name(slot)
    hard = matte > 0.5
    total = int(np.count_nonzero(hard))
    if total == 0:
        return None
    what_to_do = ("the background was probably too close to the character's colours; give this view on a "
                  "plain, evenly lit background (studio gray #BEBEBE) or with transparency")
    labels, count = label(hard)
    sizes = np.sort(component_sizes(labels, count)[1:])[::-1]
    parts = int(np.count_nonzero(sizes > 0.01 * total))
    rows = np.flatnonzero(hard.any(axis=1))
    gaps = 1.0 - hard[rows[0]:rows[-1] + 1].any(axis=1).mean()
    if sizes[0] < MATTE_MIN_LARGEST_PART * total or parts > MATTE_MAX_PARTS or gaps > MATTE_MAX_GAP_ROWS:
        return Issue("matte_broken", slot,
                     f"{name} view: the cut-out character fell apart ({parts} pieces, the largest "
                     f"{sizes[0] / total:.0%} of it{f', {gaps:.0%} of its height empty' if gaps > MATTE_MAX_GAP_ROWS else ''}); "
                     f"{what_to_do}")
    rel = source.get("rel_height")
    touches = source.get("touches") or []
    if len(touches) >= 3:
        return Issue("subject_size", slot,
                     f"{name} view: the cut-out touches the {', '.join(touches)} edges, so the background was "
                     f"probably taken for the character; {what_to_do}")
    if rel is not None and rel < 0.15:
        return Issue("subject_size", slot,
                     f"{name} view: the character is only {rel:.0%} of the image height: too small to rebuild "
                     f"well, or most of it was lost with the background; crop closer to the character, or give "
                     f"it on a plain, evenly lit background (studio gray #BEBEBE)")
    return None


def _colour_histogram(view, bins: int = 6) -> np.ndarray | None:
    solid = view.matte > 0.5
    if not solid.any():
        return None
    levels = view.rgb[solid].astype(np.int64) * bins // 256
    idx = (levels[:, 0] * bins + levels[:, 1]) * bins + levels[:, 2]
    hist = np.bincount(idx, minlength=bins ** 3).astype(np.float64)
    return hist / hist.sum()


def same_character_issues(views: dict) -> list[Issue]:
    """Views that are one picture given twice, or that show another character (their
    colours do not match the front's)."""
    if "front" not in views:
        return []
    front = views["front"]
    front_hist = _colour_histogram(front)
    issues = []
    for slot, view in views.items():
        if slot == "front" or front_hist is None:
            continue
        name = view_name(slot)
        if view.rgb.shape == front.rgb.shape:
            both = (view.matte > 0.5) | (front.matte > 0.5)
            if both.any():
                diff = np.abs(view.rgb[both].astype(np.int16) - front.rgb[both].astype(np.int16)).mean() / 255.0
                if diff < SAME_IMAGE_MAX_DIFF:
                    issues.append(Issue("same_image", slot,
                                        f"{name} view is the same picture as the front view; give the character "
                                        f"seen from its {name} (or leave the {name} view out)"))
                    continue
        hist = _colour_histogram(view)
        if hist is None:
            continue
        agree = float(np.minimum(front_hist, hist).sum())
        if agree < SAME_CHARACTER_MIN_COLOUR:
            issues.append(Issue("other_character", slot,
                                f"{name} view: its colours match the front view's by only {agree:.0%}; it may show "
                                f"another character (check the {name} view, or regenerate it from the front)"))
    return issues
