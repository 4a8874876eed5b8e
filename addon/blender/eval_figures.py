# SPDX-License-Identifier: GPL-3.0-or-later
"""The reconstruction's evaluation set: varied figures built from primitives, with ground truth.

Each figure is a list of coloured parts (spheres, cylinders, boxes, tapered cylinders and
limbs between two points) about 2 units tall, standing on z = 0 and facing -Y like the
sample. :func:`render_figure_views` renders any of them from the workflow's directions,
including the four 45-degree diagonals (``core.reconstruct.views.VIEW_ANGLES``), on flat
#BEBEBE, and :func:`figure_ground_truth` gives the union of the parts as one closed surface.
The bench (``bench/bench_reconstruct.py``) and the reconstruction tests use them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..core.mesh.trimesh import TriMesh
from ..core.reconstruct.views import VIEW_ANGLES
from . import render
from .sample_figure import BASE, HAIR, PARTS as SAMPLE_PARTS, SHIRT, SHOES, SKIN, TROUSERS, ground_truth, publish_view, remove_objects

RED, GOLD, STEEL, FUR, CAPE, GREEN = ((0.70, 0.12, 0.10), (0.85, 0.65, 0.15), (0.70, 0.72, 0.75),
                                      (0.55, 0.38, 0.22), (0.45, 0.10, 0.35), (0.20, 0.50, 0.25))


@dataclass(frozen=True)
class Part:
    name: str
    shape: str  # sphere | cylinder | box | cone (cylinder whose top radius is ``taper`` x the bottom's)
    centre: tuple[float, float, float]
    size: tuple[float, float, float]  # full extents before rotation (x, y, z)
    colour: tuple[float, float, float]
    rotation: tuple[tuple[float, ...], ...] | None = None  # 3x3 row-major, applied after scaling
    taper: float = 1.0


def _align_z(direction) -> tuple[tuple[float, ...], ...]:
    """Rotation taking +Z onto ``direction``."""
    q = Vector((0.0, 0.0, 1.0)).rotation_difference(Vector(direction).normalized())
    return _rows(q.to_matrix())


def _rows(m) -> tuple[tuple[float, ...], ...]:
    return tuple((m[i][0], m[i][1], m[i][2]) for i in range(3))


def limb(name: str, a, b, radius: float, colour, caps: bool = True) -> list[Part]:
    """A round limb from point a to point b (a cylinder with a ball at each end)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.linalg.norm(b - a))
    parts = [Part(name, "cylinder", tuple((a + b) / 2), (2 * radius, 2 * radius, length), colour,
                  _align_z(b - a))]
    if caps:
        parts += [Part(f"{name}_a", "sphere", tuple(a), (2 * radius,) * 3, colour),
                  Part(f"{name}_b", "sphere", tuple(b), (2 * radius,) * 3, colour)]
    return parts


def chain(name: str, points, radius: float, colour) -> list[Part]:
    return [p for i in range(len(points) - 1) for p in limb(f"{name}{i}", points[i], points[i + 1], radius, colour)]


def humanoid(left_arm, right_arm, *, lift: float = 0.0, head: float = 1.0, shirt=SHIRT, skin=SKIN,
             legs=TROUSERS, hair=HAIR) -> list[Part]:
    """A standing figure like the sample (without its base); arms are point chains from the
    shoulder, the figure's left side at +X. ``head`` scales the head."""
    z = lift

    def at(x, y, zz):
        return (x, y, zz + z)

    parts = []
    for side, s in (("l", 1), ("r", -1)):
        parts += limb(f"leg_{side}", at(0.13 * s, 0.0, 0.92), at(0.13 * s, 0.0, 0.12), 0.09, legs)
        parts.append(Part(f"foot_{side}", "sphere", at(0.13 * s, -0.08, 0.07), (0.17, 0.30, 0.13), SHOES))
    parts += [
        Part("hips", "sphere", at(0.0, 0.0, 0.92), (0.50, 0.32, 0.28), legs),
        Part("torso", "sphere", at(0.0, 0.0, 1.17), (0.54, 0.34, 0.64), shirt),
        Part("shoulders", "sphere", at(0.0, 0.0, 1.40), (0.74, 0.30, 0.18), shirt),
        Part("neck", "cylinder", at(0.0, 0.0, 1.52), (0.14, 0.14, 0.16), skin),
    ]
    hz = 1.52 + 0.21 * head
    parts += [
        Part("head", "sphere", at(0.0, 0.0, hz), (0.38 * head, 0.36 * head, 0.42 * head), skin),
        Part("nose", "sphere", at(0.0, -0.18 * head, hz - 0.02 * head), (0.08, 0.10, 0.08), skin),
        Part("hair", "sphere", at(0.0, 0.03 * head, hz + 0.10 * head), (0.40 * head, 0.36 * head, 0.28 * head), hair),
    ]
    parts += chain("arm_l", [at(*p) for p in left_arm], 0.065, shirt)
    parts += chain("arm_r", [at(*p) for p in right_arm], 0.065, shirt)
    parts.append(Part("hand_l", "sphere", at(*left_arm[-1]), (0.15, 0.15, 0.16), skin))
    parts.append(Part("hand_r", "sphere", at(*right_arm[-1]), (0.15, 0.15, 0.16), skin))
    return parts


def _mirror(points):
    return [(-x, y, z) for x, y, z in points]


ARMS_APART = [(0.30, 0.0, 1.40), (0.62, 0.0, 0.95)]
AKIMBO = [(0.30, 0.0, 1.40), (0.56, 0.06, 1.13), (0.27, 0.02, 0.97)]
TPOSE = [(0.30, 0.0, 1.40), (0.95, 0.0, 1.40)]
HANGING = [(0.30, 0.0, 1.40), (0.42, 0.0, 0.90)]


def _sword() -> list[Part]:
    arm_r = [(-0.30, 0.0, 1.40), (-0.40, -0.12, 1.12), (-0.36, -0.36, 1.10)]
    parts = humanoid(HANGING, arm_r, shirt=RED)
    hand = np.array(arm_r[-1])
    up = np.array([0.0, -0.35, 1.0]) / np.linalg.norm([0.0, -0.35, 1.0])
    rot = _align_z(up)
    parts += [
        Part("blade", "box", tuple(hand + up * 0.52), (0.10, 0.04, 0.84), STEEL, rot),
        Part("guard", "box", tuple(hand + up * 0.08), (0.30, 0.05, 0.05), GOLD, rot),
        Part("grip", "cylinder", tuple(hand - up * 0.04), (0.05, 0.05, 0.20), GOLD, rot),
    ]
    return parts


def _pigtails() -> list[Part]:
    parts = humanoid(ARMS_APART, _mirror(ARMS_APART), shirt=GREEN)
    for side, s in (("l", 1), ("r", -1)):
        parts += chain(f"tail_{side}", [(0.17 * s, 0.06, 1.86), (0.36 * s, 0.10, 1.74), (0.42 * s, 0.12, 1.45)],
                       0.055, HAIR)
        parts.append(Part(f"bow_{side}", "sphere", (0.18 * s, 0.06, 1.86), (0.14, 0.10, 0.12), RED))
    return parts


def _cape() -> list[Part]:
    parts = humanoid(HANGING, _mirror(HANGING), shirt=STEEL)
    tilt = _rows(Matrix.Rotation(math.radians(-14), 3, "X"))
    parts.append(Part("cape", "cone", (0.0, 0.27, 0.86), (1.00, 0.10, 1.14), CAPE, tilt, taper=0.62))
    return parts


def _chibi() -> list[Part]:
    arm = [(0.22, 0.0, 0.95), (0.36, 0.0, 0.62)]
    parts = []
    for side, s in (("l", 1), ("r", -1)):
        parts += limb(f"leg_{side}", (0.11 * s, 0.0, 0.55), (0.11 * s, 0.0, 0.10), 0.085, TROUSERS)
        parts.append(Part(f"foot_{side}", "sphere", (0.11 * s, -0.07, 0.065), (0.16, 0.26, 0.13), SHOES))
    parts += [
        Part("body", "sphere", (0.0, 0.0, 0.78), (0.46, 0.34, 0.56), SHIRT),
        Part("head", "sphere", (0.0, 0.0, 1.42), (0.92, 0.84, 0.88), SKIN),
        Part("hair", "sphere", (0.0, 0.06, 1.58), (0.98, 0.86, 0.66), HAIR),
        Part("nose", "sphere", (0.0, -0.42, 1.38), (0.10, 0.10, 0.08), SKIN),
    ]
    parts += chain("arm_l", arm, 0.07, SHIRT) + chain("arm_r", _mirror(arm), 0.07, SHIRT)
    return parts


def _quadruped() -> list[Part]:
    parts = [Part("body", "sphere", (0.0, 0.0, 0.78), (0.46, 1.25, 0.46), FUR)]
    for name, x, y in (("fl", 0.15, -0.40), ("fr", -0.15, -0.40), ("bl", 0.15, 0.42), ("br", -0.15, 0.42)):
        parts += limb(f"leg_{name}", (x, y, 0.78), (x, y, 0.06), 0.065, FUR)
    parts += limb("neck", (0.0, -0.48, 0.88), (0.0, -0.72, 1.25), 0.11, FUR)
    parts += [Part("head", "sphere", (0.0, -0.84, 1.30), (0.28, 0.46, 0.28), FUR),
              Part("ear_l", "cone", (0.08, -0.76, 1.46), (0.08, 0.06, 0.14), FUR, taper=0.2),
              Part("ear_r", "cone", (-0.08, -0.76, 1.46), (0.08, 0.06, 0.14), FUR, taper=0.2)]
    parts += limb("tail", (0.0, 0.58, 0.86), (0.0, 0.86, 0.60), 0.045, FUR)
    return parts


def _walking() -> list[Part]:
    """The quadruped mid-stride: its own left legs reach far forward and back, the right ones
    stay under the body. Front and side show 2 and 4 leg columns, which 8 crossings explain."""
    parts = [p for p in _quadruped() if not p.name.startswith("leg_")]
    for name, x, hip, hoof in (("fl", 0.15, -0.40, -0.66), ("fr", -0.15, -0.40, -0.22),
                               ("bl", 0.15, 0.42, 0.70), ("br", -0.15, 0.42, 0.22)):
        parts += limb(f"leg_{name}", (x, hip, 0.78), (x, hoof, 0.06), 0.065, FUR)
    return parts


def _on_base() -> list[Part]:
    parts = humanoid(AKIMBO, _mirror(ARMS_APART), lift=0.14, shirt=GREEN)
    parts.append(Part("base", "box", (0.0, 0.0, 0.07), (1.25, 1.05, 0.14), BASE))
    return parts


def _seated() -> list[Part]:
    parts = [Part("stool", "box", (0.0, 0.10, 0.26), (0.56, 0.46, 0.52), BASE)]
    for side, s in (("l", 1), ("r", -1)):
        parts += chain(f"leg_{side}", [(0.13 * s, 0.0, 0.62), (0.15 * s, -0.42, 0.62), (0.15 * s, -0.44, 0.10)],
                       0.09, TROUSERS)
        parts.append(Part(f"foot_{side}", "sphere", (0.15 * s, -0.52, 0.065), (0.17, 0.30, 0.13), SHOES))
    parts += [
        Part("hips", "sphere", (0.0, 0.02, 0.64), (0.50, 0.34, 0.26), TROUSERS),
        Part("torso", "sphere", (0.0, 0.02, 0.89), (0.54, 0.34, 0.64), SHIRT),
        Part("shoulders", "sphere", (0.0, 0.02, 1.12), (0.74, 0.30, 0.18), SHIRT),
        Part("neck", "cylinder", (0.0, 0.02, 1.24), (0.14, 0.14, 0.16), SKIN),
        Part("head", "sphere", (0.0, 0.0, 1.44), (0.38, 0.36, 0.42), SKIN),
        Part("nose", "sphere", (0.0, -0.18, 1.42), (0.08, 0.10, 0.08), SKIN),
        Part("hair", "sphere", (0.0, 0.03, 1.54), (0.40, 0.36, 0.28), HAIR),
    ]
    for side, s in (("l", 1), ("r", -1)):
        parts += chain(f"arm_{side}", [(0.30 * s, 0.02, 1.12), (0.36 * s, -0.10, 0.86), (0.20 * s, -0.36, 0.70)],
                       0.065, SHIRT)
        parts.append(Part(f"hand_{side}", "sphere", (0.20 * s, -0.36, 0.70), (0.15, 0.15, 0.16), SKIN))
    return parts


def _sample() -> list[Part]:
    return [Part(name, shape, centre, size, colour) for name, shape, centre, size, colour in SAMPLE_PARTS]


FIGURES = {
    "sample": _sample,
    "arms_apart": lambda: humanoid(ARMS_APART, _mirror(ARMS_APART)),
    "akimbo": lambda: humanoid(AKIMBO, _mirror(AKIMBO), shirt=RED),
    "tpose": lambda: humanoid(TPOSE, _mirror(TPOSE), shirt=GREEN),
    "sword": _sword,
    "pigtails": _pigtails,
    "cape": _cape,
    "chibi": _chibi,
    "quadruped": _quadruped,
    "walking": _walking,
    "on_base": _on_base,
    "seated": _seated,
}


def _part_mesh(part: Part) -> "bpy.types.Mesh":
    bm = bmesh.new()
    if part.shape == "sphere":
        bmesh.ops.create_uvsphere(bm, u_segments=40, v_segments=20, radius=0.5)
    elif part.shape == "box":
        bmesh.ops.create_cube(bm, size=1.0)
    else:
        top = 0.5 * (part.taper if part.shape == "cone" else 1.0)
        bmesh.ops.create_cone(bm, cap_ends=True, segments=40, radius1=0.5, radius2=top, depth=1.0)
    rot = Matrix(part.rotation).to_4x4() if part.rotation else Matrix.Identity(4)
    bmesh.ops.transform(bm, matrix=Matrix.Translation(part.centre) @ rot @ Matrix.Diagonal((*part.size, 1.0)),
                        verts=list(bm.verts))
    mesh = bpy.data.meshes.new(f"figurine_eval_{part.name}")
    bm.to_mesh(mesh)
    bm.free()
    return mesh


def build_figure_objects(name: str, collection=None) -> list:
    """One coloured object per part of figure ``name`` (see :data:`FIGURES`)."""
    collection = collection or bpy.context.scene.collection
    objects = []
    for part in FIGURES[name]():
        mesh = _part_mesh(part)
        mat = bpy.data.materials.new(f"figurine_eval_{part.name}")
        mat.diffuse_color = (*part.colour, 1.0)
        mesh.materials.append(mat)
        obj = bpy.data.objects.new(f"eval_{name}_{part.name}", mesh)
        collection.objects.link(obj)
        objects.append(obj)
    return objects


def render_objects_views(objects, out_dir: str | os.PathLike, views, size: int = 512) -> dict[str, Path]:
    """``<view>.png`` on flat #BEBEBE and ``<view>_rgba.png`` with true alpha for each view
    name of ``VIEW_ANGLES``. A diagonal view is the front camera looking at the objects turned
    about Z, which is the same picture as a camera turned the other way."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = [o.matrix_world.copy() for o in objects]
    written: dict[str, Path] = {}
    try:
        for view in views:
            turn = Matrix.Rotation(-math.radians(VIEW_ANGLES[view]), 4, "Z")
            for obj, m in zip(objects, saved):
                obj.matrix_world = turn @ m
            path = render.render_views(objects, out_dir, views=("front",), size=size, prefix=f"render_{view}_")["front"]
            written.update(publish_view(path, out_dir, view))
    finally:
        for obj, m in zip(objects, saved):
            obj.matrix_world = m
    return written


def write_figure(name: str, out_dir: str | os.PathLike, views=tuple(VIEW_ANGLES), size: int = 512,
                 voxel_size: float = 0.008) -> dict[str, Path]:
    """Views of figure ``name`` and ``ground_truth.stl`` (figure units, feet on z = 0)."""
    from ..core.mesh.stl import write_stl

    objects = build_figure_objects(name)
    try:
        written = render_objects_views(objects, out_dir, views, size)
        written["ground_truth"] = write_stl(Path(out_dir) / "ground_truth.stl", figure_ground_truth(objects, voxel_size))
        return written
    finally:
        remove_objects(objects)


def figure_ground_truth(objects, voxel_size: float = 0.008) -> TriMesh:
    return ground_truth(objects, voxel_size)
