# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole operator chain, as an artist runs it, in whichever Blender runs this script:

    python chain.py -- ZIP VIEWS_DIR WORK_DIR              # a venv with Blender as a module (bpy)
    blender -b --factory-startup -P chain.py -- ZIP VIEWS_DIR WORK_DIR   # a Blender binary

Installs the extension zip with Blender's own operator (into the user folders that
BLENDER_USER_* point at: the caller gives a private folder), then: load views, prepare,
generate locally, clay, review, scale, check, select a finding, make printable, add base,
hollow, decimate, export every format. Each step checks its result, not only that the
operator returned; a failed step is reported and the chain goes on with the figure it has.

Prints one ``CHAIN {json}`` line per step (step, ok, seconds, detail) and a last
``CHAIN_HOST {json}`` line (Blender version, Python, numpy); exits 1 if any step failed.
tests/test_version_matrix.py runs it in every host of the matrix.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import bpy

ADDON = "bl_ext.user_default.figurine_forge"
VIEWS = ("front", "back", "left", "right")
HEIGHT_MM = 32.0
results: list[dict] = []


def step(name: str):
    """Run the decorated function now as one step of the chain and print its result line."""

    def run(fn):
        start = time.perf_counter()
        try:
            detail = fn() or ""
            ok = True
        except Exception as exc:  # every failure is a result of this step, reported below
            ok = False
            detail = f"{type(exc).__name__}: {exc}".strip()[:400]
            traceback.print_exc()
        line = {"step": name, "ok": ok, "seconds": round(time.perf_counter() - start, 2), "detail": str(detail)}
        results.append(line)
        print("CHAIN " + json.dumps(line), flush=True)
        return fn

    return run


def active_mesh():
    obj = bpy.context.view_layer.objects.active
    assert obj is not None and obj.type == "MESH", f"no active mesh object (active: {obj!r})"
    return obj


def triangles(obj) -> int:
    mesh = obj.data
    mesh.calc_loop_triangles()
    return len(mesh.loop_triangles)


def extent_z(obj) -> float:
    zs = [(obj.matrix_world @ v.co).z for v in obj.data.vertices]
    return max(zs) - min(zs)


def last_print_report() -> dict:
    return json.loads(bpy.context.scene.figurine_print.last_report)


def main(zip_path: Path, views: Path, work: Path) -> int:
    module = {}
    job = work / "job"

    @step("install")
    def _install():
        result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default",
                                                          enable_on_install=True)
        assert result == {"FINISHED"}, result
        assert ADDON in bpy.context.preferences.addons and hasattr(bpy.types.Scene, "figurine")
        import importlib

        module["pipeline"] = importlib.import_module(f"{ADDON}.blender.pipeline")
        module["findings"] = importlib.import_module(f"{ADDON}.blender.findings")
        for obj in list(bpy.data.objects):  # the factory scene's cube, camera and light
            bpy.data.objects.remove(obj)
        return zip_path.name

    scene = bpy.context.scene
    s = scene.figurine

    @step("load views")
    def _load():
        s.job_dir = str(job)
        for view in VIEWS:
            assert bpy.ops.figurine.load_view(slot=view, filepath=str(views / f"{view}.png")) == {"FINISHED"}
        assert all(s.image_path(view) for view in VIEWS)
        return "4 views"

    @step("prepare")
    def _prepare():
        from PIL import Image  # the Pillow the zip bundles for this Blender's Python

        for view in VIEWS:
            assert bpy.ops.figurine.prepare_view(slot=view, size=256) == {"FINISHED"}
        with Image.open(s.image_path("front")) as img:
            corner = img.convert("RGB").getpixel((1, 1))
            size = img.size
        assert size == (256, 256) and all(abs(c - 190) <= 2 for c in corner), (size, corner)
        return f"256 px on #BEBEBE, Pillow {Image.__version__}"

    @step("generate local")
    def _generate():
        s.provider = "local"
        for opt in s.provider_options:
            if opt.name == "resolution":
                opt.int_value = 96
        assert bpy.ops.figurine.generate() == {"FINISHED"}
        obj = active_mesh()
        assert obj.name.startswith("Figurine") and len(obj.data.polygons) > 500, (obj.name, len(obj.data.polygons))
        return f"{len(obj.data.polygons)} faces"

    @step("clay")
    def _clay():
        obj = active_mesh()
        assert bpy.ops.figurine.clay(enable=True) == {"FINISHED"}
        assert obj.data.materials and obj.data.materials[0].name.startswith("Figurine Clay")
        return obj.data.materials[0].name

    @step("review")
    def _review():
        assert bpy.ops.figurine.review(run_check=False) == {"FINISHED"}
        found = sorted(job.glob("**/review.json"))
        assert found, "no review.json in the job folder"
        review = json.loads(found[-1].read_text("utf-8"))
        decision = review["verdict"]["decision"]
        assert decision in ("keep", "retry", "fix"), decision
        return f"{decision}, {len(review['views'])} views compared"

    @step("scale")
    def _scale():
        obj = active_mesh()
        assert bpy.ops.figurine.scale_to_height(height_mm=HEIGHT_MM) == {"FINISHED"}
        assert abs(obj.dimensions.z - HEIGHT_MM) < 1e-3, obj.dimensions.z
        return f"{obj.dimensions.z:.2f} mm tall"

    @step("check")
    def _check():
        obj = active_mesh()
        assert bpy.ops.figurine.check_print(height_mm=HEIGHT_MM, preset="resin") == {"FINISHED"}
        found = module["findings"].get(obj.name)
        assert found is not None and found.report["checks"], "no findings stored"
        c = found.report["checks"]
        return f"{c['non_manifold_edges']} non-manifold edges, {c['overhang_faces']} overhang faces"

    @step("select finding")
    def _select():
        obj = active_mesh()
        found = module["findings"].get(obj.name)
        counts = {k: len(v) for k, v in {**found.faces, **found.edges}.items()}
        key = max(counts, key=counts.get)
        assert counts[key] > 0, counts
        assert bpy.ops.figurine.select_finding(finding=key) == {"FINISHED"}
        if obj.mode == "EDIT":
            bpy.ops.object.mode_set(mode="OBJECT")
        selected = sum(p.select for p in obj.data.polygons) if key in found.faces else \
            sum(e.select for e in obj.data.edges)
        assert selected == counts[key], (key, selected, counts[key])
        return f"{key}: {selected}"

    @step("make printable")
    def _printable():
        active_mesh()
        scene.figurine_print.voxel_size_mm = 0.15  # a small test figure: coarser than the 0.04 mm default
        assert bpy.ops.figurine.make_printable() == {"FINISHED"}
        r = last_print_report()
        assert r["after"]["watertight"] and r["after"]["parts"] == 1, r["after"]
        return f"watertight, 1 part, mean deviation {r['deviation']['mean_mm']:.3f} mm"

    @step("add base")
    def _base():
        obj = active_mesh()
        before = extent_z(obj)
        assert bpy.ops.figurine.add_base(base_type="round", base_size_mm=25.0) == {"FINISHED"}
        r = last_print_report()
        assert r["feet_reach_base"], r
        grown = extent_z(obj) - before
        assert 2.0 < grown < 3.5, f"the figure grew {grown:.2f} mm (a 3 mm base sunk 0.4 mm)"
        return f"{r['method']}, +{grown:.2f} mm"

    @step("hollow")
    def _hollow():
        active_mesh()
        # A 32 mm figure's body is a few millimetres thick: a 1 mm wall (resin allows 0.6 mm)
        # leaves room for a cavity.
        result = bpy.ops.figurine.hollow(hollow_wall_mm=1.0)
        r = last_print_report()
        assert result == {"FINISHED"} and r["changed"] and r["saved_mm3"] > 0, r.get("message", r)
        return f"saves {r['saved_percent']:.0f}%, {len(r['drains'])} drain(s)"

    @step("decimate")
    def _decimate():
        obj = active_mesh()
        before = triangles(obj)
        target = max(1000, before // 2)
        assert bpy.ops.figurine.decimate(decimate_target=target) == {"FINISHED"}
        after = triangles(obj)
        assert after <= target * 1.05 and after < before, (before, target, after)
        return f"{before} -> {after} triangles"

    for fmt in module["pipeline"].EXPORT_FORMATS if "pipeline" in module else ("stl",):
        @step(f"export {fmt}")
        def _export(fmt=fmt):
            out = work / f"figurine.{fmt}"
            assert bpy.ops.figurine.export_mesh(filepath=str(out)) == {"FINISHED"}
            assert out.is_file() and out.stat().st_size > 1000, out
            return f"{out.stat().st_size} bytes"

    import numpy

    host = {"blender": bpy.app.version_string, "python": "%d.%d.%d" % sys.version_info[:3],
            "numpy": numpy.__version__, "binary": bool(bpy.app.binary_path),
            "failed": [r["step"] for r in results if not r["ok"]]}
    print("CHAIN_HOST " + json.dumps(host), flush=True)
    return 1 if host["failed"] else 0


if __name__ == "__main__":
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    if len(argv) != 3:
        sys.exit("usage: chain.py -- ZIP VIEWS_DIR WORK_DIR")
    sys.exit(main(Path(argv[0]).resolve(), Path(argv[1]).resolve(), Path(argv[2]).resolve()))
