# SPDX-License-Identifier: GPL-3.0-or-later
"""The pose decision (core.repair.orient.decide_pose) on the generator corpus: upright figures of
every build keep their pose exactly, lying figures are stood up head up and facing -Y, and the
decision says what it did."""

from __future__ import annotations

import numpy as np
import pytest

import generator_corpus as corpus
from figurine_forge.core.errors import BadInputError
from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.repair import orient

UPRIGHT = [n for n in corpus.MEMBERS if corpus.EXPECT[n]["upright"]]
# Figures that lie down as people do: on the back, head either way along Y or X.
LAY_DOWN = {  # rotation applied to the upright figure (Z up, facing -Y) -> lying, face up
    "head +Y": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
    "head -Y": np.array([[-1.0, 0, 0], [0, 0, -1], [0, -1, 0]]),
    "head +X": np.array([[0.0, 0, 1], [-1, 0, 0], [0, -1, 0]]),
    "head -X": np.array([[0.0, 0, -1], [1, 0, 0], [0, -1, 0]]),
}


def rotated(mesh: TriMesh, rot: np.ndarray) -> TriMesh:
    assert np.linalg.det(rot) == pytest.approx(1.0)
    return TriMesh(mesh.vertices @ rot.T + np.array([0.3, -0.2, 0.0]), mesh.triangles.copy())


@pytest.mark.parametrize("name", UPRIGHT)
def test_upright_members_keep_their_pose_exactly(name):
    mesh = corpus.member_mesh(name)
    matrix, info = orient.decide_pose(mesh)
    assert np.array_equal(matrix, np.eye(4)) and info["action"] == "kept" and not info["rotated"]
    assert info["message"].startswith("kept the file's pose")
    # The explicit re-orient (the panel's Orient) keeps the up axis too: only floors and centres it.
    m2, info2 = orient.upright_transform(mesh)
    assert np.allclose(m2[:3, :3], np.eye(3)) and info2["up_was"] == "+Z"


@pytest.mark.parametrize("name", ["figure", "chibi", "raised_arms", "on_base", "bust"])
@pytest.mark.parametrize("how", list(LAY_DOWN))
def test_a_lying_figure_is_stood_up_head_up_facing_minus_y(name, how):
    upright = corpus.member_mesh(name)
    lying = rotated(upright, LAY_DOWN[how])
    if not orient.is_lying(lying.size()):
        # Not *clearly* lying (its height is over a third of its length): a big head, a bust's
        # shoulders or a base as wide as the figure is tall. Then the pose is kept, not guessed.
        assert name in ("chibi", "on_base", "bust")
        assert orient.decide_pose(lying)[1]["action"] == "kept"
        return
    matrix, info = orient.decide_pose(lying)
    assert info["action"] == "stood up" and info["rotated"], info
    assert "lying down" in info["message"] and "--orient keep" in info["message"]
    stood = orient.apply_transform(lying, matrix)
    # Exactly the upright member again (up to where it stands): head up, face to -Y.
    offset = stood.vertices.mean(axis=0) - upright.vertices.mean(axis=0)
    assert np.allclose(stood.vertices, upright.vertices + offset, atol=1e-9), (name, how)
    assert stood.bounds()[0][2] == pytest.approx(0.0, abs=1e-12)
    assert stood.volume() == pytest.approx(upright.volume(), rel=1e-9)


def test_the_corpus_lying_member_is_reported_as_stood_up():
    matrix, info = orient.decide_pose(corpus.member_mesh("lying"))
    stood = orient.apply_transform(corpus.member_mesh("lying"), matrix)
    figure = corpus.member_mesh("figure")
    assert info["up_was"] == "+Y" and stood.size() == pytest.approx(figure.size(), abs=1e-9)


def test_a_figure_on_its_base_lying_down_stands_on_the_base():
    # A tall figure on a small base: lying, it is flat; the base's flat bottom goes down, by
    # the flat-cap rule (which comes before the centre of mass).
    from repair_meshes import cylinder, figure

    on_base = TriMesh(np.concatenate([figure(32).vertices + [0, 0, 2.0], cylinder(4.5, 0.0, 2.5, (0, 0), 48).vertices]),
                      np.concatenate([figure(32).triangles,
                                      cylinder(4.5, 0.0, 2.5, (0, 0), 48).triangles + len(figure(32).vertices)]))
    for how, rot in LAY_DOWN.items():
        lying = rotated(on_base, rot)
        matrix, info = orient.decide_pose(lying)
        stood = orient.apply_transform(lying, matrix)
        assert info["action"] == "stood up" and "flat base" in info["rule"], how
        low = stood.vertices[stood.vertices[:, 2] < 0.01]
        assert np.ptp(low[:, 0]) == pytest.approx(9.0, abs=0.1), how  # the base's bottom disk is on the ground


def test_keep_and_told_axes():
    lying = corpus.member_mesh("lying")
    matrix, info = orient.decide_pose(lying, "keep")
    assert np.array_equal(matrix, np.eye(4)) and info["action"] == "kept"
    upside_down = rotated(corpus.member_mesh("chibi"), np.diag([1.0, -1.0, -1.0]))
    assert orient.decide_pose(upside_down)[1]["action"] == "kept"  # never turned over on a guess
    matrix, info = orient.decide_pose(upside_down, "-z")
    stood = orient.apply_transform(upside_down, matrix)
    chibi = corpus.member_mesh("chibi")
    assert info["message"] == "turned so -Z is up, as asked"
    assert np.allclose(np.sort(stood.vertices[:, 2]), np.sort(chibi.vertices[:, 2]) - chibi.bounds()[0][2])
    with pytest.raises(BadInputError, match="unknown orientation"):
        orient.decide_pose(lying, "sideways")


def test_flat_things_meant_to_lie_keep_their_pose():
    from printcheck_meshes import box

    from figurine_forge.core.repair.bases import make_base, parse_preset

    for flat in (box((0, 0, 0), (25.0, 25.0, 3.0)), make_base(parse_preset("oval60x35")),
                 box((0, 0, 0), (40.0, 30.0, 2.0))):  # a plate, an oval base, a relief plaque
        matrix, info = orient.decide_pose(flat)
        assert info["action"] == "kept" and np.array_equal(matrix, np.eye(4)), info


def test_a_lying_shape_with_no_top_or_bottom_is_kept_and_says_how_to_stand_it_up():
    from printcheck_meshes import box

    bar = box((0, 0, 0), (30.0, 8.0, 5.0))  # lying-like proportions, but both ends alike
    assert orient.is_lying(bar.size())
    matrix, info = orient.decide_pose(bar)
    assert info["action"] == "kept" and np.array_equal(matrix, np.eye(4))
    assert "neither end" in info["message"] and "--orient +X" in info["message"]
    assert info["message"].count("kept the file's pose") == 1
