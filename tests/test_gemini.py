# SPDX-License-Identifier: GPL-3.0-or-later
"""AI editing through the real google-genai SDK against a fake Gemini server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakes.gemini_server import BadImage, BlockOutput, BlockPrompt, Fail, FakeGemini, Slow, TextOnly
from figurine_forge import cli
from figurine_forge.core import gemini, presets
from figurine_forge.core.errors import BadInputError, RemoteError
from figurine_forge.core.jobstore import Job
from synth_views import view_file

KEY = "fake-key-5f3a9c"


@pytest.fixture
def fake():
    server = FakeGemini().start()
    yield server
    server.stop()
    assert server.problems == [], server.problems


@pytest.fixture
def figure(tmp_path):
    return view_file(tmp_path, "front", view="front")[0]


def settings(fake, **kw):
    return gemini.GeminiSettings(**{"base_url": fake.base_url, "backoff_s": 0.01, "timeout_s": 10, **kw})


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def _decode(data):
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def test_edit_success(fake, figure, tmp_path):
    ref = tmp_path / "ref.png"
    Image.new("RGB", (32, 48), (10, 200, 30)).save(ref)
    result = gemini.edit_image(figure, "Make the figure blue.", references=[ref], api_key=KEY,
                               settings=settings(fake, model="gemini-3-pro-image-preview", aspect_ratio="3:4",
                                                 image_size="2K"))
    got = fake.received[-1]
    assert got.model == "gemini-3-pro-image-preview" and got.api_key == KEY
    assert got.texts == ["Make the figure blue."]
    assert got.mime_types == ["image/jpeg", "image/png"] and got.images[1].size == (32, 48)
    assert got.generation_config["responseModalities"] == ["TEXT", "IMAGE"]
    assert got.generation_config["imageConfig"] == {"aspectRatio": "3:4", "imageSize": "2K"}
    sent = np.asarray(got.images[0].convert("RGB"))
    assert np.array_equal(_decode(result.image), 255 - sent)  # the fake's "edit"
    assert result.text == "Here is the edited character." and result.finish_reason == "STOP"
    assert result.model == "gemini-3-pro-image-preview-fake-001" and result.attempts == 1
    assert result.usage["total"] == 2580


def test_create_without_image_and_env_key_and_base_url(fake, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "from-gemini-env")
    monkeypatch.setenv("GOOGLE_API_KEY", "from-google-env")  # wins, as in the SDK
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    result = gemini.edit_image(None, "A small knight.", settings=gemini.GeminiSettings(backoff_s=0.01))
    assert fake.received[-1].api_key == "from-google-env" and fake.received[-1].images == []
    assert _decode(result.image).shape == (96, 64, 3)


def test_tiff_input_is_converted(fake, tmp_path):
    path = tmp_path / "v.tif"
    Image.new("RGB", (40, 60), (120, 30, 30)).save(path, format="TIFF")
    gemini.edit_image(path, "x", api_key=KEY, settings=settings(fake))
    assert fake.received[-1].mime_types == ["image/png"]


def test_no_key(figure, monkeypatch):
    with pytest.raises(BadInputError, match="no Gemini API key"):
        gemini.edit_image(figure, "x", settings=gemini.GeminiSettings(base_url="http://127.0.0.1:9"))


def test_network_not_allowed(fake, figure):
    with pytest.raises(RemoteError, match="network access is not allowed"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake), online=False)
    assert fake.received == []


@pytest.mark.parametrize("code", [401, 403])
def test_key_refused(fake, figure, code):
    fake.queue(Fail(code, f"API key not valid: {KEY}"))
    with pytest.raises(RemoteError) as info:
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))
    assert f"HTTP {code}" in info.value.message and "refused the API key" in info.value.message
    assert KEY not in info.value.one_line()  # the server echoed it; we must not
    assert len(fake.received) == 1  # never retried


def test_rate_limit_retried_then_succeeds(fake, figure):
    fake.queue(Fail(429), Fail(429))
    sleeps, notes = Sleeps(), []
    result = gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake, backoff_s=1.0), sleep=sleeps,
                               progress=notes.append)
    assert result.attempts == 3 and len(fake.received) == 3
    assert sleeps == [1.0, 2.0]  # exponential backoff
    assert len(notes) == 2 and "429" in notes[0]


def test_rate_limit_exhausted(fake, figure):
    fake.queue(*[Fail(429, "Resource has been exhausted")] * 4)
    sleeps = Sleeps()
    with pytest.raises(RemoteError, match="rate limit or quota") as info:
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake, retries=3), sleep=sleeps)
    assert "after 4 attempt" in info.value.message and len(sleeps) == 3


@pytest.mark.parametrize("code", [500, 503])
def test_server_error(fake, figure, code):
    fake.queue(*[Fail(code)] * 2)
    with pytest.raises(RemoteError, match=f"server error \\(HTTP {code}\\)"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake, retries=1), sleep=Sleeps())
    assert len(fake.received) == 2


def test_bad_request_and_unknown_model(fake, figure):
    fake.queue(Fail(400, "Invalid aspect ratio"), Fail(404, "model not found"))
    with pytest.raises(RemoteError, match="rejected the request.*Invalid aspect ratio"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))
    with pytest.raises(RemoteError, match="does not know this model"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))


def test_timeout(fake, figure):
    fake.queue(Slow(3.0))
    with pytest.raises(RemoteError, match="did not answer within 0.5 s"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake, timeout_s=0.5, retries=0))


def test_unreachable(figure):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteError, match="cannot reach Gemini"):
        gemini.edit_image(figure, "x", api_key=KEY,
                          settings=gemini.GeminiSettings(base_url=f"http://127.0.0.1:{port}", timeout_s=5))


def test_prompt_blocked(fake, figure):
    fake.queue(BlockPrompt("PROHIBITED_CONTENT"))
    with pytest.raises(RemoteError, match="blocked the prompt \\(PROHIBITED_CONTENT"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "NO_IMAGE", "IMAGE_OTHER"])
def test_output_blocked(fake, figure, reason):
    fake.queue(BlockOutput(reason))
    with pytest.raises(RemoteError, match=f"made no image.*finishReason {reason}"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))


def test_text_but_no_image(fake, figure):
    fake.queue(TextOnly("I can only describe this character: a red hero."))
    with pytest.raises(RemoteError, match="text but no image.*a red hero"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))


def test_undecodable_image(fake, figure):
    fake.queue(BadImage())
    with pytest.raises(RemoteError, match="cannot be read"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=settings(fake))


def test_bad_settings(figure):
    with pytest.raises(BadInputError, match="aspect ratio"):
        gemini.edit_image(figure, "x", api_key=KEY, settings=gemini.GeminiSettings(aspect_ratio="7:5"))
    with pytest.raises(BadInputError, match="at most 3 input images"):
        gemini.edit_image(figure, "x", api_key=KEY, references=[figure] * 3)
    with pytest.raises(BadInputError, match="prompt is empty"):
        gemini.edit_image(figure, "  ", api_key=KEY)


def test_versions_in_job(fake, figure, tmp_path):
    job = Job.open(tmp_path / "job")
    v1 = gemini.edit_into_job(job, figure, "first", slot="front", preset="cinematic", api_key=KEY,
                              settings=settings(fake), size=128)
    v2 = gemini.edit_into_job(job, v1.prepared, "second", slot="back", preset="rear-view", api_key=KEY,
                              settings=settings(fake), size=128)
    assert v1.image != v2.image and v1.image.exists() and v2.image.exists()  # nothing overwritten
    versions = gemini.list_versions(job)
    assert [v["params"]["prompt"] for v in versions] == ["first", "second"]
    first, second = versions
    assert first["params"]["model"] == gemini.DEFAULT_MODEL and first["params"]["parent"].startswith("inputs/")
    assert second["params"]["parent"] == first["outputs"]["prepared"]  # the chain of versions
    assert first["result"]["model"].endswith("-fake-001") and "requested" in first["params"]
    assert gemini.list_versions(job, "back") == [second]
    with Image.open(v2.prepared) as img:  # prepared locally: framed on exact studio gray
        assert img.size == (128, 128) and img.getpixel((0, 0)) == (190, 190, 190)
    manifest = (job.root / "job.json").read_text()
    assert KEY not in manifest
    # a failed edit is kept as a failed step, and earlier versions stay
    fake.queue(BlockPrompt("SAFETY"))
    with pytest.raises(RemoteError):
        gemini.edit_into_job(job, figure, "third", api_key=KEY, settings=settings(fake), size=128)
    reopened = Job.open(job.root)
    assert reopened.steps[-1]["status"] == "failed" and "blocked the prompt" in reopened.steps[-1]["error"]
    assert len(gemini.list_versions(reopened)) == 2


def test_builtin_presets(tmp_path):
    all_ = presets.all_presets(tmp_path / "none")
    assert {"create-character", "cinematic", "simplify-pose", "gray-background", "round-base", "rear-view",
            "right-view", "left-view"} <= set(all_)
    left = all_["left-view"]
    assert left.target_slot == "left" and "viewer's right" in left.render().lower()
    assert all_["right-view"].target_slot == "right" and "viewer's left" in all_["right-view"].render().lower()
    assert "#BEBEBE" in all_["gray-background"].render()
    with pytest.raises(BadInputError, match="needs a description"):
        all_["create-character"].render("")
    assert "a tiny wizard" in all_["create-character"].render("a tiny wizard")
    assert all_["cinematic"].render("warmer light").endswith("Additional instruction: warmer light")


def test_user_presets(tmp_path):
    folder = tmp_path / "presets"
    mine = presets.Preset("my-style", "My style", "Paint it in watercolour.{text_line}")
    path = presets.save_user_preset(mine, folder)
    assert path.parent == folder and json.loads(path.read_text())["name"] == "my-style"
    override = presets.Preset("cinematic", "Cinematic (mine)", "Make it look like film noir.")
    presets.save_user_preset(override, folder)
    (folder / "broken.json").write_text("{not json")
    found, problems = presets.user_presets(folder)
    assert set(found) == {"my-style", "cinematic"} and problems and "broken.json" in problems[0]
    all_ = presets.all_presets(folder)
    assert all_["cinematic"].prompt == "Make it look like film noir." and not all_["cinematic"].builtin
    assert presets.delete_user_preset("cinematic", folder)
    assert presets.all_presets(folder)["cinematic"].builtin  # the built-in is back
    with pytest.raises(BadInputError, match="no preset"):
        presets.get_preset("nope", folder)


def test_user_preset_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setattr(presets.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert presets.user_preset_dir() == tmp_path / "figurine_forge" / "presets"


def _run(monkeypatch, capsys, argv):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_edit"])  # independent of other commands
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured


def test_cli_edit_needs_online(monkeypatch, capsys, figure, tmp_path):
    code, out = _run(monkeypatch, capsys, ["edit", str(figure), "--preset", "cinematic", "--out",
                                           str(tmp_path / "o.png"), "--json"])
    assert code == 2 and "add --online" in out.err
    assert not (tmp_path / "o.png").exists()


def test_cli_edit(monkeypatch, capsys, fake, figure, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    out_png = tmp_path / "back.png"
    code, out = _run(monkeypatch, capsys, ["edit", str(figure), "--preset", "rear-view", "--prompt", "keep the cape",
                                           "--model", "gemini-3-pro-image-preview", "--out", str(out_png),
                                           "--raw", str(tmp_path / "raw.png"), "--size", "128",
                                           "--job", str(tmp_path / "job"), "--online", "--json"])
    assert code == 0, out.err
    result = json.loads(out.out.strip().splitlines()[-1])
    assert result["slot"] == "back" and result["model"].startswith("gemini-3-pro-image-preview")
    got = fake.received[-1]
    assert got.model == "gemini-3-pro-image-preview" and "from directly behind" in got.texts[0]
    assert got.texts[0].endswith("Additional instruction: keep the cape")
    with Image.open(out_png) as img:
        assert img.size == (128, 128) and img.getpixel((0, 0)) == (190, 190, 190)
    assert (tmp_path / "raw.png").exists() and result["job_step"] == 1
    assert KEY not in out.out and KEY not in out.err
    # nothing is overwritten without --force
    code, out = _run(monkeypatch, capsys, ["edit", str(figure), "--preset", "rear-view", "--out", str(out_png),
                                           "--online"])
    assert code == 2 and "already exists" in out.err


def test_cli_edit_remote_failure_exit_code(monkeypatch, capsys, fake, figure, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    fake.queue(Fail(401, "bad key"))
    code, out = _run(monkeypatch, capsys, ["edit", str(figure), "--preset", "cinematic", "--out",
                                           str(tmp_path / "o.png"), "--online", "--json"])
    assert code == 4 and "refused the API key" in json.loads(out.out.strip().splitlines()[-1])["error"]


def _side_view_convention() -> dict[str, tuple[str, str]]:
    """From docs/architecture.md's axis line: per side view, the character's own side the camera is
    on and the picture edge the character faces, worked out from the vectors (not copied text)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    import re

    axis = {"X": np.array([1.0, 0, 0]), "Y": np.array([0, 1.0, 0])}
    facing, up = -axis["Y"], np.array([0, 0, 1.0])  # "the figure faces -Y", Z up
    own_right = np.cross(facing, up)
    found = {}
    for slot, sign, name in re.findall(r"\b(left|right) = camera at ([+-])([XY])\b", text):
        camera = axis[name] * (1 if sign == "+" else -1)
        image_right = np.cross(-camera, up)  # the camera looks back at the origin
        side = "RIGHT" if camera @ own_right > 0 else "LEFT"
        edge = "RIGHT" if facing @ image_right > 0 else "LEFT"
        found[slot] = (side, edge)
    assert set(found) == {"left", "right"}, "docs/architecture.md no longer states the side-view cameras"
    return found


def test_side_view_presets_say_what_the_convention_says(tmp_path):
    all_ = presets.all_presets(tmp_path / "none")
    convention = _side_view_convention()
    assert convention == {"left": ("RIGHT", "RIGHT"), "right": ("LEFT", "LEFT")}
    for slot, (side, edge) in convention.items():
        preset = all_[f"{slot}-view"]
        words = preset.render()
        other = {"LEFT": "RIGHT", "RIGHT": "LEFT"}
        assert preset.target_slot == slot
        assert f"character's own {side} side" in words, (slot, words)
        assert f"character's own {other[side]} side" not in words, (slot, words)
        assert f"faces the {edge} edge" in words and f"faces the {other[edge]} edge" not in words
        assert f"point to the viewer's {edge.lower()}" in words


def test_cli_list_presets(monkeypatch, capsys, tmp_path):
    code, out = _run(monkeypatch, capsys, ["edit", "--list-presets", "--presets-dir", str(tmp_path / "none"),
                                           "--json"])
    assert code == 0, out.err
    rows = {r["name"]: r for r in json.loads(out.out.strip().splitlines()[-1])["presets"]}
    assert rows["left-view"]["makes"] == "left" and rows["cinematic"]["makes"] == "the same view"
    code, out = _run(monkeypatch, capsys, ["edit", "--list-presets", "--presets-dir", str(tmp_path / "none")])
    assert code == 0 and "rear-view" in out.out and "Rear view (makes: back)" in out.out
    code, out = _run(monkeypatch, capsys, ["edit", "x.png", "--out", str(tmp_path / "o.png"), "--online"])
    assert code == 2 and "--list-presets" in out.err


def test_cli_edit_job_files_the_front_as_the_front(monkeypatch, capsys, fake, figure, tmp_path):
    """A side view made from the front keeps the given image as the job's front input (the left
    slot's input would be the front picture otherwise, and generate would use it as a side)."""
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    code, out = _run(monkeypatch, capsys, ["edit", str(figure), "--preset", "left-view", "--out",
                                           str(tmp_path / "left.png"), "--size", "128",
                                           "--job", str(tmp_path / "job"), "--online"])
    assert code == 0, out.err
    job = Job.open(tmp_path / "job")
    assert list(job.manifest["inputs"]) == ["front"]
    (edit,) = gemini.list_versions(job)
    assert edit["params"]["slot"] == "left" and edit["params"]["parent"] == job.manifest["inputs"]["front"][0]["path"]
