# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel's AI edits in-process with the bpy module: the built zip installed like a user
installs it, driven through bpy.ops.figurine.*, talking through the real google-genai SDK to
the fake Gemini server on 127.0.0.1 (tests/fakes/gemini_server.py).

Online access: ``bpy.app.online_access`` is a read-only attribute, and False in background
mode. Blender mirrors the preference ``preferences.system.use_online_access`` into it (unless
Blender was started with --offline-mode), so these tests switch the real preference on and off
rather than replacing the add-on's check: the operators see exactly what a user's Blender
tells them (see ``online`` below; the preference is restored after every test and the
preferences are never saved)."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fakes.gemini_server as gemini_server
from blender_env import build_zip, clear_scene, install_zip
from fakes.gemini_server import Fail, FakeGemini
from figurine_forge.core import presets as core_presets
from figurine_forge.core.images import STUDIO_GRAY
from figurine_forge.core.images.validate import detect_facing
from figurine_forge.core.jobstore import Job
from synth_views import figure_mask, paint, view_file

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

KEY = "AIzaFAKE-panel-key-93f1c0d7e2"
SLOTS = ("front", "back", "left", "right")


@pytest.fixture(scope="module")
def addon(blender_user_root):
    return install_zip(build_zip())


def addon_module(addon, name):
    return importlib.import_module(f"{addon}.{name}")


@pytest.fixture
def fake():
    server = FakeGemini().start()
    yield server
    server.stop()
    assert server.problems == [], server.problems


@pytest.fixture
def online():
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = True
    assert bpy.app.online_access  # Blender follows the preference: the real switch is on
    yield system
    system.use_online_access = before


@pytest.fixture
def prefs(addon, tmp_path):
    p = bpy.context.preferences.addons[addon].preferences
    p.gemini_key = KEY
    p.presets_dir = str(tmp_path / "my-presets")  # never the real ~/.config
    yield p
    p.gemini_key = ""
    p.presets_dir = ""


@pytest.fixture
def scene(addon, tmp_path, monkeypatch, fake):
    """A scene with a job folder and a front view; Gemini is the fake."""
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    clear_scene()
    s = bpy.context.scene.figurine
    for slot in SLOTS:
        setattr(s, f"{slot}_image", "")
        s.view(slot).versions.clear()
        s.view(slot).prompt = ""
    s.ai_model, s.ai_aspect_ratio, s.ai_image_size = "gemini-2.5-flash-image", "AUTO", "AUTO"
    s.job_dir = str(tmp_path / "job")
    front, _mask = view_file(tmp_path, "front", view="front")
    assert bpy.ops.figurine.load_view(slot="front", filepath=str(front)) == {"FINISHED"}
    yield s
    s.job_dir = ""
    for slot in SLOTS:
        setattr(s, f"{slot}_image", "")
        s.view(slot).versions.clear()


def rgb(source) -> np.ndarray:
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
        return np.asarray(img.convert("RGB"))


def job_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def edits(s) -> list[dict]:
    from figurine_forge.core.gemini import list_versions

    return list_versions(Job.open(s.job_dir, create=False))


# -- one edit -----------------------------------------------------------------------------------
def test_preset_edit_becomes_a_new_version_of_the_view(scene, prefs, online, fake):
    s = scene
    front = s.front_image
    assert bpy.ops.figurine.ai_edit_view(slot="front", preset="gray-background") == {"FINISHED"}
    # One request: the preset's prompt and the view's image, with the key from the preferences.
    assert len(fake.received) == 1
    got = fake.received[0]
    assert got.model == "gemini-2.5-flash-image" and got.api_key == KEY
    assert got.texts == [core_presets.get_preset("gray-background").render()]
    assert len(got.images) == 1 and np.array_equal(np.asarray(got.images[0].convert("RGB")), rgb(front))
    # The job keeps it as an ai-edit step with its provenance; nothing earlier is replaced.
    (entry,) = edits(s)
    assert entry["params"]["preset"] == "gray-background" and entry["params"]["slot"] == "front"
    assert entry["params"]["parent"] == "inputs/front.jpg"
    assert entry["result"]["model"] == "gemini-2.5-flash-image-fake-001"
    job = Path(s.job_dir)
    raw = job / entry["outputs"]["image"]
    assert np.array_equal(rgb(raw), 255 - rgb(front))  # the fake's "edit" came back unchanged
    # The view now shows the prepared copy (exact studio gray around the figure)...
    prepared = job / entry["outputs"]["prepared"]
    assert s.front_image == str(prepared)
    corners = rgb(prepared)[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == STUDIO_GRAY).all()
    # ...and the history has both versions; the loaded file is untouched and can be picked again.
    view = s.view("front")
    assert [v.filepath for v in view.versions] == [front, str(prepared)]
    assert view.active_version == 1 and view.versions[1].origin == "AI gray-background"
    view.active_version = 0
    assert s.front_image == front


def test_custom_prompt_with_model_settings_and_the_key_is_never_written(scene, prefs, online, fake, tmp_path):
    s = scene
    s.view("front").prompt = "Give the character a red cloak."
    s.ai_model, s.ai_aspect_ratio, s.ai_image_size = "gemini-3-pro-image-preview", "3:4", "2K"
    assert bpy.ops.figurine.ai_edit_view(slot="front", preset="CUSTOM") == {"FINISHED"}
    got = fake.received[-1]
    assert got.texts == ["Give the character a red cloak."] and got.model == "gemini-3-pro-image-preview"
    assert got.generation_config["imageConfig"] == {"aspectRatio": "3:4", "imageSize": "2K"}
    assert got.api_key == KEY  # the key was used...
    (entry,) = edits(s)
    assert entry["params"]["preset"] is None and entry["params"]["aspect_ratio"] == "3:4"
    # ...and written nowhere: not in the job folder, not in the saved .blend.
    blend = tmp_path / "saved.blend"
    # Uncompressed, so the bytes can be searched (Blender 5 compresses .blend files by default).
    assert bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True, compress=False) == {"FINISHED"}
    data = blend.read_bytes()
    assert data.startswith(b"BLENDER")
    assert s.job_dir.encode() in data and b"red cloak" in data  # the scene's settings are in it
    needles = [KEY.encode(), KEY.encode("utf-16-le")]
    assert not any(n in data for n in needles)
    files = job_files(Path(s.job_dir))
    assert len(files) >= 5 and any(p.name == "job.json" for p in files)
    for path in files:
        content = path.read_bytes()
        assert not any(n in content for n in needles), path


def test_save_as_preset_then_use_it(scene, prefs, online, fake):
    s = scene
    s.view("front").prompt = "Make the armour look like polished bronze."
    assert bpy.ops.figurine.save_ai_preset(slot="front", title="Bronze armour") == {"FINISHED"}
    saved = Path(prefs.presets_dir) / "bronze-armour.json"
    data = json.loads(saved.read_text())
    assert data["name"] == "bronze-armour" and data["prompt"] == "Make the armour look like polished bronze."
    assert s.view("front").ai_preset == "bronze-armour"  # the choice lists it at once
    s.view("front").prompt = "Keep the helmet."
    assert bpy.ops.figurine.ai_edit_view(slot="front", preset="bronze-armour") == {"FINISHED"}
    preset = core_presets.get_preset("bronze-armour", prefs.presets_dir)
    assert fake.received[-1].texts == [preset.render("Keep the helmet.")]
    assert "Keep the helmet." in fake.received[-1].texts[0]


# -- refusals -----------------------------------------------------------------------------------
def test_offline_is_refused_with_how_to_enable_it(scene, prefs, fake):
    s = scene
    bpy.context.preferences.system.use_online_access = False
    assert not bpy.app.online_access
    front = s.front_image
    s.view("front").prompt = "Anything."
    with pytest.raises(RuntimeError, match=r"online access is off.*Edit → Preferences → System → Network → "
                                           r"Allow Online Access"):
        bpy.ops.figurine.ai_edit_view(slot="front", preset="CUSTOM")
    with pytest.raises(RuntimeError, match="Allow Online Access"):
        bpy.ops.figurine.generate_missing_views()
    assert fake.received == []  # nothing reached the service
    assert s.front_image == front and not (Path(s.job_dir) / "steps").exists()


def test_missing_key_says_where_to_set_it(scene, online, fake, addon):
    bpy.context.preferences.addons[addon].preferences.gemini_key = ""
    scene.view("front").prompt = "Anything."
    with pytest.raises(RuntimeError, match=r"no Gemini API key.*Preferences → Add-ons → Figurine Forge.*"
                                           r"GEMINI_API_KEY"):
        bpy.ops.figurine.ai_edit_view(slot="front", preset="CUSTOM")
    assert fake.received == []


def test_refused_key_reports_the_reason_and_keeps_the_view(scene, prefs, online, fake):
    s = scene
    front = s.front_image
    fake.queue(Fail(401, "API key not valid"))
    with pytest.raises(RuntimeError, match=r"Gemini refused the API key \(HTTP 401") as info:
        bpy.ops.figurine.ai_edit_view(slot="front", preset="cinematic")
    assert KEY not in str(info.value)
    assert len(fake.received) == 1 and s.front_image == front and len(s.view("front").versions) == 1


# -- the missing views ----------------------------------------------------------------------------
def _png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.round(paint(mask) * 255).astype(np.uint8), "RGB").save(buf, format="PNG")
    return buf.getvalue()


def test_generate_missing_views_from_the_front(scene, prefs, online, fake, monkeypatch):
    s = scene
    front = s.front_image
    prompts = {slot: core_presets.get_preset(name).render()
               for slot, name in (("back", "rear-view"), ("left", "left-view"), ("right", "right-view"))}
    # The fake answers each prompt with that view; the right view comes back facing the viewer's
    # right, the wrong way for a right view (which must face the viewer's left).
    answers = {prompts["back"]: _png(figure_mask(view="back")),
               prompts["left"]: _png(figure_mask(view="side_right")),
               prompts["right"]: _png(figure_mask(view="side_right"))}
    monkeypatch.setattr(gemini_server, "edited_png", lambda image: answers[fake.received[-1].texts[0]])
    assert bpy.ops.figurine.generate_missing_views() == {"FINISHED"}

    # One request per missing view, in order, each with the front as the only image.
    assert [r.texts for r in fake.received] == [[prompts["back"]], [prompts["left"]], [prompts["right"]]]
    for r in fake.received:
        assert len(r.images) == 1 and np.array_equal(np.asarray(r.images[0].convert("RGB")), rgb(front))
    steps = edits(s)
    assert [e["params"]["slot"] for e in steps] == ["back", "left", "right"]
    assert {e["params"]["parent"] for e in steps} == {"inputs/front.jpg"}
    assert all(e["params"]["references"] == [] for e in steps)
    manifest = json.loads((Path(s.job_dir) / "job.json").read_text())
    assert list(manifest["inputs"]) == ["front"]  # the front is filed as the front, once

    # Every slot got its image; the side views face the way their slots require.
    for slot in ("back", "left", "right"):
        assert Path(s.image_path(slot)).is_file() and len(s.view(slot).versions) == 1
    assert s.back_image == str(Path(s.job_dir) / steps[0]["outputs"]["prepared"])
    assert s.left_image == str(Path(s.job_dir) / steps[1]["outputs"]["prepared"])
    right = Path(s.right_image)
    assert right.parent == Path(s.job_dir) / "views" / "right" and "mirrored" in right.name
    assert s.view("right").versions[0].origin == "AI right-view (mirrored)"

    def facing(path):
        matte = rgb(path).astype(np.float32).mean(axis=2)
        return detect_facing((np.abs(matte - 190) > 12).astype(np.float32)).direction

    assert facing(s.left_image) == 1  # left view: faces the viewer's right
    assert facing(s.right_image) == -1  # right view: faces the viewer's left
    unmirrored = Path(s.job_dir) / steps[2]["outputs"]["prepared"]
    assert np.array_equal(rgb(right), rgb(unmirrored)[:, ::-1])  # Gemini's result is kept as it came

    # Nothing is missing any more: asking again is refused without a request.
    with pytest.raises(RuntimeError, match="no view is missing"):
        bpy.ops.figurine.generate_missing_views()
    assert len(fake.received) == 3


def test_generate_missing_views_keeps_what_arrived_when_one_fails(scene, prefs, online, fake):
    s = scene
    fake.queue(None, Fail(403, "permission denied"))  # the back arrives, then the key is refused
    assert bpy.ops.figurine.generate_missing_views() == {"FINISHED"}
    assert len(fake.received) == 2  # it stopped: the right view was never asked for
    assert Path(s.back_image).is_file()
    assert s.left_image == "" and s.right_image == ""
    assert [e["params"]["slot"] for e in edits(s)] == ["back"]


# -- the print check's two halves -------------------------------------------------------------------
def test_check_print_worker_half_matches_the_one_piece_check(addon):
    """Check Print reads arrays on the main thread, analyses them in a task and stores the
    findings when the task ends; they must be the ones the one-piece check gives."""
    findings = addon_module(addon, "blender.findings")
    printcheck = addon_module(addon, "core.printcheck")
    clear_scene()
    # The scene in millimetres (as Scale to Height leaves it), whatever an earlier test left: the
    # 32-unit fin is then 32 mm and neither check adds a note about the scene's units.
    bpy.context.scene.unit_settings.system = "METRIC"
    bpy.context.scene.unit_settings.scale_length = 0.001
    bpy.context.scene.unit_settings.length_unit = "MILLIMETERS"
    # A 20 x 0.3 x 32 fin beside a small box with one open side: thin walls and open edges.
    mesh = bpy.data.meshes.new("Parts")
    unit = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float)
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    verts = np.vstack([unit * (20, 0.3, 32), unit * 4 + (30, 0, 0)])
    faces = quads + [tuple(i + 8 for i in q) for q in quads[:1] + quads[2:]]
    mesh.from_pydata(verts.tolist(), [], faces)
    mesh.update()
    obj = bpy.data.objects.new("Parts", mesh)
    bpy.context.scene.collection.objects.link(obj)
    settings = printcheck.preset("resin")
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.figurine.check_print(height_mm=32.0, preset="resin", wait=True) == {"FINISHED"}
    split = findings.get(obj.name)
    assert findings.THICKNESS_ATTRIBUTE in obj.data.color_attributes
    findings.clear(obj.name)
    whole = findings.analyze_object(obj, 32.0, settings)
    assert split.report == whole.report
    assert split.report["checks"]["thin_faces"] > 0 and split.report["checks"]["non_manifold_edges"] == 4
    for key, _label in findings.FINDINGS:
        a = split.faces.get(key, split.edges.get(key))
        b = whole.faces.get(key, whole.edges.get(key))
        assert np.array_equal(a, b), key
    assert np.array_equal(split.vertex_thickness, whole.vertex_thickness)
    clear_scene()
