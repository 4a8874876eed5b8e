# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages name the diagonal views in words ("front-left", as the CLI's options and the panel
say it), never by their slot ids ("front_left"), which stay in JSON, job files and file names:
the view check's warnings, preparation's errors, a generator's "left out" warning, and the
CLI's errors and listings."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from figurine_forge.core.errors import BadInputError
from figurine_forge.core.images import ALL_VIEW_SLOTS, DIAGONAL_VIEW_SLOTS, view_name
from figurine_forge.core.images import validate
from figurine_forge.core.images.prepare import prepare_arrays, prepare_view_set
from figurine_forge.core.providers.lifecycle import check_request
from figurine_forge.core.providers.registry import get_provider
from synth_views import figure_mask, paint, view_file

RAW_SLOT = re.compile(r"\b(front|back)_(left|right)\b")


def test_view_name_is_the_option_spelling():
    assert [view_name(s) for s in ALL_VIEW_SLOTS] == [
        "front", "back", "left", "right", "front-left", "front-right", "back-left", "back-right"]


def test_a_remote_generator_names_the_diagonals_it_leaves_out_in_words():
    slots, _options, warnings = check_request(get_provider("3daistudio"),
                                              ["front", "back", "front_left", "back_right"], {})
    assert slots == ["front", "back"]  # the ids sent on stay ids
    assert warnings == ["3D AI Studio does not use the front-left view; it is left out",
                        "3D AI Studio does not use the back-right view; it is left out"]


def _view(mask: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(matte=mask.astype(np.float32), rgb=np.round(paint(mask) * 255).astype(np.uint8))


@pytest.mark.parametrize("slot", DIAGONAL_VIEW_SLOTS)
def test_the_view_check_names_a_diagonal_in_words(slot):
    """Every kind of warning the check gives a view, for each diagonal: cropped, another zoom,
    the same picture as the front, facing the wrong way (with its twin), a tiny subject."""
    front = _view(figure_mask(view="front"))
    wrong_way = _view(figure_mask(view="side_left" if validate.EXPECTED_FACING[slot] > 0 else "side_right"))
    issues = validate.check_views({"front": front, slot: front},
                                  {"front": {"rel_height": 0.8}, slot: {"rel_height": 0.5, "touches": ["top"]}})
    issues.append(validate.facing_issue(slot, validate.detect_facing(wrong_way.matte)))
    issues.append(validate.matte_issue(slot, front.matte, {"rel_height": 0.1}))
    mine = [i for i in issues if i is not None and i.slot == slot]
    assert {i.code for i in mine} >= {"cropped", "height_mismatch", "same_image", "wrong_facing", "subject_size"}
    name, twin = view_name(slot), view_name(validate._FACING_TWIN[slot])
    for issue in mine:
        assert issue.message.startswith(f"{name} view"), issue.message
        assert not RAW_SLOT.search(issue.message), issue.message
    (wrong,) = [i for i in mine if i.code == "wrong_facing"]
    assert f"give it as the {twin} view" in wrong.message
    assert json.loads(json.dumps(mine[0].to_dict()))["slot"] == slot  # the machine field keeps the id


def test_preparation_errors_name_a_diagonal_in_words(tmp_path):
    front, _ = view_file(tmp_path, "front", view="front")
    with pytest.raises(BadInputError, match=r"^back-left view .*gone\.png does not exist") as missing:
        from figurine_forge.core.jobstore import Job
        from figurine_forge.core.images.prepare import prepare_into_job

        prepare_into_job(Job.open(tmp_path / "job"), {"front": front, "back_left": tmp_path / "gone.png"}, size=256)
    assert not RAW_SLOT.search(missing.value.message)
    blank = np.zeros((256, 256, 4), np.float32)  # fully transparent: no character to cut out
    rgba = np.concatenate([paint(figure_mask((256, 256))), np.ones((256, 256, 1))], axis=2).astype(np.float32)
    with pytest.raises(BadInputError, match=r"^front-right view") as empty:
        prepare_arrays({"front": rgba, "front_right": blank}, 256)
    assert not RAW_SLOT.search(empty.value.message)
    viewset = prepare_view_set({"front": front, "front_left": front}, size=256)  # the front given twice
    assert any(w.startswith("front-left view is the same picture as the front view") for w in viewset.warnings), \
        viewset.warnings
    assert not any(RAW_SLOT.search(w) for w in viewset.warnings), viewset.warnings


def test_the_cli_names_diagonals_in_words(tmp_path, monkeypatch, capsys):
    from figurine_forge import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["providers"]) == 0
    listing = capsys.readouterr().out
    assert "front-left, front-right, back-left, back-right" in listing and not RAW_SLOT.search(listing)
    front, _ = view_file(tmp_path, "front", view="front")
    for command in (["generate", "--provider", "local"], ["run"]):
        code = cli.main([*command, "--front", str(front), "--back-right", "gone.png", "--out", "job"])
        err = capsys.readouterr().err
        assert code == 2 and "back-right view gone.png does not exist" in err, err
        assert not RAW_SLOT.search(err), err
    (tmp_path / "text.png").write_text("not a picture")
    code = cli.main(["generate", "--provider", "local", "--front", str(front), "--front-left", "text.png",
                     "--out", "job"])
    err = capsys.readouterr().err
    assert code == 2 and "front-left view: text.png is not an image" in err and not RAW_SLOT.search(err), err
    assert not (tmp_path / "job").exists()


def test_the_reconstruction_names_an_empty_diagonal_in_words():
    from figurine_forge.core.reconstruct.hull import view_profile

    with pytest.raises(BadInputError) as info:
        view_profile("back_right", np.zeros((64, 64), np.float32), 100, 0.5)
    assert "the back-right view has no character in it" in str(info.value)
    assert not RAW_SLOT.search(str(info.value))
