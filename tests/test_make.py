# SPDX-License-Identifier: GPL-3.0-or-later
"""`figurine make` against the fakes: prompt -> Gemini front and AI steps -> the three missing
views (one rejected by the consistency check and drawn again) -> 3D AI Studio (the first model
is broken on purpose: the figure lost an arm) -> review says regenerate -> second attempt ->
keep -> repaired 32 mm STL on a base. Then SIGKILL at each stage and `figurine resume`: the
fake counts exactly one submit per attempt and no finished Gemini edit is asked again.

The fakes deliver what real services do: Gemini answers with pictures of the project's sample
character (the view the prompt asks for), 3D AI Studio with a textured GLB of the same figure
(vertices split at UV seams, Y up, metres) turned a quarter turn away from the views."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import gemini_server
from fakes.aistudio3d_server import AIStudio3DFake
from generator_corpus import member_mesh, write_glb
from PIL import Image
from provider_harness import KEY

from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.review import facing
from figurine_forge.core.mesh.stl import read_stl
from helpers import last_json, run_cli

REPO = Path(__file__).resolve().parent.parent
FIGURINE = REPO / "scripts" / "figurine.py"
VIEWS = ("front", "back", "left", "right")
GEMINI_KEY = "gm-test-SECRET-41d0aa7c9f2e"
# The character's left arm (+X) below the shoulder, in figure units (tests/test_review_job.py).
ARM_CUT = {"x_min": 0.29, "z_min": 0.70, "z_max": 1.33}


def without_left_arm(mesh: TriMesh) -> TriMesh:
    centres = mesh.triangle_corners().mean(axis=1)
    cut = ((centres[:, 0] > ARM_CUT["x_min"]) & (centres[:, 2] > ARM_CUT["z_min"])
           & (centres[:, 2] < ARM_CUT["z_max"]))
    assert cut.mean() > 0.03  # the cut really took the arm
    return TriMesh(mesh.vertices.copy(), mesh.triangles[~cut])


@pytest.fixture(scope="module")
def sample_views(tmp_path_factory):
    root = tmp_path_factory.mktemp("views")
    proc = run_cli("sample", "--out", root, "--json")
    assert proc.returncode == 0, proc.stderr
    return {v: (root / f"{v}.png").read_bytes() for v in VIEWS}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """GLBs as the generator delivers them: broken (no left arm) and good, both turned 90 degrees."""
    folder = tmp_path_factory.mktemp("glb")
    figure = member_mesh("on_base")
    good = write_glb(facing.turn_about_z(figure, 90), folder / "good.glb").read_bytes()
    broken = write_glb(facing.turn_about_z(without_left_arm(figure), 90), folder / "broken.glb").read_bytes()
    return broken, good


class Studio(AIStudio3DFake):
    """3D AI Studio whose n-th submitted task delivers the n-th model (the last one after that)."""

    def __init__(self, payloads):
        super().__init__(key=KEY)
        self.payloads = list(payloads)
        self.payload = self.payloads[0]
        self.polls_to_finish = 1

    def new_task(self, body):
        task = super().new_task(body)
        self.payload = self.payloads[min(len(self.tasks), len(self.payloads)) - 1]
        return task


def zoomed_out(png: bytes, scale: float = 0.7) -> bytes:
    """The same picture with the character drawn smaller, feet on the same ground line."""
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    small = rgb.resize((int(w * scale), int(h * scale)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (w, h), rgb.getpixel((0, 0)))
    canvas.paste(small, ((w - small.width) // 2, h - small.height - int(h * (1 - scale) * 0.1)))
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()


class Painter:
    """The fake Gemini's answers: the sample character seen as the prompt asks; the first
    left view comes back as the front picture again, the first right view drawn at 70 % of the
    front's height (the check must reject both)."""

    def __init__(self, fake, views: dict[str, bytes]):
        self.fake = fake
        self.views = views
        self.left_calls = 0
        self.right_calls = 0

    def __call__(self, image):
        text = " ".join(self.fake.received[-1].texts)
        if "Paint one original character" in text:
            return self.views["front"]
        if "from directly behind" in text:
            return self.views["back"]
        if "faces the LEFT edge" in text:
            self.right_calls += 1
            return self.views["right"] if self.right_calls > 1 else zoomed_out(self.views["right"])
        if "faces the RIGHT edge" in text:
            self.left_calls += 1
            return self.views["front"] if self.left_calls == 1 else self.views["left"]
        buf = io.BytesIO()  # restyle, pose, backdrop, base: the picture as it came
        image.convert("RGB").save(buf, format="PNG")
        return buf.getvalue()


@pytest.fixture
def fakes(monkeypatch, sample_views, models):
    gemini = gemini_server.FakeGemini().start()
    painter = Painter(gemini, sample_views)
    monkeypatch.setattr(gemini_server, "edited_png", painter)
    studio = Studio(models)
    env = {"GEMINI_API_KEY": GEMINI_KEY, "FIGURINE_GEMINI_BASE_URL": gemini.base_url,
           "FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": studio.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.05",
           "FIGURINE_BACKOFF_BASE": "0.01", "FIGURINE_BACKOFF_MAX": "0.05", "NO_PROXY": "127.0.0.1,localhost"}
    yield gemini, studio, env
    studio.close()
    gemini.stop()


MAKE_ARGS = ("--prompt", "a knight in blue armour", "--online", "--attempts", "3", "--size", "512", "--json")


def _check_finished(job: Path, studio, summary: dict | None) -> None:
    if summary is not None:  # the CLI's result (the panel has none)
        assert summary["ok"] is True
        assert summary["model"] == "Hunyuan 3.0 (Multi-view)" and summary["options"]["model"] == "3.0"
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    assert manifest["make"]["plan"]["options"]["model"] == "3.0"
    attempts = manifest["make"]["attempts"]
    # One submit per attempt; both paid tasks are in the job with their ids and prices.
    assert studio.count("submit") == 2 and len(studio.tasks) == 2
    assert [a["n"] for a in attempts] == [1, 2]
    assert {a["task_id"] for a in attempts} == set(studio.tasks)
    assert {t["task_id"] for t in manifest["tasks"].values()} == set(studio.tasks)
    assert all(a["credits"] == 80.0 for a in attempts)  # 60 + 20 for multi-view
    first, second = attempts
    assert first["review"]["decision"] == "regenerate", first["review"]
    assert any("arm missing" in r for r in first["review"]["reasons"]), first["review"]["reasons"]
    assert second["review"]["decision"] == "keep", second["review"]
    assert second["review"]["turn_deg"] == 270  # the generator's quarter turn was found and undone
    assert second["chosen"] and not first["chosen"]
    assert manifest["make"]["status"] == "done" and manifest["make"]["finished"]["attempt"] == 2
    # Every attempt's review is a finished step of the job, its report kept.
    for attempt in attempts:
        review = json.loads((job / attempt["review"]["folder"] / "review.json").read_text("utf-8"))
        assert review["model"] == attempt["model"] and review["verdict"]["decision"] == attempt["review"]["decision"]
    assert sum(1 for s in manifest["steps"] if s["name"] == "review" and s["status"] == "done") >= 2
    # Printable: one watertight part, 32 mm figure on a 3 mm base (feet sunk 0.4 mm).
    finished = manifest["make"]["finished"]
    assert finished["final"]["watertight"] and finished["final"]["parts"] == 1
    assert finished["base"]["feet_reach_base"] and finished["base"]["base"]["width_mm"] == 25.0
    stl = read_stl(job / "figurine.stl")
    height = float(stl.size()[2])
    assert 32.0 + 3.0 - 0.4 - 0.3 < height < 32.0 + 3.0 + 0.3, height
    assert (job / "figurine.3mf").stat().st_size > 0
    # The views: front (create + 4 AI steps), back, left (one rejected), right.
    edits = [s for s in manifest["steps"] if s["name"] == "ai-edit" and s["status"] == "done"]
    assert [e["params"]["preset"] for e in edits][:5] == ["create-character", "cinematic", "simplify-pose",
                                                          "gray-background", "round-base"]
    for preset, slot in (("left-view", "left"), ("right-view", "right")):
        drawn = [e for e in edits if e["params"]["preset"] == preset]
        assert len(drawn) == 2  # the first was rejected, the second kept
        assert manifest["make"]["views"][slot] == drawn[1]["outputs"]["prepared"]
    text = json.dumps(manifest)
    assert GEMINI_KEY not in text and KEY not in text


def test_make_from_a_prompt_regenerates_until_keep(tmp_path, fakes):
    gemini, studio, env = fakes
    job = tmp_path / "job"
    proc = run_cli("make", *MAKE_ARGS, "--out", job, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = last_json(proc.stdout)
    _check_finished(job, studio, summary)
    # create, 4 AI steps, back, left twice, right twice; then the back view drawn again: the
    # arm-less first model is blamed on the front and back views, and the front is never redrawn.
    assert len(gemini.received) == 11
    revision = json.loads((job / "job.json").read_text("utf-8"))["make"]["revisions"][0]
    assert list(revision["views"]) == ["back"] and "left arm missing" in revision["views"]["back"]["why"][0]
    assert "both arms clearly apart from the body" in " ".join(gemini.received[-1].texts)
    assert "left view try 1 rejected" in proc.stderr and "same picture as the front" in proc.stderr
    assert "right view try 1 rejected" in proc.stderr and "differ in zoom" in proc.stderr
    assert gemini.problems == []


def _manifest(job: Path) -> dict:
    try:
        return json.loads((job / "job.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _running(job: Path, name: str) -> bool:
    return any(s["name"] == name and s["status"] == "running" for s in _manifest(job).get("steps", []))


# When to kill: during the AI steps (the third Gemini request), while the first generation is
# polled, while an attempt is reviewed, while the chosen one is repaired and exported.
STAGES = {
    "edit": lambda job, gemini, studio: len(gemini.received) >= 3,
    "poll": lambda job, gemini, studio: studio.count("status") >= 2,
    "review": lambda job, gemini, studio: _running(job, "review"),
    "finish": lambda job, gemini, studio: _running(job, "export"),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_sigkill_at_each_stage_then_resume_pays_once(tmp_path, fakes, stage):
    gemini, studio, env = fakes
    if stage == "poll":
        studio.hold = True  # the service says IN_PROGRESS until the make is killed
    job = tmp_path / "job"
    logs = {name: tmp_path / f"{name}.log" for name in ("out", "err", "res-out", "res-err")}
    with open(logs["out"], "wb") as out, open(logs["err"], "wb") as err:
        proc = subprocess.Popen([sys.executable, str(FIGURINE), "make", *MAKE_ARGS, "--out", str(job)],
                                stdout=out, stderr=err, env={**os.environ, **env})
        try:
            give_up = time.monotonic() + 300  # a bound for a loaded machine, not a measurement
            while not STAGES[stage](job, gemini, studio) and proc.poll() is None and time.monotonic() < give_up:
                time.sleep(0.02)
            assert proc.poll() is None, logs["err"].read_text()
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    before = _manifest(job)
    done_before = {s["index"] for s in before["steps"] if s["status"] == "done"}
    studio.hold = False
    with open(logs["res-out"], "wb") as out, open(logs["res-err"], "wb") as err:
        code = subprocess.run([sys.executable, str(FIGURINE), "resume", str(job), "--online", "--json"],
                              stdout=out, stderr=err, env={**os.environ, **env}, timeout=600).returncode
    assert code == 0, logs["res-err"].read_text()[-3000:]
    _check_finished(job, studio, last_json(logs["res-out"].read_text()))
    manifest = _manifest(job)
    # Nothing finished before the kill was done again: each (preset, parent, view) was asked
    # once, except the left view the check rejected; the finished steps are all still there.
    asked = [(s["params"]["preset"], s["params"]["parent"], s["params"]["slot"], s["params"]["prompt"])
             for s in manifest["steps"] if s["name"] == "ai-edit" and s["status"] == "done"]
    others = [a for a in asked if a[0] not in ("left-view", "right-view")]
    assert len(others) == len(set(others)) == 7  # create, 4 AI steps, back, back re-edited: once each
    assert len([a for a in asked if a[0] == "left-view"]) == 2  # one rejected, one kept
    assert len([a for a in asked if a[0] == "right-view"]) == 2
    assert done_before <= {s["index"] for s in manifest["steps"] if s["status"] == "done"}
    # Gemini: at most the one request the kill cut short was asked again.
    assert len(gemini.received) <= 12


def test_make_from_views_stops_before_passing_the_credit_cap(tmp_path, fakes, sample_views):
    """Four views given (no Gemini call at all): the first model is broken, a second would take
    the make past --max-credits, so it stops before paying, finishes the best it has and says so."""
    gemini, studio, env = fakes
    args = []
    for view in VIEWS:
        (tmp_path / f"{view}.png").write_bytes(sample_views[view])
        args += [f"--{view}", tmp_path / f"{view}.png"]
    job = tmp_path / "job"
    env = {k: v for k, v in env.items() if k != "GEMINI_API_KEY"}  # not needed: nothing to draw
    proc = run_cli("make", *args, "--online", "--attempts", "3", "--max-credits", "100", "--size", "512",
                   "--base", "none", "--digital", "--json", "--out", job, env={**env, "GEMINI_API_KEY": ""})
    assert proc.returncode == 1, proc.stderr[-3000:]
    summary = last_json(proc.stdout)
    assert studio.count("submit") == 1 and gemini.received == []
    assert summary["ok"] is False and summary["decision"] == "regenerate"
    assert "would pass --max-credits 100 (80 spent)" in summary["stopped"]
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    (attempt,) = manifest["make"]["attempts"]
    assert attempt["credits"] == 80.0 and attempt["chosen"] and attempt["review"]["decision"] == "regenerate"
    assert manifest["make"]["plan"]["ai_steps"] == []
    # Finished anyway (it was paid for), without a base: 32 mm tall.
    assert abs(float(read_stl(job / "figurine.stl").size()[2]) - 32.0) < 0.3
    # --digital: the textured model (seams kept), turned like the print, 32 mm = 0.032 m tall.
    glb = _read_glb_positions(job / "figurine.glb")
    size = glb.max(axis=0) - glb.min(axis=0)  # glTF: Y up
    assert abs(size[1] - 0.032) < 0.001, size
    # Turned like the print: the arms (the figure's widest part above its base) lie across X.
    upper = glb[glb[:, 1] > glb[:, 1].min() + 0.6 * size[1]]
    width = upper.max(axis=0) - upper.min(axis=0)
    assert width[0] > 1.5 * width[2], width


def _read_glb_positions(path: Path) -> np.ndarray:
    import struct

    data = path.read_bytes()
    (json_len,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20:20 + json_len])
    bin_start = 20 + json_len + 8
    points = []
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            acc = doc["accessors"][prim["attributes"]["POSITION"]]
            view = doc["bufferViews"][acc["bufferView"]]
            offset = bin_start + view.get("byteOffset", 0) + acc.get("byteOffset", 0)
            points.append(np.frombuffer(data, np.float32, acc["count"] * 3, offset).reshape(-1, 3))
            assert "TEXCOORD_0" in prim["attributes"]  # the textures' UVs came through
    return np.concatenate(points)


@pytest.mark.parametrize("argv, message", [
    (["--online", "--out", "J"], "nothing to start from"),
    (["--online", "--out", "J", "--prompt", "x", "--photo", "p.png"], "only one of"),
    (["--out", "J", "--prompt", "x"], "needs network access"),
    (["--online", "--prompt", "x"], "no job folder"),
    (["--online", "--out", "J", "--prompt", "x", "--base", "triangle9"], "base"),
    (["--online", "--out", "J", "--prompt", "x", "--attempts", "0"], "less than one"),
    (["--online", "--out", "J", "--prompt", "x", "--option", "model=9.9"], "model"),
    (["--online", "--out", "J", "--prompt", "x", "--provider", "nosuch"], "nosuch"),
    # The online make takes the four main views only: a diagonal is refused, not dropped unsaid.
    (["--online", "--out", "J", "--front", "f.png", "--front-left", "fl.png"], "unrecognized arguments: --front-left"),
])
def test_make_refuses_bad_requests_before_anything_is_paid(tmp_path, monkeypatch, capsys, argv, message):
    from figurine_forge import cli

    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("FIGURINE_3DAISTUDIO_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["make", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert GEMINI_KEY not in err and KEY not in err
    assert not (tmp_path / "J").exists()  # refused before the job folder was made


def test_make_without_the_3d_key_stops_before_gemini(tmp_path, monkeypatch, capsys):
    from figurine_forge import cli

    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.delenv("FIGURINE_3DAISTUDIO_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["make", "--online", "--out", "J", "--prompt", "a knight"])
    err = capsys.readouterr().err
    assert code == 2 and "no API key for 3D AI Studio" in err, err
    assert not (tmp_path / "J").exists()
