# SPDX-License-Identifier: GPL-3.0-or-later
"""The four diagonal-view presets (front-left, front-right, back-left, back-right): what each
prompt asks for is worked out from docs/architecture.md's axis line (a diagonal camera lies
halfway between two documented ones), the reconstruction's view angles agree with it, and a
drawn diagonal view goes through Gemini (the fake) into the job under its slot, where the
consistency check tells a view that faces the wrong way."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakes.gemini_server import FakeGemini
from figurine_forge import cli
from figurine_forge.core import gemini, presets
from figurine_forge.core.images import validate
from figurine_forge.core.images.load import load_rgba
from figurine_forge.core.images.prepare import prepare_single
from figurine_forge.core.jobstore import Job
from figurine_forge.core.reconstruct.views import VIEW_ANGLES
from synth_views import figure_mask, paint

KEY = "fake-key-5f3a9c"
DIAGONALS = {"front_left": ("front", "left"), "front_right": ("front", "right"),
             "back_left": ("back", "left"), "back_right": ("back", "right")}
OTHER = {"LEFT": "RIGHT", "RIGHT": "LEFT"}


def _documented_cameras() -> dict[str, np.ndarray]:
    """slot -> camera direction from the figure, read from docs/architecture.md's axis line."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    axis = {"X": np.array([1.0, 0, 0]), "Y": np.array([0, 1.0, 0])}
    found = {}
    for slot, sign, name in re.findall(r"\b(front|back|left|right)\s*=\s*camera\s+at\s+([+-])([XY])\b", text):
        found[slot] = axis[name] * (1 if sign == "+" else -1)
    assert set(found) == {"front", "back", "left", "right"}, "docs/architecture.md no longer states the cameras"
    return found


def _diagonal_convention() -> dict[str, tuple[str, str, str]]:
    """Per diagonal: (the half of the character the camera sees: front or back, the character's
    own side the camera is on, the picture edge the character faces)."""
    cameras = _documented_cameras()
    facing, up = np.array([0, -1.0, 0]), np.array([0, 0, 1.0])  # "the figure faces -Y", Z up
    own_right = np.cross(facing, up)
    out = {}
    for slot, (half, side_slot) in DIAGONALS.items():
        camera = cameras[half] + cameras[side_slot]
        camera /= np.linalg.norm(camera)
        image_right = np.cross(-camera, up)  # the camera looks back at the figure
        seen = "front" if camera @ facing > 0 else "back"
        side = "RIGHT" if camera @ own_right > 0 else "LEFT"
        edge = "RIGHT" if facing @ image_right > 0 else "LEFT"
        out[slot] = (seen, side, edge)
    return out


def test_convention_matches_the_reconstruction_and_the_side_views():
    convention = _diagonal_convention()
    # a front-left view is shot from between the front and the character's own right side
    # (where the left view's camera is) and faces the viewer's right, as the left view does
    assert convention == {"front_left": ("front", "RIGHT", "RIGHT"), "front_right": ("front", "LEFT", "LEFT"),
                          "back_left": ("back", "RIGHT", "RIGHT"), "back_right": ("back", "LEFT", "LEFT")}
    cameras = _documented_cameras()
    for slot, (half, side_slot) in DIAGONALS.items():
        t = math.radians(VIEW_ANGLES[slot])  # camera at (sin t, -cos t): see core/reconstruct/views.py
        expected = (cameras[half] + cameras[side_slot]) / math.sqrt(2)
        assert np.allclose([math.sin(t), -math.cos(t), 0.0], expected), slot
        assert validate.EXPECTED_FACING[slot] == (1 if convention[slot][2] == "RIGHT" else -1)


def test_diagonal_presets_say_what_the_convention_says(tmp_path):
    all_ = presets.all_presets(tmp_path / "none")
    for slot, (seen, side, edge) in _diagonal_convention().items():
        preset = all_[f"{slot.replace('_', '-')}-view"]
        words = preset.render()
        assert preset.target_slot == slot and preset.needs_image
        assert f"between its {seen} and the character's own {side} side" in words, (slot, words)
        assert f"character's own {OTHER[side]} side" not in words, (slot, words)
        assert f"faces the {edge} edge" in words and f"faces the {OTHER[edge]} edge" not in words
        assert f"point to the viewer's {edge.lower()}" in words
        assert "#BEBEBE" in words
    # the existing view presets keep their names (the make loop reads them)
    assert {"rear-view", "left-view", "right-view"} <= set(all_)


@pytest.fixture
def fake():
    server = FakeGemini().start()
    yield server
    server.stop()
    assert server.problems == [], server.problems


def _side_picture(tmp_path, name: str, view: str) -> Path:
    """A standing figure drawn in profile (the fake Gemini's 'edit' inverts the colours and keeps
    the shape, so what it returns faces the way this picture does)."""
    mask = figure_mask(view=view)
    path = tmp_path / f"{name}.png"
    Image.fromarray(np.round(paint(mask, noise=0.0) * 255).astype(np.uint8), "RGB").save(path)
    return path


def _edit(monkeypatch, capsys, argv):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_edit"])
    code = cli.main(argv)
    return code, capsys.readouterr()


@pytest.mark.parametrize("slot,good_view,bad_view", [("front_left", "side_right", "side_left"),
                                                     ("back_right", "side_left", "side_right")])
def test_diagonal_view_through_gemini_into_the_job_and_checked(monkeypatch, capsys, fake, tmp_path, slot,
                                                               good_view, bad_view):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    preset = f"{slot.replace('_', '-')}-view"
    seen, side, edge = _diagonal_convention()[slot]
    front_png = tmp_path / "front.png"
    Image.fromarray(np.round(paint(figure_mask(view="front"), noise=0.0) * 255).astype(np.uint8), "RGB").save(front_png)
    front = prepare_single(load_rgba(front_png), "front", 256).views["front"]
    results = {}
    for kind, view in (("good", good_view), ("bad", bad_view)):
        picture = _side_picture(tmp_path, kind, view)  # what the fake gives back, shape for shape
        out_png = tmp_path / f"{kind}_{slot}.png"
        code, out = _edit(monkeypatch, capsys, ["edit", str(picture), "--preset", preset, "--out", str(out_png),
                                                "--size", "256", "--job", str(tmp_path / f"job_{kind}"),
                                                "--online", "--json"])
        assert code == 0, out.err
        result = json.loads(out.out.strip().splitlines()[-1])
        assert result["slot"] == slot
        sent = fake.received[-1].texts[0]
        assert f"character's own {side} side" in sent and f"faces the {edge} edge" in sent
        (version,) = gemini.list_versions(Job.open(tmp_path / f"job_{kind}"))
        assert version["params"]["slot"] == slot and version["params"]["preset"] == preset
        view = prepare_single(load_rgba(out_png), slot, 256).views[slot]
        results[kind] = [i for i in validate.check_views({"front": front, slot: view}, {}) if i.slot == slot]
    assert not [i for i in results["good"] if i.code in ("wrong_facing", "facing_unsure")], results["good"]
    wrong = [i for i in results["bad"] if i.code == "wrong_facing"]
    twin = {"front_left": "front-right", "back_right": "back-left"}[slot]
    assert wrong and wrong[0].fix == "mirror" and f"give it as the {twin} view" in wrong[0].message, results["bad"]
    # Without --json the command says which view it wrote in words, as its option spells it.
    code, out = _edit(monkeypatch, capsys, ["edit", str(tmp_path / "good.png"), "--preset", preset, "--out",
                                            str(tmp_path / "plain.png"), "--size", "256", "--online"])
    assert code == 0 and f"plain.png ({slot.replace('_', '-')} view, " in out.out and f"({slot} view" not in out.out, \
        out.out
