# SPDX-License-Identifier: GPL-3.0-or-later
"""`figurine review` of a `generate` job: the fake 3D AI Studio delivers the project's figure as
a generator does (textured GLB, vertices split at UV seams, Y up, metres) but turned a quarter
turn away from the views; the review finds the turn and the size, says what it changed, and
compares the fitted model with the views."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fakes.aistudio3d_server import AIStudio3DFake
from generator_corpus import member_mesh, write_glb
from provider_harness import KEY

from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.review import facing
from helpers import last_json, run_cli

VIEWS = ("front", "back", "left", "right")


def turned(mesh: TriMesh, quarter_turns: int) -> TriMesh:
    """``mesh`` turned counter-clockwise (seen from above) by quarter turns about Z."""
    return facing.turn_about_z(mesh, 90 * quarter_turns)


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    root = tmp_path_factory.mktemp("views")
    proc = run_cli("sample", "--out", root, "--json")
    assert proc.returncode == 0, proc.stderr
    return {v: root / f"{v}.png" for v in VIEWS}


@pytest.fixture(scope="module")
def turned_glb(tmp_path_factory):
    # The figure on its base (as the sample views show it) faces -Y; turned by +90 degrees it faces +X, as some generators deliver.
    path = tmp_path_factory.mktemp("glb") / "turned.glb"
    return write_glb(turned(member_mesh("on_base"), 1), path).read_bytes()


def _env(fake) -> dict:
    return {"FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": fake.url,
            "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.02",
            "FIGURINE_BACKOFF_BASE": "0.01", "FIGURINE_BACKOFF_MAX": "0.05"}


def test_find_facing_in_numpy_tells_every_quarter_turn(views):
    from figurine_forge.core.images.prepare import prepare_view_set

    viewset = prepare_view_set({v: str(p) for v, p in views.items()}, size=512)
    mattes = {s: v.matte for s, v in viewset.views.items()}
    figure = member_mesh("on_base")
    for k in range(4):
        found = facing.find_facing(turned(figure, k), mattes)
        # Turning back by the found angle undoes the turn (or, for a figure whose silhouettes
        # match their mirror image, lands on the mirror twin and says so).
        assert (found.turn_deg + 90 * k) % 360 == 0 or (found.ambiguous and (found.turn_deg + 90 * k) % 180 == 0), \
            (k, found)
        assert found.scores[found.turn_deg] > 0.85
        # The side-on turns are clearly worse: the search can see the difference.
        assert found.scores[(found.turn_deg + 90) % 360] < found.scores[found.turn_deg] - 0.05


def test_review_of_a_generate_job_finds_turn_and_size(tmp_path, views, turned_glb):
    fake = AIStudio3DFake(key=KEY)
    fake.payload = turned_glb
    fake.polls_to_finish = 1
    try:
        job = tmp_path / "job"
        args = ["generate", "--online", "--out", job, "--json"]
        for v in VIEWS:
            args += [f"--{v}", views[v]]
        proc = run_cli(*args, env=_env(fake))
        assert proc.returncode == 0, proc.stderr
        assert fake.count("submit") == 1
    finally:
        fake.close()
    proc = run_cli("review", job, "--json", "--no-check")
    assert proc.returncode == 0, proc.stderr
    summary = last_json(proc.stdout)
    review = json.loads((job / "review.json").read_text("utf-8"))
    fitting = review["model_import"]
    assert fitting["model"].startswith("steps/") and fitting["model"].endswith(".glb")
    assert fitting["import"]["unit"] == "m"  # glTF metres, read as such
    assert fitting["import"]["vertices_in_file"] > fitting["import"]["vertices_welded"]  # split at seams
    # Turned back by 270 degrees (or its mirror twin, said so): and the output says it.
    assert fitting["facing"]["turn_deg"] in (270, 90)
    if fitting["facing"]["turn_deg"] == 90:
        assert fitting["facing"]["ambiguous"]
    assert any("turned" in c for c in fitting["changes"]), fitting["changes"]
    assert any("scaled" in c and "32 mm" in c for c in fitting["changes"]), fitting["changes"]
    assert "import: turned" in proc.stdout or "turned" in json.dumps(summary["model_import"])
    assert abs(fitting["scale"]["height_mm"] - 32.0) < 1e-6
    assert abs(fitting["scale"]["height_before_mm"] - 1960.0) < 100.0  # about 2 m as delivered
    # The fitted model agrees with every view; a remote model is judged by all of them.
    ious = {v["view"]: v["iou"] for v in review["views"]}
    assert set(ious) == set(VIEWS)
    assert min(ious.values()) > 0.85, ious
    assert review["verdict"]["decision"] in ("keep", "fix"), review["verdict"]
    assert np.isclose(review["print"]["size_mm"][2], 32.0, atol=0.05)
    html = (job / "report.html").read_text("utf-8")
    assert "What the import changed" in html and "turned" in html


def test_local_generation_is_judged_as_built_from_its_views_remote_by_all():
    from figurine_forge.core.review.verdict import views_the_model_was_built_from

    def manifest(provider: str) -> dict:
        return {"steps": [
            {"index": 1, "name": "prepare", "status": "done", "params": {"views": list(VIEWS)}},
            {"index": 2, "name": "generate", "status": "done", "params": {"provider": provider, "views": list(VIEWS)}},
        ]}

    # The local provider carves from the silhouettes: their agreement is no evidence ("unverified").
    assert views_the_model_was_built_from(manifest("local")) == list(VIEWS)
    # A remote generator draws its own shape: every view is a test of it.
    assert views_the_model_was_built_from(manifest("3daistudio")) == []
