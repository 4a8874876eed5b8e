# SPDX-License-Identifier: GPL-3.0-or-later
"""The print-check corpus: meshes a user may hand to `figurine check`, built here, not
downloaded. Used by bench/bench_printcheck_corpus.py (all of them) and the tests (the small
ones, under a memory cap).

Each member is written as the file a user would have (binary STL in mm, or a textured GLB
whose vertices are split at UV seams, as generators export them) by :func:`write_member`.
The numpy-only members need no Blender; Suzanne, the sample figure and the GLB use bpy.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from figurine import load_package  # noqa: E402  (addon/ loaded as figurine_forge, as the CLI does)

load_package()
from figurine_forge.core.mesh.trimesh import TriMesh  # noqa: E402
from figurine_forge.core.mesh.stl import write_stl  # noqa: E402

FIGURE_MM = 32.0  # the printed height the scaled members are relative to


# -- numpy members ------------------------------------------------------------------------------
def soup(n: int, seed: int = 1) -> TriMesh:
    """``n`` disconnected triangles (no shared corners) scattered through a 32 mm cube, each
    about as wide as the spacing between them: many overlap, none touch by a vertex."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.0, FIGURE_MM, (n, 1, 3))
    half = 0.5 * FIGURE_MM / n ** (1.0 / 3.0)
    corners = centres + rng.uniform(-half, half, (n, 3, 3))
    return TriMesh(corners.reshape(-1, 3), np.arange(3 * n, dtype=np.int64).reshape(-1, 3))


def grid_box(size, cells) -> TriMesh:
    """A closed box ``size`` (x, y, z) mm with each side cut into a grid (``cells`` per axis),
    outward winding, corners shared (welded)."""
    sx, sy, sz = size
    nx, ny, nz = cells
    xs, ys, zs = np.linspace(0, sx, nx + 1), np.linspace(0, sy, ny + 1), np.linspace(0, sz, nz + 1)
    faces = []
    # (fixed axis, value, the two running axes' coordinates, flip winding)
    for axis, value, (u, v), flip in ((2, 0.0, (xs, ys), True), (2, sz, (xs, ys), False),
                                      (1, 0.0, (xs, zs), False), (1, sy, (xs, zs), True),
                                      (0, 0.0, (ys, zs), True), (0, sx, (ys, zs), False)):
        uu, vv = np.meshgrid(u, v, indexing="ij")
        pts = np.zeros(uu.shape + (3,))
        running = [a for a in range(3) if a != axis]
        pts[..., running[0]] = uu
        pts[..., running[1]] = vv
        pts[..., axis] = value
        nu, nv = uu.shape
        idx = np.arange(nu * nv).reshape(nu, nv)
        a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
        tris = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
        if flip:
            tris = tris[:, ::-1]
        faces.append((pts.reshape(-1, 3), tris))
    offsets = np.cumsum([0] + [len(p) for p, _ in faces[:-1]])
    mesh = TriMesh(np.concatenate([p for p, _ in faces]), np.concatenate([t + o for (_, t), o in zip(faces, offsets)]))
    return mesh.weld()


def thin_plate() -> TriMesh:
    """A 60 x 40 mm plate 0.3 mm thick (half the resin wall limit), finely cut: ~100k
    triangles, every one of them on a thin wall."""
    return grid_box((60.0, 40.0, 0.3), (220, 150, 1))


def cube_sphere(k: int) -> tuple[np.ndarray, TriMesh]:
    """A closed unit sphere from a cube whose sides are cut k x k (12 k^2 triangles, no poles):
    the unit directions of its vertices and the mesh."""
    cube = grid_box((2.0, 2.0, 2.0), (k, k, k))
    p = cube.vertices - 1.0
    d = p / np.linalg.norm(p, axis=1, keepdims=True)
    return d, TriMesh(d, cube.triangles)


def primitives(count: int = 200, seed: int = 2) -> TriMesh:
    """``count`` overlapping closed primitives (stretched spheres) assembled into a 32 mm
    figure-sized cluster, as a generator or a kitbash leaves them: one mesh, many shells
    crossing each other (588 triangles each)."""
    rng = np.random.default_rng(seed)
    _, unit = cube_sphere(7)
    v0, t0 = unit.vertices * 0.5, unit.triangles
    verts, tris = [], []
    for i in range(count):
        size = rng.uniform([2.0, 2.0, 3.0], [8.0, 8.0, 12.0])
        centre = rng.uniform([-6.0, -4.0, size[2] / 2], [6.0, 4.0, FIGURE_MM - size[2] / 2])
        verts.append(v0 * size + centre)
        tris.append(t0 + i * len(v0))
    return TriMesh(np.concatenate(verts), np.concatenate(tris))


def sculpt(triangles: int = 2_000_000) -> TriMesh:
    """A dense sculpt-like body: a cube-sphere cut fine, stretched to a 32 mm figure and
    displaced by overlapping bumps (like a digital sculpt's surface detail)."""
    d, unit = cube_sphere(max(2, int(round(np.sqrt(triangles / 12.0)))))
    bumps = (0.04 * np.sin(9 * d[:, 0]) * np.cos(7 * d[:, 1]) + 0.02 * np.sin(23 * d[:, 2] + 3 * d[:, 0])
             + 0.008 * np.sin(61 * d[:, 1]) * np.sin(53 * d[:, 2]))
    r = 1.0 + bumps
    v = d * r[:, None] * np.array([7.0, 5.0, FIGURE_MM / 2])
    v[:, 2] += FIGURE_MM / 2
    return TriMesh(v, unit.triangles)


# -- bpy members --------------------------------------------------------------------------------
def suzanne(level: int) -> TriMesh:
    """Blender's monkey subdivided ``level`` times (bench_printcheck's mesh), 32 mm tall
    (level 4: 251,904 triangles; 5: 1,007,616; 6: 4,030,464)."""
    import bpy
    from bench_printcheck import suzanne as monkey_arrays

    from figurine_forge.core.printcheck import scale_to_height

    tm = TriMesh(*monkey_arrays(level))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return scale_to_height(tm, FIGURE_MM)


_SAMPLE: list[TriMesh] = []


def sample_figure() -> TriMesh:
    """The project's sample character's ground truth (205k triangles), in its own units
    (~2 units tall: what `figurine check ground_truth.stl` without --height reads as 2 mm)."""
    if not _SAMPLE:
        import bpy

        from figurine_forge.blender import sample_figure as sf

        bpy.ops.wm.read_factory_settings(use_empty=True)
        objects = sf.build_sample_objects()
        _SAMPLE.append(sf.ground_truth(objects))
        bpy.ops.wm.read_factory_settings(use_empty=True)
    return _SAMPLE[0]


def sample_scaled(factor: float) -> TriMesh:
    """The sample figure at ``factor`` times its 32 mm print size: 0.001 is a figure made in
    metres read as millimetres (0.032 mm tall), 1000 one made in micrometres (32 m)."""
    from figurine_forge.core.printcheck import scale_to_height

    return scale_to_height(sample_figure(), FIGURE_MM * factor)


def write_textured_glb(path: Path, mesh: TriMesh | None = None) -> Path:
    """The sample figure (32 mm) exported the way generators ship models: smart-UV-projected,
    with a texture, as GLB; Blender's glTF exporter splits the vertices along every UV seam,
    so the file's mesh is no longer welded."""
    import bpy

    from figurine_forge.blender import meshio

    mesh = mesh if mesh is not None else sample_scaled(1.0)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = meshio.trimesh_to_object(mesh, "textured_figure")
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.select_all(action="SELECT")
    bpy.ops.uv.smart_project(angle_limit=1.15)
    bpy.ops.object.mode_set(mode="OBJECT")
    image = bpy.data.images.new("albedo", 64, 64)
    image.pixels.foreach_set(np.tile(np.array([0.8, 0.5, 0.4, 1.0], np.float32), 64 * 64))
    mat = bpy.data.materials.new("skin")
    if bpy.app.version < (5, 0, 0):  # (Blender 5 materials always use nodes)
        mat.use_nodes = True
    tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
    tex.image = image
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    obj.data.materials.append(mat)
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB", use_selection=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return path


# -- the corpus ---------------------------------------------------------------------------------
# name -> (builder of the mesh, or None for the GLB; what it stands for)
MEMBERS: dict[str, tuple[Callable[[], TriMesh] | None, str]] = {
    "suzanne_250k": (lambda: suzanne(4), "Suzanne subdivided 4x, 32 mm (the Toolbox's benchmark shape)"),
    "suzanne_1m": (lambda: suzanne(5), "Suzanne subdivided 5x, 32 mm"),
    "suzanne_4m": (lambda: suzanne(6), "Suzanne subdivided 6x, 32 mm (over the 3M limit: run with it raised)"),
    "soup_20k": (lambda: soup(20_000), "20k disconnected triangles in a 32 mm cube"),
    "soup_100k": (lambda: soup(100_000), "100k disconnected triangles in a 32 mm cube"),
    "primitives_200": (primitives, "200 overlapping closed spheroids, a 32 mm cluster"),
    "sample_native": (sample_figure, "the sample figure in its own units (~2 mm read as mm): the issue's case"),
    "sample_milli": (lambda: sample_scaled(0.001), "the sample figure at 1/1000 (0.032 mm: metres read as mm)"),
    "sample_kilo": (lambda: sample_scaled(1000.0), "the sample figure at 1000x (32 m)"),
    "thin_plate": (thin_plate, "a 60 x 40 x 0.3 mm plate, finely cut"),
    "textured_glb": (None, "the sample figure (32 mm) as a smart-UV textured GLB, vertices split at seams"),
    "sculpt_2m": (sculpt, "a dense sculpt-like body, 2M triangles"),
}
SMALL = ("soup_20k", "sample_milli", "sample_kilo", "thin_plate", "textured_glb")  # the tests run these


def write_member(name: str, folder: Path) -> Path:
    """Write corpus member ``name`` into ``folder`` (kept if already there); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    build, _ = MEMBERS[name]
    path = folder / (f"{name}.glb" if build is None else f"{name}.stl")
    if not path.exists():
        if build is None:
            write_textured_glb(path)
        else:
            write_stl(path, build())
    return path
