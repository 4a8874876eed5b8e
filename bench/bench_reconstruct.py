# SPDX-License-Identifier: GPL-3.0-or-later
"""How close the local reconstruction comes to known shapes, per figure and number of views.

The evaluation set is the project's own (``addon/blender/eval_figures.py``: ten posed figures
and the sample) plus the two scanned meshes of ``../shared/data/meshes`` when present. Each
is rendered from the workflow's directions on #BEBEBE (cached in ``--cache``), reconstructed
from 1 view (front), 2 (front, left), 4 (front, back, left, right) and 8 (plus the four
45-degree diagonals), and compared with its ground truth, both normalised to height 1:

- ``iou``: volumetric IoU (``core.voxelize.volumetric_iou``, 128 cells along the longest side)
- ``dist``: mean surface distance in mm with the figure scaled to 32 mm tall, both ways
- ``parts``: solid parts of the result (specks under 1 % of the largest dropped, as the
  pipeline does) and of the truth
- ``ridge``: slice-ridge figure. Both shapes are voxelised with 192 cells along the height;
  for every horizontal line of cells (along X and along Y, at every height) the solid's
  length on that line is taken, and the ridge figure is the mean |second difference| of that
  length along the height, in cells, over lines solid on five consecutive heights (so the
  top and bottom of a part, rounded or sharp, do not count: only its flanks). Stacked
  pancakes (each slice fitted on its own) raise it; a smooth surface keeps it near the
  truth's own value, printed beside it.
- ``s``: reconstruction time in seconds (the grid only; no Blender remesh)

Scanned meshes, oriented to the workflow's convention (Z up, facing -Y): both files are
Y-up with the head towards -X (found from their projections: the bunny's ears and the
horse's legs point along +Y, the faces towards -X), so (x, y, z) -> (z, x, y).

    .venv/bin/python bench/bench_reconstruct.py [--res 160] [--size 512] [--views 1,2,4,8]
        [--figures a,b] [--data /work/shared/data] [--legs every|outer-left|outer-right]
        [--run-time] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import figurine  # noqa: E402

VIEW_SETS = {
    1: ("front",),
    2: ("front", "left"),
    4: ("front", "back", "left", "right"),
    8: ("front", "back", "left", "right", "front_left", "front_right", "back_left", "back_right"),
}
SCANS = {"bunny": "meshes/bunny.obj", "horse": "meshes/horse.obj"}
# Y-up, facing -X  ->  Z-up, facing -Y.
SCAN_AXES = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def read_obj(path: Path):
    from figurine_forge.core.mesh.trimesh import TriMesh

    verts, faces = [], []
    with open(path) as fh:
        for line in fh:
            if line.startswith("v "):
                verts.append(line.split()[1:4])
            elif line.startswith("f "):
                faces.append([int(tok.split("/")[0]) - 1 for tok in line.split()[1:4]])
    return TriMesh(np.asarray(verts, float) @ SCAN_AXES.T, np.asarray(faces, np.int64))


def render_scan(name: str, data: Path, folder: Path, size: int) -> None:
    import bpy

    from figurine_forge.blender import eval_figures, meshio
    from figurine_forge.core.mesh.stl import write_stl

    mesh = read_obj(data / SCANS[name])
    obj = meshio.trimesh_to_object(mesh, f"bench_{name}")
    mat = bpy.data.materials.new(f"bench_{name}")
    mat.diffuse_color = (0.62, 0.50, 0.38, 1.0)  # type: ignore[assignment]
    obj.data.materials.append(mat)
    try:
        eval_figures.render_objects_views([obj], folder, tuple(VIEW_SETS[8]), size)
        write_stl(folder / "ground_truth.stl", mesh)
    finally:
        eval_figures.remove_objects([obj])


def ensure_rendered(name: str, cache: Path, data: Path, size: int) -> Path:
    from figurine_forge.blender import eval_figures

    folder = cache / f"{name}_{size}"
    if not (folder / "ground_truth.stl").is_file():
        if name in SCANS:
            render_scan(name, data, folder, size)
        else:
            eval_figures.write_figure(name, folder, size=size)
    return folder


def load_views(folder: Path, slots):
    from PIL import Image

    from figurine_forge.core.images.prepare import PreparedView, ViewSet

    views = {}
    for slot in slots:
        with Image.open(folder / f"{slot}.png") as im:
            rgb = np.asarray(im.convert("RGB"))
        with Image.open(folder / f"{slot}_rgba.png") as im:
            matte = np.asarray(im.convert("RGBA"), np.float32)[:, :, 3] / 255.0
        views[slot] = PreparedView(slot, rgb, matte)
    return ViewSet(views)


def line_lengths(occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solid length of every line of cells along X and along Y, as (lines, Z) arrays."""
    along_x = occ.sum(axis=0).reshape(-1, occ.shape[2])
    along_y = occ.sum(axis=1).reshape(-1, occ.shape[2])
    return along_x.astype(float), along_y.astype(float)


def ridge_figure(mesh, cells: int = 192) -> float:
    from figurine_forge.core.voxelize import voxelize

    lo, hi = mesh.bounds()
    spacing = (hi[2] - lo[2]) / cells
    shape = np.ceil((hi - lo) / spacing).astype(int) + 2
    occ = voxelize(mesh, lo - spacing, spacing, shape)
    values = []
    for lengths in line_lengths(occ):
        a, b, c = lengths[:, 1:-3], lengths[:, 2:-2], lengths[:, 3:-1]
        solid = (lengths[:, :-4] > 0) & (a > 0) & (b > 0) & (c > 0) & (lengths[:, 4:] > 0)
        values.append(np.abs(a - 2 * b + c)[solid])
    allv = np.concatenate(values)
    return float(allv.mean()) if len(allv) else 0.0


def hull_iou(truth, cells: int = 128) -> float:
    """IoU of the truth with its own 2-direction visual hull (front and side silhouettes
    extruded and intersected): how much the silhouettes alone pin the shape down. The 4-view
    set adds nothing to it (the back and the other side mirror the front and the side)."""
    from figurine_forge.core.voxelize import voxelize

    lo, hi = truth.bounds()
    spacing = float((hi - lo).max()) / cells
    occ = voxelize(truth, lo - 2 * spacing, spacing, np.ceil((hi - lo) / spacing).astype(int) + 4)
    hull = occ.any(axis=1)[:, None, :] & occ.any(axis=0)[None, :, :]
    return float(occ.sum() / max(int(hull.sum()), 1))


def measure(name: str, folder: Path, counts, res: int, distance_samples: int, legs: str = "every") -> list[dict]:
    from figurine_forge.core.mesh.clean import drop_small_parts
    from figurine_forge.core.mesh.trimesh import shell_count
    from figurine_forge.core.reconstruct import reconstruct_mesh
    from figurine_forge.core.repair.nearest import surface_deviation
    from figurine_forge.core.mesh.stl import read_stl
    from figurine_forge.core.voxelize import normalise_figure, volumetric_iou

    truth = normalise_figure(read_stl(folder / "ground_truth.stl"))
    truth_parts = shell_count(drop_small_parts(truth, 0.01)[0])
    truth_ridge = ridge_figure(truth)
    hull = hull_iou(truth)
    print(f"{name:11s} the 2-direction visual hull of the truth: iou {hull:.3f}", flush=True)
    rows = []
    for n in counts:
        viewset = load_views(folder, VIEW_SETS[n])
        t0 = time.perf_counter()
        raw = reconstruct_mesh(viewset, resolution=res, legs=legs)
        seconds = time.perf_counter() - t0
        mesh = raw  # already normalised by the views: a lost part must not rescale the rest
        iou = volumetric_iou(mesh, truth, resolution=128)
        dev = surface_deviation(truth.transformed(32.0), mesh.transformed(32.0), samples=distance_samples)
        rows.append({
            "figure": name, "views": n, "iou": round(iou, 4), "dist_mm": round(dev["mean_mm"], 4),
            "parts": shell_count(drop_small_parts(raw, 0.01)[0]), "raw_shells": shell_count(raw),
            "truth_parts": truth_parts, "hull_iou": round(hull, 4), "ridge": round(ridge_figure(mesh), 3), "truth_ridge": round(truth_ridge, 3),
            "volume_ratio": round(abs(mesh.volume()) / abs(truth.volume()), 3), "seconds": round(seconds, 2),
        })
        r = rows[-1]
        print(f"{name:11s} {n:>2d}  iou {r['iou']:.3f}  dist {r['dist_mm']:.3f} mm  parts {r['parts']}/{truth_parts}"
              f"  ridge {r['ridge']:.2f} (truth {truth_ridge:.2f})  vol x{r['volume_ratio']:.2f}  {seconds:.2f} s",
              flush=True)
    return rows


def summary(rows: list[dict]) -> None:
    print("\nviews  mean iou  min iou (figure)      mean dist mm  parts ok  ridge/truth")
    for n in sorted({r["views"] for r in rows}):
        sel = [r for r in rows if r["views"] == n]
        worst = min(sel, key=lambda r: r["iou"])
        parts_ok = sum(r["parts"] == r["truth_parts"] for r in sel)
        ridge = np.mean([r["ridge"] / max(r["truth_ridge"], 1e-6) for r in sel])
        print(f"{n:>5d}  {np.mean([r['iou'] for r in sel]):8.3f}  {worst['iou']:.3f} ({worst['figure']:11s})"
              f"  {np.mean([r['dist_mm'] for r in sel]):12.3f}  {parts_ok:>3d}/{len(sel):<3d}  {ridge:10.2f}")
    by_fig: dict[str, dict[int, float]] = {}
    for r in rows:
        by_fig.setdefault(r["figure"], {})[r["views"]] = r["iou"]
    better = [f for f, v in by_fig.items() if 4 in v and 8 in v]
    if better:
        print(f"8 views better than 4 on {sum(by_fig[f][8] > by_fig[f][4] for f in better)}/{len(better)} figures")


def run_time(size: int = 1024) -> None:
    """Wall time of ``figurine run`` on the sample's four views at ``size`` px (new process,
    so imports and Blender start-up count as a user sees them)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = str(REPO / "scripts" / "figurine.py")
        subprocess.run([sys.executable, script, "sample", "--out", f"{tmp}/s"], check=True, capture_output=True)
        args = [sys.executable, script, "run", "--out", f"{tmp}/job", "--size", str(size), "--json"]
        for slot in ("front", "back", "left", "right"):
            args += [f"--{slot}", f"{tmp}/s/{slot}.png"]
        import os
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
        result = json.loads(last)
        print(f"figurine run on the sample, 4 views at {size} px: {seconds:.2f} s wall, {cpu:.2f} s CPU "
              f"(load {os.getloadavg()[0]:.1f}; exit {proc.returncode}, shells {result.get('shells')}, "
              f"{result.get('triangles')} triangles)")


def real_sets(data: Path, images: Path | None, res: int) -> None:
    """The shared real view sets (front, back and a side view that faces the viewer's left,
    i.e. our *right* view), through the real preparation (matting the gray JPEGs too), the
    reconstruction and the host's remesh: parts and time per set, and a picture of the inputs
    above clay renders of the result when ``images`` is given."""
    from PIL import Image

    from figurine_forge.blender import meshio, pipeline, render
    from figurine_forge.core.images.prepare import prepare_view_set
    from figurine_forge.core.mesh.trimesh import shell_count
    from figurine_forge.core.reconstruct import reconstruct_mesh

    for folder in sorted(p for p in (data / "multiview").glob("*") if p.is_dir()):
        for kind, ext in (("rgba", "png"), ("on_gray", "jpg")):
            paths = {"front": folder / kind / f"front.{ext}", "back": folder / kind / f"back.{ext}",
                     "right": folder / kind / f"left.{ext}"}
            t0 = time.perf_counter()
            viewset = prepare_view_set(paths, size=768)
            raw = reconstruct_mesh(viewset, resolution=res)
            clean = pipeline.finish_reconstruction(raw, res)
            seconds = time.perf_counter() - t0
            print(f"real {folder.name:8s} {kind:7s} shells raw {shell_count(raw)}  after remesh {shell_count(clean)}"
                  f"  {len(clean.triangles)} triangles  {seconds:.1f} s", flush=True)
            if images is None or kind != "rgba":
                continue
            obj = meshio.trimesh_to_object(clean, f"real_{folder.name}")
            with tempfile.TemporaryDirectory() as tmp:
                shots = render.render_views([obj], tmp, views=("front", "right", "back", "three_quarter"), size=256,
                                            color="SINGLE", prefix="clay_")
                row_in = [Image.fromarray(viewset.views[s].rgb).resize((256, 256)) for s in ("front", "right", "back")]
                row_out = []
                for view in ("front", "right", "back", "three_quarter"):
                    with Image.open(shots[view]) as im:
                        tile = Image.new("RGB", (256, 256), (190, 190, 190))
                        tile.paste(im.convert("RGBA"), (0, 0), im.convert("RGBA"))
                        row_out.append(tile)
            meshio_obj_mesh = obj.data
            import bpy

            bpy.data.objects.remove(obj)
            bpy.data.meshes.remove(meshio_obj_mesh)
            sheet = Image.new("RGB", (256 * 4, 512), (190, 190, 190))
            for i, tile in enumerate(row_in):
                sheet.paste(tile, (256 * i, 0))
            for i, tile in enumerate(row_out):
                sheet.paste(tile, (256 * i, 256))
            images.mkdir(parents=True, exist_ok=True)
            sheet.save(images / f"reconstruction_{folder.name}.png")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--res", type=int, default=160, help="reconstruction grid along the height")
    parser.add_argument("--size", type=int, default=512, help="rendered view size in px")
    parser.add_argument("--views", default="1,2,4,8")
    parser.add_argument("--figures", default="", help="comma-separated names (default: all)")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--cache", default=str(REPO / "out" / "bench_reconstruct"))
    parser.add_argument("--samples", type=int, default=5000, help="surface samples per distance direction")
    parser.add_argument("--run-time", action="store_true", help="also time `figurine run` on the sample at 1024 px")
    parser.add_argument("--run-time-only", action="store_true", help="only time `figurine run` on the sample")
    parser.add_argument("--json", default="", help="write the rows to this JSON file")
    parser.add_argument("--legs", default="every", choices=("every", "outer-left", "outer-right"),
                        help="leg placement for walking figures (core.reconstruct.legs)")
    parser.add_argument("--real", action="store_true", help="only the shared real view sets (see real_sets)")
    parser.add_argument("--images", default="", help="with --real: write the input/clay pictures here")
    args = parser.parse_args(argv)
    figurine.load_package()
    import bpy  # noqa: F401  (before bmesh, which the figures use)

    from figurine_forge.blender import eval_figures

    data = Path(args.data)
    if args.run_time_only:
        run_time()
        return 0
    if args.real:
        real_sets(data, Path(args.images) if args.images else None, args.res)
        return 0
    names = list(eval_figures.FIGURES) + [s for s in SCANS if (data / SCANS[s]).is_file()]
    if args.figures:
        names = [n for n in args.figures.split(",") if n]
    counts = [int(c) for c in args.views.split(",")]
    rows = []
    for name in names:
        folder = ensure_rendered(name, Path(args.cache), data, args.size)
        rows += measure(name, folder, counts, args.res, args.samples, args.legs)
    summary(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.run_time:
        run_time()
    return 0


if __name__ == "__main__":
    sys.exit(main())
