# SPDX-License-Identifier: GPL-3.0-or-later
"""Review end to end on the sample character: `figurine sample`, `figurine run`, then
`figurine review` on the good reconstruction and on a copy with one arm cut off; the report
rendered by headless Chromium; the Review operator in-process."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.review import silhouette
from figurine_forge.core.mesh.stl import read_stl, write_stl
from helpers import last_json, run_cli, sample_job

VIEWS = ("front", "back", "left", "right")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; scripts/install_test_deps.sh installs it
# The sample figure (blender/sample_figure.py PARTS) in figure units: the top of the hair is at
# 1.96; arm_l (+X, the character's left) hangs at x = 0.35 from z = 0.88 to 1.38 with its hand
# down to 0.77, beside a torso 0.27 and hips 0.25 wide (half-widths).
SAMPLE_TOP = 1.96
ARM_CUT = {"x_min": 0.29, "z_min": 0.70, "z_max": 1.33}  # below the shoulder, outside the torso


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    return sample_job(tmp_path_factory.mktemp("review"))


@pytest.fixture(scope="module")
def good(job):
    proc = run_cli("review", job, "--json")
    assert proc.returncode == 0, proc.stderr
    return proc, last_json(proc.stdout), json.loads((job / "review.json").read_text("utf-8"))


def cut_left_arm(stl: Path) -> int:
    """Delete the triangles of the character's left arm (+X) below the shoulder; returns how many."""
    mesh = read_stl(stl)
    lo, hi = mesh.bounds()
    unit = (hi[2] - lo[2]) / SAMPLE_TOP
    centres = mesh.triangle_corners().mean(axis=1)
    cut = ((centres[:, 0] > ARM_CUT["x_min"] * unit) & (centres[:, 2] > ARM_CUT["z_min"] * unit)
           & (centres[:, 2] < ARM_CUT["z_max"] * unit))
    write_stl(stl, TriMesh(mesh.vertices, mesh.triangles[~cut]))
    return int(cut.sum())


@pytest.fixture(scope="module")
def broken(job, tmp_path_factory):
    copy = tmp_path_factory.mktemp("broken") / "job"
    shutil.copytree(job, copy)
    removed = cut_left_arm(copy / "figurine.stl")
    assert removed > 1000  # the cut really took the arm (the arm is ~7 % of the mesh)
    proc = run_cli("review", copy, "--json", "--no-check")
    assert proc.returncode == 0, proc.stderr
    return copy, last_json(proc.stdout), json.loads((copy / "review.json").read_text("utf-8"))


def _iou(review: dict) -> dict:
    return {v["view"]: v["iou"] for v in review["views"]}


def test_good_model_agrees_with_its_views(job, good, output_dir):
    proc, result, review = good
    iou = _iou(review)
    lines = ["sample figure, local reconstruction — silhouette IoU per view:",
             *(f"  {view:>5}: {iou[view]:.4f}" for view in VIEWS)]
    print("\n" + "\n".join(lines))
    (output_dir / "review_iou_good.txt").write_text("\n".join(lines) + "\n", "utf-8")
    assert set(iou) == set(VIEWS)
    for view in ("front", "left", "right"):
        assert iou[view] >= 0.95, f"{view} IoU {iou[view]}"
    assert iou["back"] >= 0.94
    assert {v["view"]: v["iou"] for v in result["views"]} == iou  # the CLI's JSON matches the file
    assert result["report_html"] == str(job / "report.html") and result["review_json"] == str(job / "review.json")
    for v in review["views"]:
        assert {"view", "iou", "score", "missing", "extra", "regions", "findings", "images"} <= set(v)
        assert not [r for r in v["regions"] if r["kind"] == "missing" and r["fraction"] >= 0.02]
    assert not any("arm missing" in r for r in review["verdict"]["reasons"])
    # A local reconstruction agrees with its own silhouettes by construction: never "keep".
    assert review["verdict"]["decision"] in ("unverified", "fix")  # fix only for print-check findings
    assert review["print"]["size_mm"][2] == pytest.approx(32.0, abs=0.05)
    assert review["print"]["material"]["resin_ml"] > 0.5
    assert review["check"]["source"].startswith("print check of the reviewed model")
    # Progress went to stderr, one line per render.
    assert proc.stderr.count("[render]") == 5 and "[compare]" in proc.stderr


def test_review_is_a_job_step_and_publishes_both_files(job, good):
    manifest = json.loads((job / "job.json").read_text("utf-8"))
    step = manifest["steps"][-1]
    assert step["name"] == "review" and step["status"] == "done"
    assert step["result"]["iou"] == {v: pytest.approx(i, abs=1e-4) for v, i in _iou(good[2]).items()}
    folder = job / step["folder"]
    assert manifest["latest"]["review.json"] == f"{step['folder']}/review.json"
    assert manifest["latest"]["report.html"] == f"{step['folder']}/report.html"
    assert (folder / "review.json").read_bytes() == (job / "review.json").read_bytes()
    assert (folder / "report.html").read_bytes() == (job / "report.html").read_bytes()
    for view in (*VIEWS, "three_quarter"):
        with Image.open(folder / f"clay_{view}.png") as im:
            assert im.size == (512, 512) and im.mode == "RGB"
            assert im.getpixel((2, 2)) == (190, 190, 190)  # studio gray backdrop


def test_heat_maps_paint_the_check_results(good, job):
    review = good[2]
    maps = {m["name"]: m for m in review["heatmaps"]["maps"]}
    assert set(maps) == {"thickness", "overhang"}
    assert maps["overhang"]["flagged"] == review["check"]["checks"]["overhang_faces"] > 0
    magenta = np.asarray([int(c * 255) for c in (0.80, 0.05, 0.55)])  # heatmap.OVERHANG, lit
    for rel in maps["overhang"]["images"].values():
        rgb = np.asarray(Image.open(job / rel).convert("RGB"), np.int32)
        # Lit magenta: red and blue well above green. The sample's chin and arm undersides show it.
        tinted = (rgb[..., 0] - rgb[..., 1] > 60) & (rgb[..., 2] - rgb[..., 1] > 30)
        assert tinted.sum() > 50, rel
        assert magenta[0] > magenta[1]
    for rel in maps["thickness"]["images"].values():
        assert (job / rel).is_file()


def test_broken_model_scores_lower_where_the_arm_shows(good, broken, output_dir):
    good_iou, broken_iou = _iou(good[2]), _iou(broken[2])
    lines = ["left arm cut off — silhouette IoU per view (good → broken):",
             *(f"  {view:>5}: {good_iou[view]:.4f} → {broken_iou[view]:.4f}" for view in VIEWS),
             *(f"  reason: {r}" for r in broken[2]["verdict"]["reasons"])]
    print("\n" + "\n".join(lines))
    (output_dir / "review_iou_broken_arm.txt").write_text("\n".join(lines) + "\n", "utf-8")
    # The arm hangs beside the torso: it shows from the front and back ...
    for view in ("front", "back"):
        assert broken_iou[view] < good_iou[view] - 0.03, view
    # ... and hides in front of the hips from the sides.
    for view in ("left", "right"):
        assert broken_iou[view] == pytest.approx(good_iou[view], abs=0.01), view
    _, result, review = broken
    reasons = review["verdict"]["reasons"]
    assert review["verdict"]["decision"] == "regenerate"
    assert any(r.startswith("left arm missing in the front view") for r in reasons), reasons
    assert any(r.startswith("left arm missing in the back view") for r in reasons), reasons
    assert not any("right arm" in r for r in reasons)
    assert result["verdict"] == "regenerate" and result["reasons"] == reasons
    assert review["heatmaps"]["maps"] == [] and review["check"] is None  # --no-check


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "a":
            self.links.append(a.get("href", ""))


@pytest.mark.parametrize("which", ["good", "broken"])
def test_every_image_and_file_the_report_references_exists(which, request):
    root = request.getfixturevalue("job") if which == "good" else request.getfixturevalue("broken")[0]
    review = json.loads((root / "review.json").read_text("utf-8"))
    refs = _Refs()
    refs.feed((root / "report.html").read_text("utf-8"))
    expected = 3 * len(review["views"]) + len(review["renders"]) + sum(
        len(m["images"]) for m in review["heatmaps"]["maps"])
    assert len(refs.images) == expected
    for src in refs.images:
        assert src.startswith("data:image/png;base64,"), src[:60]  # embedded: the page is self-contained
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
            im.verify()
    for href in refs.links:
        assert (root / href).exists(), href
    for v in review["views"]:
        for rel in v["images"].values():
            assert (root / rel).is_file(), rel


def _screenshot(html: Path, png: Path) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="figurine-chromium-") as profile:
        return subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
             "--window-size=1280,3400", f"--screenshot={png}", html.as_uri()],
            capture_output=True, text=True, timeout=180)


def _pixels_like(png: Path, colour, tolerance: int, solid: bool = False) -> int:
    """Pixels of ``colour``; with ``solid``, only those whose four neighbours are too (patches,
    not one-pixel outlines)."""
    rgb = np.asarray(Image.open(png).convert("RGB"), np.int32)
    m = np.abs(rgb - np.asarray(colour)).max(axis=-1) <= tolerance
    if solid:
        m[1:-1, 1:-1] &= m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
        m[[0, -1], :] = False
        m[:, [0, -1]] = False
    return int(m.sum())


def test_report_renders_in_headless_chromium(job, good, broken, output_dir):
    assert CHROMIUM.is_file(), "Chromium missing: run scripts/install_test_deps.sh"
    shots = {}
    for name, root in (("good", job), ("broken_arm", broken[0])):
        png = output_dir / f"review_report_{name}.png"
        png.unlink(missing_ok=True)
        proc = _screenshot(root / "report.html", png)
        assert proc.returncode == 0, proc.stderr[-2000:]
        console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
        assert console == [], console  # no script errors, no refused resources
        with Image.open(png) as im:
            assert im.size == (1280, 3400)
            colours = len(np.unique(np.asarray(im.convert("RGB").resize((320, 850))).reshape(-1, 3), axis=0))
        assert colours > 500  # a page of pictures, not a blank or an error page
        # The difference images' backdrop colour is used nowhere else on the page: four of them
        # drawn at about 200 px square leave well over 50,000 such pixels.
        backdrop = _pixels_like(png, silhouette.BACKGROUND_RGB, 0)
        assert backdrop > 50_000, backdrop
        shots[name] = _pixels_like(png, silhouette.MISSING_RGB, 12, solid=True)
    # The cut arm is a solid red patch in the front and back difference images (about 500 px
    # each at the page's image size); the good model's red is one-pixel outline slivers, and
    # the legend's swatch is on both pages.
    print(f"\nsolid red (missing) pixels in the screenshots: good {shots['good']}, broken {shots['broken_arm']}")
    assert shots["broken_arm"] > shots["good"] + 500


def test_review_operator_in_blender(broken, tmp_path):
    import bpy

    from figurine_forge.blender import meshio, props
    from figurine_forge.blender.operators import review_ops

    bpy.ops.wm.read_factory_settings(use_empty=True)
    registered = [*props.classes, *review_ops.classes]
    for cls in registered:
        bpy.utils.register_class(cls)
    props.register_properties()
    try:
        job = tmp_path / "job"
        shutil.copytree(broken[0], job)
        scene = bpy.context.scene
        scene.figurine.job_dir = str(job)
        # The panel's case: the figure is the active object (here the one-armed model).
        obj = meshio.trimesh_to_object(read_stl(job / "figurine.stl").weld(), "Hero")
        bpy.context.view_layer.objects.active = obj
        assert bpy.ops.figurine.review(run_check=False) == {"FINISHED"}
        data = scene[review_ops.SCENE_KEY].to_dict()
        assert data["decision"] == "regenerate"
        assert data["report_html"] == str(job / "report.html") and Path(data["report_html"]).is_file()
        assert any(r.startswith("left arm missing in the front view") for r in data["reasons"])
        assert set(data["views"]) == set(VIEWS)
        assert data["views"]["front"]["iou"] < data["views"]["left"]["iou"]
        for view, entry in data["views"].items():
            for kind in ("input", "render", "diff"):
                img = bpy.data.images[entry["images"][kind]]
                assert tuple(img.size) == (512, 512), (view, kind)
        assert bpy.data.images[data["renders"]["three_quarter"]].size[0] == 512
        manifest = json.loads((job / "job.json").read_text("utf-8"))
        assert manifest["steps"][-1]["params"]["model"] == "Hero"
        # A second review replaces the images instead of piling up "...001" copies.
        count = len(bpy.data.images)
        assert bpy.ops.figurine.review(run_check=False) == {"FINISHED"}
        assert len(bpy.data.images) == count
        assert not [i.name for i in bpy.data.images if re.search(r"\.\d{3}$", i.name)]
    finally:
        props.unregister_properties()
        for cls in reversed(registered):
            bpy.utils.unregister_class(cls)


def test_review_of_a_folder_that_is_not_a_job_says_what_to_do(tmp_path):
    proc = run_cli("review", tmp_path, "--json")
    assert proc.returncode == 2, proc.stderr
    result = last_json(proc.stdout)
    assert result["ok"] is False
    assert result["error"] == f"{tmp_path} is not a job folder (no job.json) — give the folder a previous run wrote"


def test_review_of_a_job_without_views_says_what_to_do(tmp_path):
    from figurine_forge.core.jobstore import Job

    Job.open(tmp_path / "job")  # a new, empty job: no prepared views, no model
    proc = run_cli("review", tmp_path / "job", "--json")
    assert proc.returncode == 2, proc.stderr
    assert last_json(proc.stdout)["error"] == (f"{tmp_path / 'job'} has no prepared views to compare with — "
                                               "run 'figurine run' (or Make Figurine) for this job first")
    assert Job.open(tmp_path / "job", create=False).steps == []  # no half-made review step
