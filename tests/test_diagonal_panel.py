# SPDX-License-Identifier: GPL-3.0-or-later
"""The Character panel's four optional diagonal views (front-left, front-right, back-left,
back-right at 45 degrees), in-process with the bpy module and the installed zip: slots saved
with the .blend, their presets, "Make Diagonal Views" through the fake Gemini (the main four
views never touched), Generate with the local reconstruction from 4 + 4 views of an evaluation
figure against its ground truth, a remote generator that says it leaves them out, and the
panel drawn with them (a recording stand-in for Blender's layout: background Blender draws no
panels)."""

from __future__ import annotations

import importlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fakes.gemini_server as gemini_server
from blender_env import build_zip, clear_scene, install_zip, paid_generator_online
from layout_recorder import Layout, draw_panel
from test_ai_panel import fake, online  # noqa: F401  (fixtures: the fake Gemini server, online access on)
from fakes.aistudio3d_server import AIStudio3DFake
from figurine_forge.core import presets as core_presets
from figurine_forge.core.gemini import list_versions
from figurine_forge.core.images.validate import detect_facing
from figurine_forge.core.jobstore import Job
from provider_harness import KEY as STUDIO_KEY
from synth_views import figure_mask, paint, view_file

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

GEMINI_KEY = "AIzaFAKE-diagonal-key-4b81e07"
MAIN = ("front", "back", "left", "right")
DIAGONALS = ("front_left", "front_right", "back_left", "back_right")
PRESETS = {"front_left": "front-left-view", "front_right": "front-right-view",
           "back_left": "back-left-view", "back_right": "back-right-view"}
RAW_SLOT = re.compile(r"\b(front|back)_(left|right)\b")  # a slot id where words belong
FACING = {"front_left": 1, "front_right": -1, "back_left": 1, "back_right": -1}  # +1: faces the viewer's right


@pytest.fixture(scope="module")
def addon(blender_user_root):
    return install_zip(build_zip())


def module(addon, name):
    return importlib.import_module(f"{addon}.{name}")


def _clear_views(s) -> None:
    for slot in MAIN + DIAGONALS:
        setattr(s, f"{slot}_image", "")
        s.view(slot).versions.clear()
        s.view(slot).prompt = ""
        s.view(slot).expanded = False
        s.view(slot).ai_preset = PRESETS.get(slot, "CUSTOM")  # as a new scene has them
    s.show_diagonal_views = False


@pytest.fixture
def scene(addon, tmp_path, monkeypatch, fake):
    """A job folder and a front view; Gemini is the fake, with a key in the preferences."""
    monkeypatch.setenv("FIGURINE_GEMINI_BASE_URL", fake.base_url)
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    prefs = bpy.context.preferences.addons[addon].preferences
    prefs.gemini_key, prefs.presets_dir = GEMINI_KEY, str(tmp_path / "my-presets")
    clear_scene()
    s = bpy.context.scene.figurine
    _clear_views(s)
    s.ai_model, s.ai_aspect_ratio, s.ai_image_size = "gemini-2.5-flash-image", "AUTO", "AUTO"
    s.job_dir = str(tmp_path / "job")
    front, _mask = view_file(tmp_path, "front", view="front")
    assert bpy.ops.figurine.load_view(slot="front", filepath=str(front)) == {"FINISHED"}
    yield s
    _clear_views(s)
    s.job_dir = ""
    s.provider = "local"
    prefs.gemini_key = prefs.presets_dir = ""


def _png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.round(paint(mask) * 255).astype(np.uint8), "RGB").save(buf, format="PNG")
    return buf.getvalue()


def _facing(path) -> int:
    with Image.open(path) as img:
        grey = np.asarray(img.convert("RGB"), np.float32).mean(axis=2)
    return detect_facing((np.abs(grey - 190) > 12).astype(np.float32)).direction


# -- the properties ---------------------------------------------------------------------------
def test_diagonal_slots_are_saved_with_the_blend(scene, tmp_path):
    s = scene
    for slot in MAIN + DIAGONALS:  # each history knows its own slot ("view_front_left" -> front_left)
        assert s.view(slot).slot == slot
    loaded = {}
    for i, slot in enumerate(DIAGONALS):
        path, _ = view_file(tmp_path, f"{slot}-{i}", view="side_right" if FACING[slot] > 0 else "side_left")
        assert bpy.ops.figurine.load_view(slot=slot, filepath=str(path)) == {"FINISHED"}
        loaded[slot] = str(path)
        s.view(slot).prompt = f"the {slot} prompt"
    s.view("front_left").ai_preset = "cinematic"
    s.show_diagonal_views = True  # the section left open
    assert s.view_paths() == {"front": s.front_image, **loaded}
    # Picking an earlier version in a diagonal's history makes it that slot's image again.
    second, _ = view_file(tmp_path, "back_right-again", view="side_left", dx=5)
    assert bpy.ops.figurine.load_view(slot="back_right", filepath=str(second)) == {"FINISHED"}
    assert s.back_right_image == str(second)
    s.view("back_right").active_version = 0
    assert s.back_right_image == loaded["back_right"] and s.front_image != loaded["back_right"]

    blend = tmp_path / "diagonals.blend"
    assert bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True) == {"FINISHED"}
    name = bpy.context.scene.name
    # Read the saved scene back beside this one (the open file stays as it is).
    with bpy.data.libraries.load(str(blend)) as (_src, dst):
        dst.scenes = [name]
    saved = dst.scenes[0]
    try:
        r = saved.figurine
        assert saved != bpy.context.scene
        for slot in DIAGONALS:
            assert r.image_path(slot) == loaded[slot], slot
            assert r.view(slot).slot == slot and r.view(slot).prompt == f"the {slot} prompt"
            assert [v.filepath for v in r.view(slot).versions][:1] == [loaded[slot]]
        assert len(r.view("back_right").versions) == 2 and r.view("back_right").active_version == 0
        assert r.view("front_left").ai_preset == "cinematic" and r.show_diagonal_views
        assert r.view("back_left").ai_preset == "back-left-view"  # never changed: its own preset
    finally:
        bpy.data.scenes.remove(saved)


def test_each_diagonal_offers_its_own_preset_first(scene, addon):
    ai_ops = module(addon, "blender.operators.ai_ops")
    fresh = bpy.data.scenes.new("fresh")
    try:  # a new scene's diagonal AI Edit makes that view (from the front); a main view's sends the prompt
        assert {slot: fresh.figurine.view(slot).ai_preset for slot in MAIN + DIAGONALS} == \
            {**{slot: "CUSTOM" for slot in MAIN}, **PRESETS}
    finally:
        bpy.data.scenes.remove(fresh)
    for slot, own in PRESETS.items():
        items = ai_ops.slot_preset_items(slot, bpy.context)
        names = [i[0] for i in items]
        assert names[0] == own and "CUSTOM" in names and "cinematic" in names, names
        assert not {"rear-view", "left-view", "right-view", "create-character"} & set(names)  # would replace a main view
        assert set(PRESETS.values()) <= set(names)
        scene.view(slot).ai_preset = "CUSTOM"  # the user's own prompt instead
        assert scene.view(slot).ai_preset == "CUSTOM"
        scene.view(slot).ai_preset = "cinematic"
        assert scene.view(slot).ai_preset == "cinematic"
        assert len({i[4] for i in items}) == len(items)  # every choice stored as a number of its own
        assert "front-left view" in dict((i[0], i[2]) for i in items)["front-left-view"]
    for slot in MAIN:  # the main views' lists are as before: no diagonal presets
        names = [i[0] for i in ai_ops.slot_preset_items(slot, bpy.context)]
        assert names[0] == "CUSTOM" and "rear-view" in names and not set(PRESETS.values()) & set(names)
    with pytest.raises(TypeError):
        scene.view("front").ai_preset = "front-left-view"


# -- AI: the diagonals from the front --------------------------------------------------------
def test_make_diagonal_views_fills_the_four_and_leaves_the_main_views(scene, addon, online, fake, monkeypatch,
                                                                     tmp_path):
    s = scene
    back, _ = view_file(tmp_path, "back", view="back")
    assert bpy.ops.figurine.load_view(slot="back", filepath=str(back)) == {"FINISHED"}
    before = {slot: (getattr(s, f"{slot}_image"), len(s.view(slot).versions)) for slot in MAIN}
    prompts = {slot: core_presets.get_preset(name).render() for slot, name in PRESETS.items()}
    # Each prompt gets a view facing the right way for its slot, but the front-right one comes
    # back facing the viewer's right (the wrong way): the panel keeps a mirrored copy.
    answers = {prompts["front_left"]: _png(figure_mask(view="side_right")),
               prompts["front_right"]: _png(figure_mask(view="side_right")),
               prompts["back_left"]: _png(figure_mask(view="side_right")),
               prompts["back_right"]: _png(figure_mask(view="side_left"))}
    monkeypatch.setattr(gemini_server, "edited_png", lambda image: answers[fake.received[-1].texts[0]])

    assert bpy.ops.figurine.generate_diagonal_views() == {"FINISHED"}
    assert [r.texts for r in fake.received] == [[prompts[slot]] for slot in DIAGONALS]
    front = np.asarray(Image.open(s.front_image).convert("RGB"))
    for r in fake.received:  # each from the front view alone
        assert len(r.images) == 1 and np.array_equal(np.asarray(r.images[0].convert("RGB")), front)
    made = list_versions(Job.open(s.job_dir, create=False))
    assert [e["params"]["slot"] for e in made] == list(DIAGONALS)
    assert {e["params"]["parent"] for e in made} == {"inputs/front.jpg"}
    for slot, entry in zip(DIAGONALS, made):
        path = Path(s.image_path(slot))
        if slot == "front_right":  # the mirrored copy, a new file in the slot's own folder
            assert path.parent == Path(s.job_dir) / "views" / slot and "mirrored" in path.name
        else:  # Gemini's result as prepared in its step
            assert path == Path(s.job_dir) / entry["outputs"]["prepared"]
        assert path.is_file()
        assert len(s.view(slot).versions) == 1
        assert _facing(path) == FACING[slot], slot
    assert s.view("front_right").versions[0].origin == "AI front-right-view (mirrored)"
    assert s.view("front_left").versions[0].origin == "AI front-left-view"
    # The main views: not one changed, no version added, nothing asked for them.
    assert {slot: (getattr(s, f"{slot}_image"), len(s.view(slot).versions)) for slot in MAIN} == before
    tasks = module(addon, "blender.tasks")
    said = tasks.last().result_text
    assert said.startswith("Made the front-left, front-right, back-left, back-right views")
    assert "Gemini drew the front-right view facing the wrong way" in said

    # All four set: asking again is refused without a request.
    with pytest.raises(RuntimeError, match="every diagonal view is set"):
        bpy.ops.figurine.generate_diagonal_views()
    assert len(fake.received) == 4


def test_make_missing_views_never_makes_diagonals(scene, online, fake):
    s = scene
    assert bpy.ops.figurine.generate_missing_views() == {"FINISHED"}
    assert len(fake.received) == 3  # back, left, right: the optional diagonals are not "missing"
    assert all(s.image_path(slot) for slot in MAIN)
    assert not any(s.image_path(slot) for slot in DIAGONALS)


def test_ai_edit_of_one_diagonal_with_its_preset_starts_from_the_front(scene, online, fake, monkeypatch):
    s = scene
    monkeypatch.setattr(gemini_server, "edited_png", lambda image: _png(figure_mask(view="side_left")))
    assert bpy.ops.figurine.ai_edit_view(slot="back_left", preset="back-left-view") == {"FINISHED"}
    (request,) = fake.received
    assert request.texts == [core_presets.get_preset("back-left-view").render()]
    assert np.array_equal(np.asarray(request.images[0].convert("RGB")),
                          np.asarray(Image.open(s.front_image).convert("RGB")))
    # It came back facing the viewer's left; a back-left view faces the viewer's right: mirrored.
    assert _facing(s.back_left_image) == 1 and "mirrored" in Path(s.back_left_image).name
    assert [slot for slot in DIAGONALS if s.image_path(slot)] == ["back_left"]


def test_mirror_a_diagonal_from_its_twin(scene, tmp_path):
    s = scene
    path, _ = view_file(tmp_path, "fl", view="side_right")
    bpy.ops.figurine.load_view(slot="front_left", filepath=str(path))
    assert bpy.ops.figurine.mirror_view(slot="front_right", source="OPPOSITE") == {"FINISHED"}
    assert _facing(s.front_right_image) == -1 and s.view("front_right").versions[0].origin == "mirrored front-left"
    # The History shows the view's name in words; the file keeps its plain name.
    assert s.view("front_right").versions[0].name.startswith("mirrored front-left · ")
    assert Path(s.front_right_image).name == "01-mirrored-front-left.png"
    path, _ = view_file(tmp_path, "br", view="side_left")
    bpy.ops.figurine.load_view(slot="back_right", filepath=str(path))
    assert bpy.ops.figurine.fill_missing_sides(which="DIAGONALS") == {"FINISHED"}
    assert _facing(s.back_left_image) == 1 and s.view("back_left").versions[0].origin == "mirrored back-right"
    assert not s.left_image and not s.right_image  # the side views are another button's
    with pytest.raises(RuntimeError, match="no diagonal view can be made"):
        bpy.ops.figurine.fill_missing_sides(which="DIAGONALS")


def test_the_panels_errors_name_a_diagonal_in_words(scene, addon, online, tmp_path):
    """A diagonal without an image, whose file went missing or whose prompt is empty: Prepare,
    Mirror, AI Edit, Save Preset, Generate and the whole offline run (figurine.run_job) say
    which view in the panel's words ("front-left"), not by its slot id."""
    s = scene
    with pytest.raises(RuntimeError, match="the back-right view has no image") as no_image:
        bpy.ops.figurine.prepare_view(slot="back_right")
    s.front_left_image = str(tmp_path / "gone.png")
    with pytest.raises(RuntimeError, match="the front-left view's file .*gone.png is missing") as mirror:
        bpy.ops.figurine.mirror_view(slot="front_right", source="OPPOSITE")
    errors = module(addon, "core.errors")
    with pytest.raises(errors.BadInputError, match="the front-left view's file .*gone.png is missing") as ai:
        module(addon, "blender.operators.ai_ops").current_image(s, "front_left")
    with pytest.raises(RuntimeError, match="front-left view .*gone.png does not exist") as generate:
        bpy.ops.figurine.generate()
    with pytest.raises(RuntimeError, match="front-left view .*gone.png does not exist") as run:
        bpy.ops.figurine.run_job()
    with pytest.raises(RuntimeError, match="the back-left view's prompt is empty") as prompt:
        bpy.ops.figurine.ai_edit_view(slot="back_left", preset="CUSTOM")
    with pytest.raises(RuntimeError, match="the back-left view's prompt is empty") as keep:
        bpy.ops.figurine.save_ai_preset(slot="back_left")
    for said in (no_image, mirror, ai, generate, run, prompt, keep):
        assert not RAW_SLOT.search(str(said.value)), said.value
    # Prepare's task is named as the panel names the view.
    path, _ = view_file(tmp_path, "fl", view="side_right")
    assert bpy.ops.figurine.load_view(slot="front_left", filepath=str(path)) == {"FINISHED"}
    assert bpy.ops.figurine.prepare_view(slot="front_left", size=256) == {"FINISHED"}
    assert module(addon, "blender.tasks").last().task.label == "Prepare Front-Left"


# -- Generate: the diagonals go where the provider takes them ------------------------------------
def _generate_local(s, views: dict, job: Path, resolution: int):
    _clear_views(s)
    for slot, path in views.items():
        setattr(s, f"{slot}_image", str(path))
    s.job_dir = str(job)
    s.provider = "local"
    (option,) = [o for o in s.provider_options if o.name == "resolution"]
    option.int_value = resolution
    before = set(bpy.data.objects)
    assert bpy.ops.figurine.generate() == {"FINISHED"}  # synchronous in background mode
    (obj,) = set(bpy.data.objects) - before
    return obj


@pytest.fixture(scope="module")
def sword(addon, tmp_path_factory):
    """The sword figure (its blade held out to the side, seen edge-on or hidden from the four
    main directions) rendered from the eight directions, with its ground truth."""
    clear_scene()
    return module(addon, "blender.eval_figures").write_figure("sword", tmp_path_factory.mktemp("sword"), size=384)


def test_generate_locally_from_four_plus_four_views_is_closer_to_the_figure(addon, sword, tmp_path):
    """Generate with the local reconstruction from the sword's main four views, then from all
    eight, each compared with the figure's ground truth by volumetric IoU (the core's, as
    bench/bench_reconstruct.py measures it)."""
    from figurine_forge.core.images import ALL_VIEW_SLOTS, VIEW_SLOTS
    from figurine_forge.core.mesh.stl import read_stl
    from figurine_forge.core.voxelize import normalise_figure, volumetric_iou

    meshio = module(addon, "blender.meshio")
    clear_scene()
    written = sword
    truth = normalise_figure(read_stl(written["ground_truth"]))
    s = bpy.context.scene.figurine
    scores = {}
    VIEW_SETS = {4: VIEW_SLOTS, 8: ALL_VIEW_SLOTS}
    try:
        for n in (4, 8):
            job = tmp_path / f"job{n}"
            obj = _generate_local(s, {slot: written[slot] for slot in VIEW_SETS[n]}, job, resolution=128)
            # The mesh as reconstructed (normalised by the views), not where the scene placed it.
            scores[n] = volumetric_iou(meshio.object_to_trimesh(obj, world=False), truth, resolution=128)
            manifest = json.loads((job / "job.json").read_text("utf-8"))
            (step,) = [st for st in manifest["steps"] if st["name"] == "generate"]
            assert sorted(step["params"]["views"]) == sorted(VIEW_SETS[n])  # the core took them all
            assert sorted(manifest["inputs"]) == sorted(VIEW_SETS[n])
    finally:
        _clear_views(s)
        s.job_dir = ""
        clear_scene()
    print(f"\nsword, Generate (local, 128): IoU 4 views {scores[4]:.3f}, 8 views {scores[8]:.3f}")
    assert scores[4] > 0.6  # a figure, not a blob: the comparison below means something
    assert scores[8] > scores[4] + 0.03, scores


def test_make_whole_figurine_reconstructs_from_the_diagonals_too(addon, sword, tmp_path):
    """The panel's Make Whole Figurine (``figurine.run_job``) hands every view set to the same
    workflow as `figurine run --front-left ...`: the diagonals are the job's inputs, prepared
    and reconstructed from."""
    s = bpy.context.scene.figurine
    clear_scene()
    _clear_views(s)
    for slot in ("front", "left", "front_left", "back_right"):
        setattr(s, f"{slot}_image", str(sword[slot]))
    s.job_dir, s.resolution = str(tmp_path / "job"), 64
    try:
        assert bpy.ops.figurine.run_job() == {"FINISHED"}
        manifest = json.loads((tmp_path / "job" / "job.json").read_text("utf-8"))
        assert sorted(manifest["inputs"]) == ["back_right", "front", "front_left", "left"]
        (prepare,) = [st for st in manifest["steps"] if st["name"] == "prepare"]
        assert sorted(prepare["params"]["views"]) == ["back_right", "front", "front_left", "left"]
        assert (tmp_path / "job" / "figurine.stl").is_file()
    finally:
        _clear_views(s)
        s.job_dir, s.resolution = "", 160
        clear_scene()


def test_the_cli_generate_takes_the_diagonals_as_the_panel_does(sword, tmp_path):
    """`figurine generate --provider local --front-left ...` (the same core call as the panel's
    Generate) reconstructs from the diagonals; before, the request check kept the main four
    only and dropped them without a word."""
    from helpers import run_cli

    args: list = ["generate", "--provider", "local", "--option", "resolution=64", "--size", "512",
                  "--out", tmp_path / "job", "--json"]
    for slot in ("front", "left", "front_left", "front_right"):
        args += [f"--{slot.replace('_', '-')}", sword[slot]]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((tmp_path / "job" / "job.json").read_text("utf-8"))
    (step,) = [st for st in manifest["steps"] if st["name"] == "generate"]
    assert sorted(step["params"]["views"]) == ["front", "front_left", "front_right", "left"]


def test_remote_generator_leaves_the_diagonals_out_and_says_so(addon, tmp_path, monkeypatch, online):
    from fakes.payloads import make_glb, write_view_pngs

    fake = AIStudio3DFake(key=STUDIO_KEY)
    fake.payload = make_glb()  # the model it delivers (a small GLB)
    monkeypatch.setenv("FIGURINE_3DAISTUDIO_BASE_URL", fake.url)
    monkeypatch.setenv("FIGURINE_ALLOW_LOOPBACK_HTTP", "1")
    monkeypatch.setenv("FIGURINE_POLL_INTERVAL", "0.01")
    with paid_generator_online(addon, STUDIO_KEY) as s:
        clear_scene()
        _clear_views(s)
        views = write_view_pngs(tmp_path, slots=("front", "back", "front_left", "back_right"))
        for slot, path in views.items():
            setattr(s, f"{slot}_image", str(path))
        s.job_dir = str(tmp_path / "job")
        try:
            ui = module(addon, "blender.ui")
            said = " ".join(i[1] for i in _draw(ui.FIGURINE_PT_generate).walk() if i[0] == "label")
            assert "3D AI Studio does not use the front-left, back-right views: left out." in said, said
            assert "about 80 credits" in said  # priced for the views it takes (front and back: multi-view)
            assert bpy.ops.figurine.generate() == {"FINISHED"}
            (submit,) = fake.seen("submit")
            assert [v["view_type"] for v in submit.json()["multi_view_images"]] == ["front", "back"]
            text = module(addon, "blender.tasks").last().result_text
            for slot in ("front_left", "back_right"):  # said, as `figurine generate` warns
                assert f"does not use the {slot.replace('_', '-')} view; it is left out" in text, text
            assert not RAW_SLOT.search(text), text
        finally:
            fake.close()
            _clear_views(s)
            s.job_dir = ""
            clear_scene()


# -- the panel, drawn --------------------------------------------------------------------------
def _draw(cls) -> Layout:
    return draw_panel(cls, bpy.context)


def _operators(layout: Layout, idname: str) -> list[dict]:
    return [dict(vars(i[4]), text=i[1]) for i in layout.walk() if i[0] == "operator" and i[3] == idname]


def test_the_panel_draws_the_diagonal_section(scene, addon, online, tmp_path):
    s = scene
    ui = module(addon, "blender.ui")
    character = ui.FIGURINE_PT_character
    s.show_diagonal_views = False  # as a new scene has it
    plain = _draw(character)
    # Closed by default: a header only; the main views are drawn as they were.
    labels = [i[1] for i in plain.walk() if i[0] == "label"]
    assert "Diagonal Views (optional)" in labels
    assert {o["slot"] for o in _operators(plain, "figurine.load_view")} == set(MAIN)

    # Two diagonals loaded (one with its tools open), the section opened.
    for slot, view in (("front_left", "side_right"), ("back_right", "side_left")):
        path, _ = view_file(tmp_path, slot, view=view)
        assert bpy.ops.figurine.load_view(slot=slot, filepath=str(path)) == {"FINISHED"}
    closed = _draw(character)
    assert "Diagonal Views: 2 of 4 set" in [i[1] for i in closed.walk() if i[0] == "label"]  # seen closed too
    assert [b.shape() for b in closed.boxes()[:4]] == [b.shape() for b in plain.boxes()[:4]]
    assert not any(o["slot"] in DIAGONALS for o in _operators(closed, "figurine.load_view"))

    s.view("front_left").expanded = True
    s.show_diagonal_views = True  # the user opens the section
    drawn = _draw(character)
    assert [b.shape() for b in drawn.boxes()[:4]] == [b.shape() for b in plain.boxes()[:4]]  # main four unchanged
    (body,) = [i for i in drawn.items if isinstance(i, Layout) and i.kind == "panel-body"]
    assert [o["slot"] for o in _operators(body, "figurine.load_view")] == list(DIAGONALS)
    texts = [i[1] for i in body.walk() if i[0] == "label"]
    assert "Front-Left" in texts and "Back-Right" in texts
    # Every empty diagonal says where its camera stands and which way the character faces
    # (as the side views do); a loaded one shows its file instead.
    assert texts[texts.index("Front-Right") + 1:][:2] == ["faces the viewer's left", "Front + the character's left side"]
    assert texts[texts.index("Back-Left") + 1:][:2] == ["faces the viewer's right", "Back + the character's right side"]
    assert "front_left.jpg" in texts and "back_right.jpg" in texts
    # The open tools: Prepare, Mirror, the slot's own preset list, AI Edit, the history.
    assert _operators(body, "figurine.prepare_view") == [{"slot": "front_left", "text": "Prepare"}]
    assert [p[4] for p in body.walk() if p[0] == "prop" and p[3] == "ai_preset"] == ["front_left"]
    assert ("list", "versions_front_left") in list(body.walk())
    # The two missing: made from the front with AI (one paid image each), or mirrored from their twins.
    assert [o["text"] for o in _operators(body, "figurine.generate_diagonal_views")] == ["AI: Make Diagonal Views"]
    assert "Draws the 2 missing from the front: one paid image each." in " ".join(texts)
    assert _operators(body, "figurine.fill_missing_sides") == [{"which": "DIAGONALS", "text": "Mirror Missing Diagonals"}]
    # The main views' "missing" never counts the diagonals.
    missing = [t for t in (i[1] for i in drawn.walk() if i[0] == "label") if t.startswith("Missing:")]
    assert missing == ["Missing: back, left, right"]

    # All four set: no Make button; an empty diagonal's own tools offer its preset and its twin.
    setattr(s, "front_right_image", s.front_left_image)
    setattr(s, "back_left_image", s.back_right_image)
    full = _draw(character)
    s.back_left_image = ""
    s.view("back_left").expanded = True
    one_empty = _draw(character)
    s.show_diagonal_views = False
    assert "Diagonal Views: 4 of 4 set" in [i[1] for i in full.walk() if i[0] == "label"]
    assert _operators(full, "figurine.generate_diagonal_views") == []
    made = _operators(one_empty, "figurine.ai_edit_view")
    assert {"slot": "back_left", "preset": "back-left-view", "text": "AI: Make from Front"} in made
    assert {"slot": "back_left", "source": "OPPOSITE", "text": "Mirror Back-Right"} in \
        _operators(one_empty, "figurine.mirror_view")


def test_prepare_checks_a_diagonals_facing_like_a_side_views(scene, addon, tmp_path):
    """Prepare on a diagonal runs the view check for that slot: one drawn facing the wrong way
    is named, with the fix (Mirror, beside Prepare); one facing the right way passes."""
    s = scene
    tasks = module(addon, "blender.tasks")
    wrong, _ = view_file(tmp_path, "fl-wrong", view="side_left")  # a front-left view must face the viewer's right
    bpy.ops.figurine.load_view(slot="front_left", filepath=str(wrong))
    assert bpy.ops.figurine.prepare_view(slot="front_left", size=256) == {"FINISHED"}
    said = tasks.last().result_text
    assert said.startswith("Front-Left view prepared") and "front-left view must face the viewer's right" in said, said
    assert "give it as the front-right view" in said and not RAW_SLOT.search(said), said
    assert tasks.last().level == "WARNING"  # drawn with a warning sign, not a tick
    assert bpy.ops.figurine.mirror_view(slot="front_left") == {"FINISHED"}
    assert bpy.ops.figurine.prepare_view(slot="front_left", size=256) == {"FINISHED"}
    assert tasks.last().result_text == "Front-Left view prepared", tasks.last().result_text
    assert tasks.last().level != "WARNING"
    assert [v.origin for v in s.view("front_left").versions] == ["loaded", "prepared", "mirrored", "prepared"]


def test_make_sample_views_leaves_no_other_characters_diagonals(scene, tmp_path):
    s = scene
    path, _ = view_file(tmp_path, "someone-else", view="side_right")
    bpy.ops.figurine.load_view(slot="front_left", filepath=str(path))
    assert bpy.ops.figurine.make_sample(directory=str(tmp_path / "sample")) == {"FINISHED"}
    assert sorted(s.view_paths()) == sorted(MAIN)  # the sample's four views, nothing mixed in
    assert len(s.view("front_left").versions) == 1  # its history is kept, as Clear View keeps it
