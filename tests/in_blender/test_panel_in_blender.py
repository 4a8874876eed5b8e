# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel's operators and settings inside Blender, in background mode, where every task
runs synchronously (no timers, no modal operators there)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import bpy

ADDON = "bl_ext.user_default.figurine_forge"


def module(name):
    return importlib.import_module(f"{ADDON}.{name}")


def character(path, facing=0):
    """A small character on studio gray: a body, a head and an arm on one side."""
    from PIL import Image

    h, w = 384, 256
    img = np.full((h, w, 3), 190, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    body = (np.abs(xx - 128) < 40) & (yy > 110) & (yy < 340)
    head = (xx - 128) ** 2 + (yy - 80) ** 2 < 34 ** 2
    arm = (xx > 128 + 40) & (xx < 128 + 40 + 60 * (facing >= 0)) & (yy > 130) & (yy < 160)
    img[body] = (40, 70, 160)
    img[head] = (230, 190, 160)
    img[arm] = (40, 70, 160)
    Image.fromarray(img).save(path)
    return str(path)


def test_tab_and_sub_panels_in_workflow_order(addon):
    panels = [getattr(bpy.types, n) for n in ("FIGURINE_PT_main", "FIGURINE_PT_character", "FIGURINE_PT_generate",
                                              "FIGURINE_PT_review", "FIGURINE_PT_print", "FIGURINE_PT_export")]
    assert all(p.bl_category == "Figurine" and p.bl_space_type == "VIEW_3D" for p in panels)
    assert all(p.bl_parent_id == "FIGURINE_PT_main" for p in panels[1:])
    assert [p.bl_label for p in panels[1:]] == ["1 · Character", "2 · Generate", "3 · Review", "4 · Print",
                                                 "5 · Export"]


def test_tasks_run_synchronously_in_background(addon):
    tasks = module("blender.tasks")
    errors = module("core.errors")
    seen = []

    def work(ctl):
        for i in range(5):
            ctl.progress(i / 5, f"step {i}")
        return 21

    run = tasks.start(bpy.context, tasks.Task("double", work, lambda ctx, v: seen.append(v * 2) or "doubled"))
    assert run.state == "finished" and run.result_text == "doubled" and seen == [42]
    assert run.fraction == pytest.approx(0.8) and run.text == "step 4" and run.thread is None
    assert not tasks.busy()

    def fail(ctl):
        raise errors.RemoteError("service down", hint="try later")

    with pytest.raises(errors.RemoteError):
        tasks.start(bpy.context, tasks.Task("fail", fail))
    assert tasks.last().state == "failed" and tasks.last().result_text == "service down — try later"
    assert not tasks.busy()


def test_missing_inputs_are_reported_with_the_next_step(scene, tmp_path):
    with pytest.raises(RuntimeError, match="front view is missing.*Character panel"):
        bpy.ops.figurine.generate()
    scene.figurine.front_image = str(tmp_path / "gone.png")
    with pytest.raises(RuntimeError, match="front view's file .*gone.png is missing"):
        bpy.ops.figurine.mirror_view(slot="front")
    scene.figurine.front_image = character(tmp_path / "front.png")
    with pytest.raises(RuntimeError, match="no job folder yet.*Job Folder"):
        bpy.ops.figurine.mirror_view(slot="front")
    with pytest.raises(RuntimeError, match="no job folder.*Job Folder"):
        bpy.ops.figurine.generate()


def test_view_versions_mirror_and_pick_again(scene, tmp_path):
    s = scene.figurine
    s.job_dir = str(tmp_path / "job")
    src = character(tmp_path / "front.png")
    assert bpy.ops.figurine.load_view(slot="front", filepath=src) == {"FINISHED"}
    assert s.front_image == src and len(s.view_front.versions) == 1
    assert bpy.ops.figurine.mirror_view(slot="front") == {"FINISHED"}
    mirrored = s.front_image
    assert mirrored != src and mirrored.startswith(str(tmp_path / "job" / "views" / "front"))
    from PIL import Image

    a = np.asarray(Image.open(src).convert("RGB"))
    b = np.asarray(Image.open(mirrored).convert("RGB"))
    assert np.array_equal(a[:, ::-1], b) and not np.array_equal(a, b)
    assert [v.origin for v in s.view_front.versions] == ["loaded", "mirrored"]
    s.view_front.active_version = 0  # what clicking the first row of the history does
    assert s.front_image == src


def test_missing_side_made_by_mirroring_the_other(scene, tmp_path):
    s = scene.figurine
    s.job_dir = str(tmp_path / "job")
    bpy.ops.figurine.load_view(slot="front", filepath=character(tmp_path / "front.png"))
    bpy.ops.figurine.load_view(slot="right", filepath=character(tmp_path / "right.png", facing=1))
    assert bpy.ops.figurine.fill_missing_sides() == {"FINISHED"}
    assert s.left_image and s.view_left.versions[0].origin == "mirrored right"
    with pytest.raises(RuntimeError, match="no side view can be made"):
        bpy.ops.figurine.fill_missing_sides()


def test_prepare_puts_the_view_on_studio_gray(scene, tmp_path):
    from PIL import Image

    s = scene.figurine
    s.job_dir = str(tmp_path / "job")
    raw = np.full((300, 200, 3), (20, 160, 30), np.uint8)  # a green screen
    raw[60:260, 70:130] = (200, 40, 40)
    Image.fromarray(raw).save(tmp_path / "green.png")
    bpy.ops.figurine.load_view(slot="front", filepath=str(tmp_path / "green.png"))
    assert bpy.ops.figurine.prepare_view(slot="front", size=256) == {"FINISHED"}
    out = np.asarray(Image.open(s.front_image).convert("RGB"))
    assert out.shape == (256, 256, 3)
    assert tuple(out[2, 2]) == pytest.approx((190, 190, 190), abs=2)  # the backdrop is studio gray now
    assert s.view_front.versions[-1].origin == "prepared"


def test_generate_locally_brings_a_clay_figure_in(scene, tmp_path):
    s = scene.figurine
    s.job_dir = str(tmp_path / "job")
    bpy.ops.figurine.load_view(slot="front", filepath=character(tmp_path / "front.png"))
    s.provider = "local"
    for opt in s.provider_options:
        if opt.name == "resolution":
            opt.int_value = 64
    assert bpy.ops.figurine.generate() == {"FINISHED"}  # synchronous in background mode
    obj = bpy.context.view_layer.objects.active
    assert obj is not None and obj.name.startswith("Figurine") and len(obj.data.polygons) > 100
    assert obj.data.materials[0].name.startswith("Figurine Clay")
    assert s.last_generated.endswith("generated.stl")


def test_remote_generator_needs_online_access(scene, tmp_path):
    s = scene.figurine
    s.job_dir = str(tmp_path / "job")
    bpy.ops.figurine.load_view(slot="front", filepath=character(tmp_path / "front.png"))
    s.provider = "tripo"
    prefs = module("blender.prefs")
    prefs.get_preferences().key_tripo = "tsk_test_not_a_real_key"
    try:
        assert not bpy.app.online_access  # background mode without --online-mode
        with pytest.raises(RuntimeError, match="needs network access"):
            bpy.ops.figurine.generate()
    finally:
        prefs.get_preferences().key_tripo = ""


def test_keys_never_land_in_the_blend_file(scene, tmp_path):
    prefs = module("blender.prefs")
    p = prefs.get_preferences()
    props = {prop.identifier: prop for prop in p.bl_rna.properties}
    assert props["gemini_key"].subtype == "PASSWORD"
    assert all(props[k].subtype == "PASSWORD" for k in props if k.startswith("key_"))
    secret = "sk_do_not_save_this_key_123"
    p.key_meshy = secret
    try:
        path = tmp_path / "scene.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=False)
        assert path.is_file() and secret.encode() not in path.read_bytes()
    finally:
        p.key_meshy = ""


def test_every_operator_that_changes_the_scene_supports_undo(addon):
    changes_scene = ("run_job", "generate", "resume_generate", "load_view", "view_from_image", "prepare_view",
                     "mirror_view", "fill_missing_sides", "clear_view", "reset_options", "import_mesh", "clay",
                     "scale_to_height")
    for name in changes_scene:
        cls = getattr(bpy.types, f"FIGURINE_OT_{name}")
        assert "UNDO" in cls.bl_options, name


def test_disable_and_enable_again(addon):
    tasks = module("blender.tasks")
    assert tasks.draw_status in bpy.types.STATUSBAR_HT_header._dyn_ui_initialize()
    bpy.ops.preferences.addon_disable(module=ADDON)
    assert not hasattr(bpy.types, "FIGURINE_PT_main")
    bpy.ops.preferences.addon_enable(module=ADDON)
    assert hasattr(bpy.types, "FIGURINE_PT_main") and hasattr(bpy.types.Scene, "figurine")


def test_print_check_gives_the_same_answers_in_this_blender(scene):
    # Two overlapping spheres on a thin plate (173,372 triangles: every set-up step runs in
    # several blocks), checked through the operator. The counts are the ones the engine gives
    # under the bpy module (Python 3.11, numpy 1.26): inside Debian's Blender 4.3 (Python 3.13,
    # its own numpy) the same code must find the same intersections, thin faces and parts.
    from printcheck_meshes import box, join, uv_sphere

    mesh = join(uv_sphere((0, 0, 10), 8.0, segments=400, rings=200), uv_sphere((6, 0, 10), 5.0, segments=120, rings=60),
                box((-10, -10, 0), (10, 10, 0.3)))
    data = bpy.data.meshes.new("Spheres")
    data.from_pydata(mesh.vertices.tolist(), [], mesh.triangles.tolist())
    data.update()
    obj = bpy.data.objects.new("Spheres", data)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    assert bpy.ops.figurine.check_print(height_mm=32.0, preset="resin") == {"FINISHED"}
    report = module("blender.findings").get("Spheres").report
    c = report["checks"]
    assert (c["intersecting_faces"], c["thin_faces"], c["min_thickness_mm"], c["non_manifold_edges"],
            c["loose_parts"], c["overhang_faces"]) == (1006, 4, 0.5333, 0, 3, 43080)
    assert report["volume_ml"] == pytest.approx(15.661671, abs=2e-6) and report["stable"]
    # The core, called directly on the same triangles, agrees with the operator.
    direct = module("core.printcheck").check_trimesh(mesh, 32.0, "resin")
    assert direct["checks"] == c
