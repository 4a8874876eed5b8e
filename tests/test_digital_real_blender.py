# SPDX-License-Identifier: GPL-3.0-or-later
"""The digital export in Debian's real Blender 4.3 (the extension supports 4.2 and newer; the
bpy module is 5.0): `figurine export` of a textured generator-like GLB to GLB, FBX and OBJ with a
triangle budget, read back by the bpy module's importers: same triangles, texture and size."""

from __future__ import annotations

import numpy as np
import pytest

from digital_inputs import TEXTURE_SIZE, make_textured_glb, open_edges, read_back, texture_pixels
from helpers import REPO, last_json
from test_real_blender import real_blender

pytestmark = pytest.mark.real_blender


def test_digital_export_in_real_blender(tmp_path):
    src = make_textured_glb(tmp_path)
    for fmt in ("glb", "fbx", "obj"):
        out = tmp_path / "real" / f"hero.{fmt}"
        proc = real_blender("-b", "--factory-startup", "-q", "-P", REPO / "scripts" / "figurine.py", "--",
                            "export", src, "--out", out, "--max-triangles", 4224, "--height", 32, "--json")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Blender 4.3" in proc.stdout  # it really was Debian's Blender
        result = last_json(proc.stdout)
        assert result["triangles_before"] == 8448 and 3800 <= result["triangles_after"] <= 4224
        back = read_back(out)
        assert back.triangles == result["triangles_after"] and open_edges(back) == 0
        assert len(back.images) == 1 and back.images[0][1] == TEXTURE_SIZE
        assert np.array_equal(back.images[0][2], texture_pixels()) and back.tri_uvs is not None
        assert back.size()[2] == pytest.approx(32.0 if fmt == "obj" else 0.032, rel=1e-3)
