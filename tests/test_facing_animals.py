# SPDX-License-Identifier: GPL-3.0-or-later
"""Which way a side view faces, on animals: the project's built four-legged figures (standing
and mid-stride) rendered from the sides and the 45-degree directions, as the views of a horse
or dog figurine arrive. A person's feet cues (toes forward) read their hooves the wrong way
round, and the panel's AI views and the make loop mirror a view judged to face the wrong way:
a correct left view of an animal came out mirrored, its head at the back. People keep their
own cues (a T-posed and a seated figure here; bench/bench_facing.py measures the rest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bpy  # noqa: F401  (before bmesh, which the figures use)

from figurine_forge.blender import eval_figures
from figurine_forge.blender.operators.ai_ops import mirror_if_facing_wrong
from figurine_forge.core.images.prepare import prepare_view_set
from figurine_forge.core.images.validate import EXPECTED_FACING, detect_facing
from figurine_forge.core.make.loop import check_view

SIZE = 160
SIDES = ("left", "right", "front_left", "front_right", "back_left", "back_right")
ANIMALS = ("quadruped", "walking")
PEOPLE = ("tpose", "seated")


@pytest.fixture(scope="module")
def views(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name in (*ANIMALS, *PEOPLE):
        folder = tmp_path_factory.mktemp(f"facing_{name}")
        objects = eval_figures.build_figure_objects(name)
        try:
            eval_figures.render_objects_views(objects, folder, ("front", "back", *SIDES), SIZE)
        finally:
            eval_figures.remove_objects(objects)
        out[name] = folder
    return out


def matte(folder: Path, slot: str) -> np.ndarray:
    with Image.open(folder / f"{slot}_rgba.png") as img:
        return np.asarray(img.convert("RGBA"), np.float32)[:, :, 3] / 255.0


@pytest.mark.parametrize("name", ANIMALS)
def test_an_animal_faces_where_its_head_is(views, name):
    for slot in SIDES:
        alpha = matte(views[name], slot)
        facing = detect_facing(alpha)
        assert facing.direction == EXPECTED_FACING[slot], (slot, facing)
        assert "head" in facing.cues, (slot, facing)  # read from the head, not the hooves
        assert detect_facing(alpha[:, ::-1]).direction == -EXPECTED_FACING[slot], slot


@pytest.mark.parametrize("name", PEOPLE)
def test_people_are_still_read_by_their_feet(views, name):
    for slot in SIDES:
        alpha = matte(views[name], slot)
        facing = detect_facing(alpha)
        assert "head" not in facing.cues and "feet" in facing.cues, (slot, facing)
        assert facing.direction == EXPECTED_FACING[slot], (slot, facing)
        assert detect_facing(alpha[:, ::-1]).direction == -EXPECTED_FACING[slot], slot


def test_an_animals_views_are_not_flagged_nor_mirrored(views, tmp_path):
    folder = views["walking"]
    paths = {slot: folder / f"{slot}.png" for slot in ("front", "back", *SIDES)}
    viewset = prepare_view_set(paths, size=256)
    facing = [i for i in viewset.issues if i.code in ("wrong_facing", "facing_unsure")]
    assert not facing, [i.message for i in facing]
    fixed = prepare_view_set(paths, size=256, fix_facing=True)
    assert not any(v.mirrored for v in fixed.views.values())

    # The make loop's check of a drawn view keeps it as drawn...
    left = viewset.views["left"]
    rejecting, mirror = check_view(viewset.views["front"], left)
    assert not mirror
    # ...and so does the panel's AI view path; the view drawn the wrong way round is mirrored.
    Image.fromarray(np.round(left.matte * 255).astype(np.uint8), "L").save(tmp_path / "left_matte.png")
    Image.fromarray(left.rgb, "RGB").save(tmp_path / "left.png")
    assert mirror_if_facing_wrong(tmp_path / "left.png", tmp_path / "left_matte.png", "left",
                                  tmp_path / "left_mirrored.png") is None
    assert not (tmp_path / "left_mirrored.png").exists()
    target = mirror_if_facing_wrong(tmp_path / "left.png", tmp_path / "left_matte.png", "right",
                                    tmp_path / "as_right_mirrored.png")
    assert target is not None and target.is_file()
