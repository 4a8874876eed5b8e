# SPDX-License-Identifier: GPL-3.0-or-later
"""Units in the GUI path (bpy module): Blender's default scene is in metres, and a figure
imported before Scale to Height is metre-sized there (the sample figure: 1.96 units, i.e.
1.96 m). Check Print and Review must read the scene's unit scale, never check such a figure as
if its units were millimetres (a 2 mm speck against a 0.6 mm wall: 8 GB and a MemoryError
before), and say what size they checked and what to do."""

from __future__ import annotations

import json

import pytest

import bpy  # noqa: E402  (conftest has pointed Blender at a private user folder)

from figurine_forge.blender import findings, meshio, props, sample_figure  # noqa: E402
from figurine_forge.blender.operators import check_ops, review_ops  # noqa: E402
from figurine_forge.core.images.prepare import prepare_into_job  # noqa: E402
from figurine_forge.core.jobstore import Job  # noqa: E402
from figurine_forge.core.mesh.stl import read_stl  # noqa: E402

VIEWS = ("front", "back", "left", "right")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample's views and ground truth (figure units: 1.96 tall), and a job whose views
    are prepared (what Review compares against)."""
    root = tmp_path_factory.mktemp("units")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    sample_figure.write_sample(root / "views", size=256)
    job = Job.open(root / "job")
    prepare_into_job(job, {v: root / "views" / f"{v}.png" for v in VIEWS}, size=256)
    return root / "views" / "ground_truth.stl", root / "job"


@pytest.fixture
def metre_scene(sample):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    registered = [*props.classes, *check_ops.classes, *review_ops.classes]
    for cls in registered:
        bpy.utils.register_class(cls)
    props.register_properties()
    findings.clear()
    scene = bpy.context.scene
    assert scene.unit_settings.system == "METRIC" and scene.unit_settings.scale_length == 1.0  # Blender's default
    obj = meshio.trimesh_to_object(read_stl(sample[0]), "Hero")  # 1.96 units: 1.96 m here
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    yield scene, obj
    findings.clear()
    props.unregister_properties()
    for cls in reversed(registered):
        bpy.utils.unregister_class(cls)
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_check_print_reads_the_scene_units_and_says_what_it_checked(metre_scene):
    scene, obj = metre_scene
    assert scene.figurine.height_mm == 32.0
    assert bpy.ops.figurine.check_print(wait=True) == {"FINISHED"}
    report = findings.get("Hero").report
    assert report["height_mm"] == 32.0 and report["size_mm"][2] == pytest.approx(32.0, abs=1e-3)
    assert report["checks"]["thin_faces"] == 0  # the 32 mm figure's walls hold (not a 2 mm speck's)
    (note,) = report["notices"]
    assert note.startswith("'Hero' is 1960 mm tall in the scene (1 unit = 1 m); it was checked as printed 32 mm tall")
    assert "Scale to Height" in note


def test_review_checks_a_scaled_copy_of_a_metre_sized_figure_and_says_so(metre_scene, sample):
    scene, obj = metre_scene
    job = sample[1]
    scene.figurine.job_dir = str(job)
    assert bpy.ops.figurine.review() == {"FINISHED"}  # (execute: synchronous, the print check included)
    review = json.loads((job / "review.json").read_text("utf-8"))
    assert review["print"]["size_mm"][2] == pytest.approx(1960.0, rel=1e-3)  # as it stands, in mm
    check = review["check"]
    assert check["size_mm"][2] == pytest.approx(32.0, abs=1e-3)  # what was checked
    assert check["checks"]["thin_faces"] == 0
    note = check["notices"][0]
    assert note.startswith("the model is 1960 mm tall as it stands (1 unit = 1 m), no figurine's size: "
                           "the print check ran on a copy scaled to 32 mm")
    assert "Scale to Height" in note
    assert check["source"].endswith("(scaled copy)")


def test_a_figure_in_a_millimetre_scene_is_checked_as_it_stands(metre_scene, sample):
    scene, obj = metre_scene
    scene.unit_settings.scale_length = 0.001  # 1 unit = 1 mm: the figure is 1.96 mm, no figurine
    scene.figurine.job_dir = str(sample[1])
    obj.scale = (16.3265, 16.3265, 16.3265)  # 1.96 units x 16.33 = 32 mm: a real figurine
    bpy.context.view_layer.update()
    assert bpy.ops.figurine.review() == {"FINISHED"}
    check = json.loads((sample[1] / "review.json").read_text("utf-8"))["check"]
    assert check["size_mm"][2] == pytest.approx(32.0, rel=1e-3)
    assert check.get("notices", []) == [] and check["source"].endswith("preset")
    assert bpy.ops.figurine.check_print(wait=True) == {"FINISHED"}
    assert findings.get("Hero").report["notices"] == []  # 32 mm in the scene, checked at 32 mm


def test_check_print_refuses_a_mesh_over_the_shared_limit_before_reading_it(metre_scene, monkeypatch):
    scene, obj = metre_scene
    triangles = len(obj.data.polygons)  # (all triangles: the mesh came from an STL)
    monkeypatch.setenv("FIGURINE_MAX_TRIANGLES", str(triangles - 1))
    with pytest.raises(RuntimeError, match=f"'Hero' has {triangles:,} triangles, more than the "
                                           f"{triangles - 1:,} the print check handles"):
        bpy.ops.figurine.check_print(wait=True)
    assert findings.get("Hero") is None
