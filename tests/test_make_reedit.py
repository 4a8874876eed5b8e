# SPDX-License-Identifier: GPL-3.0-or-later
"""Regenerate by re-editing the view the review blames (`figurine make --attempts N`).

The fake Gemini draws the first left view with the character's near arm reaching forward: a
pose change the consistency check cannot see in a side view (same height, same colours), which
the front, back and right views do not show. The fake 3D AI Studio delivers the figure as the
other views show it, so the review finds the arm missing in the model in the left view only,
and the verdict says regenerate. The loop then redraws exactly the left view (the same
left-view preset on the front, told what was wrong), checks it, submits the new view set, and
the second attempt is kept. A SIGKILL after the re-edit and before the submit, then `resume`,
submits without asking Gemini again."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import gemini_server
from PIL import Image
from test_make import FIGURINE, GEMINI_KEY, KEY, MAKE_ARGS, Studio, models, sample_views  # noqa: F401

from figurine_forge.core.make.blame import CORRECTION_MARK
from helpers import last_json, run_cli

BACKDROP = np.array([190, 190, 190])


def with_arm_reaching_forward(png: bytes) -> bytes:
    """The side view (the character faces the image's right) with the near arm held straight
    forward at shoulder height: a sleeve in the torso's colour and a hand in the head's."""
    with Image.open(io.BytesIO(png)) as img:
        rgb = np.asarray(img.convert("RGB")).copy()
    figure = np.abs(rgb.astype(int) - BACKDROP).sum(axis=2) > 24
    rows, cols = np.nonzero(figure.any(axis=1))[0], np.nonzero(figure.any(axis=0))[0]
    top, bottom = int(rows[0]), int(rows[-1])
    height = bottom - top
    shoulder = top + int(0.30 * height)
    torso_cols = np.nonzero(figure[shoulder])[0]
    centre = int(torso_cols.mean())
    sleeve = rgb[shoulder, centre].copy()
    head_row = top + int(0.08 * height)
    skin = rgb[head_row, int(np.nonzero(figure[head_row])[0].mean())].copy()
    thick = max(4, int(0.05 * height))
    reach = int(0.30 * height)
    rgb[shoulder:shoulder + thick, centre:centre + reach] = sleeve
    rgb[shoulder - thick // 4:shoulder + thick + thick // 4, centre + reach:centre + reach + thick] = skin
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


class Painter:
    """The fake Gemini: the sample character as each prompt asks; the first left view with the
    arm reaching forward, a corrected (re-edit) left view as the other views show it."""

    def __init__(self, fake, views: dict[str, bytes]):
        self.fake = fake
        self.views = views
        self.corrections: list[str] = []

    def __call__(self, image):
        text = " ".join(self.fake.received[-1].texts)
        if CORRECTION_MARK in text:
            self.corrections.append(text)
        if "Paint one original character" in text:
            return self.views["front"]
        if "from directly behind" in text:
            return self.views["back"]
        if "faces the LEFT edge" in text:
            return self.views["right"]
        if "faces the RIGHT edge" in text:
            return self.views["left"] if CORRECTION_MARK in text else with_arm_reaching_forward(self.views["left"])
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG")
        return buf.getvalue()


class GatedStudio(Studio):
    """3D AI Studio whose balance answer can be held: the make reads the balance right before
    each paid submit, after any re-edit, so a held balance request is a point between the
    re-edit and the submit where the test can kill the make."""

    def __init__(self, payloads):
        super().__init__(payloads)
        self.hold_balance_from = 0  # hold the n-th balance request and later ones (0: never)
        self.release = threading.Event()

    def answer(self, route, req, extra):
        if route == "balance" and self.hold_balance_from and self.count("balance") >= self.hold_balance_from:
            self.release.wait(120)
        return super().answer(route, req, extra)


@pytest.fixture
def fakes(monkeypatch, sample_views, models):  # noqa: F811
    gemini = gemini_server.FakeGemini().start()
    painter = Painter(gemini, sample_views)
    monkeypatch.setattr(gemini_server, "edited_png", painter)
    _broken, good = models
    studio = GatedStudio([good])  # the figure as the front, back and right views show it
    env = {"GEMINI_API_KEY": GEMINI_KEY, "FIGURINE_GEMINI_BASE_URL": gemini.base_url,
           "FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": studio.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.05",
           "FIGURINE_BACKOFF_BASE": "0.01", "FIGURINE_BACKOFF_MAX": "0.05", "NO_PROXY": "127.0.0.1,localhost"}
    yield gemini, painter, studio, env
    studio.release.set()
    studio.close()
    gemini.stop()


def _submitted_left(task) -> np.ndarray:
    # Hunyuan names the sides from the camera's place (providers.base.HUNYUAN_VIEW_NAMES): our
    # left view is its "right".
    (left,) = [v for v in task.body["multi_view_images"] if v["view_type"] == "right"]
    data = base64.b64decode(left["view_image"].split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def _image(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def _check_reedited(job: Path, painter: Painter, studio: GatedStudio) -> dict:
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    make = manifest["make"]
    first, second = make["attempts"]
    # The first model lacks what only the left view shows: the review blames the left view.
    assert first["review"]["decision"] == "regenerate", first["review"]
    assert [b["view"] for b in first["review"]["blame"]] == ["left"], first["review"]["blame"]
    views = first["review"]["views"]
    assert views["left"] == min(views.values()) and min(v for s, v in views.items() if s != "left") > 0.9, views
    assert "missing in the model" in " ".join(first["review"]["blame"][0]["why"])
    # Exactly the left view was drawn again, once, told what was wrong.
    (revision,) = make["revisions"]
    assert revision["after_attempt"] == 1 and revision["state"] == "done" and list(revision["views"]) == ["left"]
    assert len(painter.corrections) == 1
    asked = painter.corrections[0]
    assert "faces the RIGHT edge" in asked and "the left view drawn before" in asked
    assert "missing in the model" in asked and "agrees exactly with the front view" in asked
    reedits = [s for s in manifest["steps"] if s["name"] == "ai-edit" and CORRECTION_MARK in s["params"]["prompt"]]
    assert len(reedits) == 1 and reedits[0]["params"]["slot"] == "left" and reedits[0]["status"] == "done"
    assert revision["views"]["left"]["image"] == reedits[0]["outputs"]["prepared"]
    # The second attempt went out with the new left view (the rest unchanged) and says why.
    assert second["retry"] == {"how": "re-edited view", "after_attempt": 1,
                               "views": {"left": revision["views"]["left"]["why"]}}
    assert second["views"]["left"] == reedits[0]["outputs"]["prepared"] != first["views"]["left"]
    assert {s: v for s, v in second["views"].items() if s != "left"} == \
        {s: v for s, v in first["views"].items() if s != "left"}
    tasks = [studio.tasks[a["task_id"]] for a in (first, second)]
    old_left, new_left = (_image(job / manifest["steps"][a["prepare_step"] - 1]["folder"] / "left.png")
                          for a in (first, second))
    sent_first, sent_second = (_submitted_left(t) for t in tasks)
    # Each submit carried its own attempt's prepared left view (the service's encoding aside).
    assert np.abs(sent_second - new_left).mean() < 0.2 * np.abs(sent_second - old_left).mean()
    assert np.abs(sent_first - old_left).mean() < 0.2 * np.abs(sent_first - new_left).mean()
    # ...and was kept: one submit per attempt, both paid tasks in the job.
    assert second["review"]["decision"] == "keep" and second["chosen"] and make["finished"]["attempt"] == 2
    assert studio.count("submit") == 2 and {a["task_id"] for a in (first, second)} == set(studio.tasks)
    assert make["status"] == "done" and (job / "figurine.stl").stat().st_size > 0
    text = json.dumps(manifest)
    assert GEMINI_KEY not in text and KEY not in text
    return manifest


def test_the_blamed_left_view_is_redrawn_and_submitted_then_kept(tmp_path, fakes):
    gemini, painter, studio, env = fakes
    job = tmp_path / "job"
    proc = run_cli("make", *MAKE_ARGS, "--out", job, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = last_json(proc.stdout)
    assert summary["ok"] and summary["decision"] == "keep"
    _check_reedited(job, painter, studio)
    # create, 4 AI steps, back, left, right, and the one re-edit of the left view.
    assert len(gemini.received) == 9 and gemini.problems == []
    assert "attempt 1 blamed the left view" in proc.stderr


def test_sigkill_between_the_reedit_and_the_submit_then_resume_does_not_reedit(tmp_path, fakes):
    gemini, painter, studio, env = fakes
    studio.hold_balance_from = 2  # the balance read before the second submit: after the re-edit
    job = tmp_path / "job"
    logs = {name: tmp_path / f"{name}.log" for name in ("out", "err", "res-out", "res-err")}
    with open(logs["out"], "wb") as out, open(logs["err"], "wb") as err:
        proc = subprocess.Popen([sys.executable, str(FIGURINE), "make", *MAKE_ARGS, "--out", str(job)],
                                stdout=out, stderr=err, env={**os.environ, **env})
        try:
            give_up = time.monotonic() + 300  # a bound for a loaded machine, not a measurement
            while studio.count("balance") < 2 and proc.poll() is None and time.monotonic() < give_up:
                time.sleep(0.05)
            assert proc.poll() is None, logs["err"].read_text()[-3000:]
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    before = json.loads((job / "job.json").read_text("utf-8"))
    # Killed after the re-edit was made and recorded, before the second generation was paid.
    assert [a["n"] for a in before["make"]["attempts"]] == [1] and studio.count("submit") == 1
    assert before["make"]["revisions"][0]["state"] == "done" and len(painter.corrections) == 1
    asked_before = len(gemini.received)
    studio.hold_balance_from = 0
    studio.release.set()
    with open(logs["res-out"], "wb") as out, open(logs["res-err"], "wb") as err:
        code = subprocess.run([sys.executable, str(FIGURINE), "resume", str(job), "--online", "--json"],
                              stdout=out, stderr=err, env={**os.environ, **env}, timeout=600).returncode
    assert code == 0, logs["res-err"].read_text()[-3000:]
    assert last_json(logs["res-out"].read_text())["decision"] == "keep"
    _check_reedited(job, painter, studio)  # one correction asked in all, two submits in all
    assert len(gemini.received) == asked_before  # the resume asked Gemini nothing


def test_blame_on_no_redrawable_view_keeps_the_new_seed_path(tmp_path, fakes, sample_views, models):  # noqa: F811
    """Four views of your own: the first model (its left arm lost) is blamed on the front and
    back views, which the make never redraws, so the second attempt asks the generator again."""
    gemini, painter, studio, env = fakes
    studio.payloads = list(models)  # broken, then good
    studio.payload = studio.payloads[0]
    args = []
    for view in ("front", "back", "left", "right"):
        (tmp_path / f"{view}.png").write_bytes(sample_views[view])
        args += [f"--{view}", tmp_path / f"{view}.png"]
    job = tmp_path / "job"
    proc = run_cli("make", *args, "--online", "--attempts", "2", "--size", "512", "--base", "none", "--json",
                   "--out", job, env={**env, "GEMINI_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    first, second = manifest["make"]["attempts"]
    assert {b["view"] for b in first["review"]["blame"]} == {"front", "back"}
    assert gemini.received == [] and not manifest["make"].get("revisions")
    assert second["retry"] == {"how": "asked again", "after_attempt": 1} and second["views"] == first["views"]
    assert second["review"]["decision"] == "keep" and studio.count("submit") == 2
    assert "which the make does not redraw" in proc.stderr
