# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny valid (and deliberately broken) result files and view sets, built in the tests."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np


def tetrahedron() -> tuple[np.ndarray, np.ndarray]:
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.uint32)
    return v, t


def make_glb() -> bytes:
    """A minimal valid glTF 2.0 binary: one tetrahedron (positions + indices)."""
    v, t = tetrahedron()
    bin_chunk = v.tobytes() + t.tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "scenes": [{"nodes": [0]}], "scene": 0, "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(bin_chunk)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": v.nbytes},
                        {"buffer": 0, "byteOffset": v.nbytes, "byteLength": t.nbytes}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 1]},
                      {"bufferView": 1, "componentType": 5125, "count": 12, "type": "SCALAR"}],
    }
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    bin_chunk += b"\0" * (-len(bin_chunk) % 4)
    total = 12 + 8 + len(js) + 8 + len(bin_chunk)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<II", len(js), 0x4E4F534A) + js
            + struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk)


def make_stl() -> bytes:
    v, t = tetrahedron()
    rec = np.zeros(len(t), dtype=[("n", "<f4", 3), ("c", "<f4", (3, 3)), ("a", "<u2")])
    rec["c"] = v[t]
    return b"tiny".ljust(80, b" ") + struct.pack("<I", len(t)) + rec.tobytes()


def make_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)  # a ZipInfo keeps names like "../x" exactly as given
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def make_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


def figure_rgba(size: int = 96, lean: float = 0.0) -> np.ndarray:
    """A character-like shape (head + body) on a transparent background, uint8 RGBA."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    head = (xx - 0.5 - lean) ** 2 + (yy - 0.2) ** 2 < 0.1 ** 2
    body = (np.abs(xx - 0.5) < 0.16 + 0.05 * yy) & (yy > 0.28) & (yy < 0.92)
    solid = head | body
    img = np.zeros((size, size, 4), np.uint8)
    img[..., 0] = 180
    img[..., 1] = (80 + 100 * yy).astype(np.uint8)
    img[..., 2] = 60
    img[..., 3] = np.where(solid, 255, 0)
    return img


def view_set(slots=("front", "back", "left", "right"), size: int = 64):
    """A prepared ViewSet straight from arrays (no image files needed)."""
    from figurine_forge.core.images import STUDIO_GRAY
    from figurine_forge.core.images.prepare import PreparedView, ViewSet

    views = {}
    for i, slot in enumerate(slots):
        rgba = figure_rgba(size, lean=0.02 * i)
        matte = (rgba[..., 3] / 255.0).astype(np.float32)
        rgb = np.where(matte[..., None] > 0.5, rgba[..., :3], np.array(STUDIO_GRAY, np.uint8))
        views[slot] = PreparedView(slot, rgb.astype(np.uint8), matte)
    return ViewSet(views)


def write_view_pngs(folder, slots=("front", "back", "left", "right"), size: int = 128) -> dict:
    from PIL import Image

    paths = {}
    for i, slot in enumerate(slots):
        path = folder / f"{slot}.png"
        Image.fromarray(figure_rgba(size, lean=0.02 * i), "RGBA").save(path)
        paths[slot] = path
    return paths
