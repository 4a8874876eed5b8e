# SPDX-License-Identifier: GPL-3.0-or-later
"""Miniature bases as closed triangle meshes, built from a convex outline with numpy.

A base is a prism over its outline: bottom cap at z = 0, a straight side up to
``thickness - bevel``, a 45° chamfer inwards to the top at z = ``thickness``, and a top cap that
is either flat or carries a gentle random "ground" relief. Every base is one closed, manifold,
outward-wound shell, centred on x = y = 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import BadInputError
from ..mesh.trimesh import TriMesh

KINDS = ("round", "oval", "square", "hex")
ROUND_SIZES_MM = (25.0, 32.0, 40.0, 50.0)
PRESETS = ("round25", "round32", "round40", "round50", "oval60x35", "oval75x42", "square20", "square25",
           "hex32", "hex40")


@dataclass(frozen=True)
class BaseSpec:
    """``width`` along X; ``depth`` along Y (ovals only; the others use ``width``).

    Sizes: round = diameter, square = side, hex = across flats (flat sides face ±Y)."""

    kind: str = "round"
    width: float = 32.0
    depth: float = 0.0
    thickness: float = 3.0
    bevel: float = 0.6
    texture: float = 0.0  # relief height on the top in mm (0 = flat)
    seed: int = 0

    def validated(self) -> "BaseSpec":
        if self.kind not in KINDS:
            raise BadInputError(f"unknown base shape '{self.kind}'", hint=f"use one of: {', '.join(KINDS)}")
        depth = self.depth if self.kind == "oval" else self.width
        for label, value, lo, hi in (("base size", self.width, 5.0, 500.0), ("base depth", depth, 5.0, 500.0),
                                     ("base thickness", self.thickness, 0.5, 50.0)):
            if not (np.isfinite(value) and lo <= value <= hi):
                raise BadInputError(f"{label} {value} mm is out of range", hint=f"use {lo:g} to {hi:g} mm")
        if not (np.isfinite(self.bevel) and 0.0 <= self.bevel < min(self.thickness, min(self.width, depth) / 4)):
            raise BadInputError(f"bevel {self.bevel} mm does not fit a {self.thickness} mm thick base",
                                hint="use a bevel smaller than the thickness")
        if not (np.isfinite(self.texture) and 0.0 <= self.texture <= self.thickness - self.bevel):
            raise BadInputError(f"texture height {self.texture} mm is out of range",
                                hint="use 0 (flat) up to the base thickness minus the bevel")
        return BaseSpec(self.kind, float(self.width), float(depth), float(self.thickness), float(self.bevel),
                        float(self.texture), int(self.seed))


def parse_preset(name: str, thickness: float = 3.0, bevel: float = 0.6, texture: float = 0.0) -> BaseSpec:
    """``round32``, ``square25``, ``hex32``, ``oval60x35`` (``oval`` alone is 60 × 35 mm)."""
    text = name.strip().lower()
    m = re.fullmatch(r"(round|square|hex|oval)(\d+(?:\.\d+)?)?(?:x(\d+(?:\.\d+)?))?", text)
    if not m or (m.group(3) and m.group(1) != "oval"):
        raise BadInputError(f"unknown base '{name}'",
                            hint="use e.g. round25, round32, round40, round50, square25, hex32, oval or oval60x35")
    kind = m.group(1)
    if kind == "oval":
        width = float(m.group(2) or 60.0)
        depth = float(m.group(3) or (35.0 if not m.group(2) else width * 35.0 / 60.0))
    else:
        width, depth = float(m.group(2) or 32.0), 0.0
    return BaseSpec(kind, width, depth, thickness, bevel, texture).validated()


def outline(spec: BaseSpec) -> np.ndarray:
    """The footprint as a counter-clockwise convex polygon (K, 2) around the origin."""
    spec = spec.validated()
    if spec.kind in ("round", "oval"):
        a, b = spec.width / 2.0, spec.depth / 2.0
        # Chords of at most ~0.4 mm keep the silhouette round on a print.
        n = int(np.clip(np.ceil(np.pi * (a + b) / 0.4), 64, 512))
        t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        return np.stack([a * np.cos(t), b * np.sin(t)], axis=1)
    if spec.kind == "square":
        h = spec.width / 2.0
        return np.array([[-h, -h], [h, -h], [h, h], [-h, h]])
    # hex: across flats = width, so the corner radius is width / sqrt(3); corners on ±X.
    r = spec.width / np.sqrt(3.0)
    t = np.arange(6) * np.pi / 3.0
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def inset(poly: np.ndarray, distance: float) -> np.ndarray:
    """Move every edge of a CCW convex polygon inwards by ``distance`` (mitred corners)."""
    if distance == 0:
        return poly.copy()
    nxt = np.roll(poly, -1, axis=0)
    edge = nxt - poly
    edge /= np.linalg.norm(edge, axis=1, keepdims=True)
    normal = np.stack([edge[:, 1], -edge[:, 0]], axis=1)  # outward for CCW
    n_prev = np.roll(normal, 1, axis=0)
    miter = (normal + n_prev) / (1.0 + np.einsum("ij,ij->i", normal, n_prev))[:, None]
    return poly - distance * miter


def _densify(poly: np.ndarray, max_len: float) -> np.ndarray:
    """Split every side of the polygon into pieces of at most ``max_len``."""
    nxt = np.roll(poly, -1, axis=0)
    pieces = np.maximum(1, np.ceil(np.linalg.norm(nxt - poly, axis=1) / max_len).astype(np.int64))
    side = np.repeat(np.arange(len(poly)), pieces)
    frac = (np.arange(len(side)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / np.repeat(pieces, pieces)
    return poly[side] + frac[:, None] * (nxt[side] - poly[side])


def _strip(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Triangles joining two closed rings of equal length (indices), facing right of a→b."""
    a1, b1 = np.roll(a, -1), np.roll(b, -1)
    return np.concatenate([np.stack([a, a1, b1], axis=1), np.stack([a, b1, b], axis=1)])


def _fan(centre: int, ring: np.ndarray, up: bool) -> np.ndarray:
    r1 = np.roll(ring, -1)
    c = np.full(len(ring), centre)
    return np.stack([c, ring, r1] if up else [c, r1, ring], axis=1)


def _relief(xy: np.ndarray, spec: BaseSpec) -> np.ndarray:
    """Smooth pseudo-random bumps in [0, 1] (a few sine waves with seeded directions)."""
    rng = np.random.default_rng(spec.seed)
    k = 6
    angle = rng.uniform(0, np.pi, k)
    wavelength = rng.uniform(2.0, 6.0, k)  # mm: pebble-to-tuft sized features
    phase = rng.uniform(0, 2 * np.pi, k)
    dirs = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    waves = np.sin(xy @ dirs.T * (2 * np.pi / wavelength) + phase).sum(axis=1)
    return (waves / k + 1.0) / 2.0


def make_base(spec: BaseSpec, centre=(0.0, 0.0)) -> TriMesh:
    """The base as one closed shell: bottom on z = 0, top at ``spec.thickness``."""
    spec = spec.validated()
    ring = outline(spec)
    if spec.texture > 0:
        ring = _densify(ring, 0.5)  # the relief needs vertices along straight sides too
    k = len(ring)
    t, bevel = spec.thickness, spec.bevel
    top_ring = inset(ring, bevel)
    rings_xy = [ring]
    rings_z = [0.0]
    if bevel > 0:
        rings_xy.append(ring)
        rings_z.append(t - bevel)
    rings_xy.append(top_ring)
    rings_z.append(t)
    verts = [np.column_stack([xy, np.full(k, z)]) for xy, z in zip(rings_xy, rings_z)]
    idx = [np.arange(k) + i * k for i in range(len(verts))]
    tris = [_strip(idx[i], idx[i + 1]) for i in range(len(idx) - 1)]
    if spec.texture > 0:
        # Concentric copies of the top outline about 0.5 mm apart carry the relief, which
        # fades to zero at the rim so the bevel stays clean.
        radius = float(np.linalg.norm(top_ring, axis=1).max())
        n_rings = max(2, int(np.ceil(radius / 0.5)))
        outer = idx[-1]
        for s in np.linspace(1.0, 0.0, n_rings + 1)[1:-1]:
            xy = top_ring * s
            fade = np.clip((1.0 - s) * n_rings / 2.0, 0.0, 1.0)
            z = t + spec.texture * fade * _relief(xy + centre, spec)
            inner = np.arange(k) + sum(len(v) for v in verts)
            verts.append(np.column_stack([xy, z]))
            tris.append(_strip(outer, inner))
            outer = inner
        top_centre = len(np.concatenate(verts))
        verts.append(np.array([[0.0, 0.0, t + spec.texture * _relief(np.array([centre], float), spec)[0]]]))
        tris.append(_fan(top_centre, outer, up=True))
    else:
        top_centre = sum(len(v) for v in verts)
        verts.append(np.array([[0.0, 0.0, t]]))
        tris.append(_fan(top_centre, idx[-1], up=True))
    bottom_centre = sum(len(v) for v in verts)
    verts.append(np.array([[0.0, 0.0, 0.0]]))
    tris.append(_fan(bottom_centre, idx[0], up=False))
    v = np.concatenate(verts)
    v[:, :2] += np.asarray(centre, dtype=np.float64)
    return TriMesh(v, np.concatenate(tris))


def inside_outline(spec: BaseSpec, xy: np.ndarray, margin: float = 0.0, centre=(0.0, 0.0)) -> np.ndarray:
    """Which points lie on the top of the base, at least ``margin`` inside its top edge."""
    spec = spec.validated()
    poly = inset(outline(spec), spec.bevel + margin)
    p = np.asarray(xy, dtype=np.float64).reshape(-1, 2) - np.asarray(centre, dtype=np.float64)
    edge = np.roll(poly, -1, axis=0) - poly
    rel = p[:, None, :] - poly[None, :, :]
    cross = edge[None, :, 0] * rel[:, :, 1] - edge[None, :, 1] * rel[:, :, 0]
    return np.all(cross >= 0, axis=1)  # left of every CCW edge
