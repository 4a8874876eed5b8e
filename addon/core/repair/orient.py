# SPDX-License-Identifier: GPL-3.0-or-later
"""The pose a figure is checked, repaired and exported in: the file's own, unless it lies down.

Generators, scanners and sculptors deliver figures upright (the importers already turn glTF's
Y up into Z up). Rules that guess "up" from the shape turn good models over: "the longest axis
up" stands a quadruped on its muzzle and a bust on its shoulder; "the wider end down" stands a
big-headed figure on its head and a statue with raised arms on its hands; "the heavier end
down" (the centre of mass) cannot tell a figure from one on a base. So:

1. *Keep*: a model whose height is not clearly smaller than its length keeps its pose, whatever
   its proportions (chibi, on a base, quadruped, raised arms, bust). Never turned upside down
   on a guess: the user says ``--up -Z`` for that.
2. *Lying down*: a model whose height is under a third of its longest horizontal extent
   (a figure on its back is about a quarter, and never under a tenth: a plaque or a sword is
   meant to lie) while that extent is at least 1.5 times the other horizontal one (a body
   lies along one axis: a lying figure is about 2 times longer than wide; a plate or a base,
   flat both ways, is meant to lie) is stood up on that longest axis:
   * the end with a flat cap (a base or plinth: a flat face across the section at the very end)
     goes down; otherwise
   * the end nearer the centre of mass goes up: head and torso outweigh the legs (0.55 of the
     height on the sample figure, 0.67 on a big-headed one); when the centre is within 2 % of
     the middle there is no evidence for either end (a symmetric bar, perhaps no figure at
     all): the pose is kept and the message says how to stand it up;
   * the side that faced up (a figure lies on its back) becomes the front, facing -Y.
   A low animal (a lizard) also matches rule 2: the message says what was done and how to keep
   the file's pose (``--orient keep``).
3. *Told*: a caller may give the up axis (``+X`` ... ``-Z``) and quarter turns about Z.

Rotations are the 24 axis-aligned ones only: a free rotation (principal axes) would tilt a
figure that holds a spear or spreads its arms. A standing-up move also puts the lowest point
on z = 0 with the footprint centred on x = y = 0.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadInputError
from ..mesh.trimesh import TriMesh

AXES = {"+X": (0, 1), "-X": (0, -1), "+Y": (1, 1), "-Y": (1, -1), "+Z": (2, 1), "-Z": (2, -1)}
POSE_MODES = ("auto", "keep") + tuple(AXES)
LYING_RATIO = 1.0 / 3.0  # height under this share of the longest horizontal extent: lying down
ELONGATION = 1.5  # ... along an axis at least this much longer than the other horizontal one
MIN_BODY_RATIO = 0.1  # ... but not paper-flat: a plaque or a sword lies as it is meant to
CAP_SLICE = 0.01  # a cap lies within this share of the length from the end
CAP_COVER = 0.2  # ... and covers at least this share of the bounding section
CENTRE_MARGIN = 0.02  # centre of mass closer than this to the middle: no evidence for an end


def _rotation_to_z(axis: int, sign: int) -> np.ndarray:
    """The smallest rotation that sends ``sign * e_axis`` to +Z (a 3×3 matrix)."""
    table = {
        (2, 1): np.eye(3),
        (2, -1): np.diag([1.0, -1.0, -1.0]),  # half turn about X
        # Quarter turn about X: +Y -> +Z and +Z -> -Y, so glTF's front (+Z) ends up at -Y.
        (1, 1): np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
        (1, -1): np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
        (0, 1): np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]]),  # quarter turns about Y
        (0, -1): np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]),
    }
    return table[(axis, sign)]


def _stand_up_rotation(axis: int, sign: int) -> np.ndarray:
    """Rotation sending ``sign * e_axis`` (horizontal) to +Z and the side facing up (+Z) to -Y."""
    new_z = np.zeros(3)
    new_z[axis] = sign
    new_y = np.array([0.0, 0.0, -1.0])
    new_x = np.cross(new_y, new_z)
    return np.stack([new_x, new_y, new_z])  # rows: where each new axis was


def _quarter_turns_z(turns: int) -> np.ndarray:
    c, s = [(1, 0), (0, 1), (-1, 0), (0, -1)][turns % 4]
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _used_vertices(mesh: TriMesh) -> np.ndarray:
    if mesh.is_empty:
        raise BadInputError("the mesh has no faces", hint="select a mesh with geometry")
    used = np.zeros(len(mesh.vertices), bool)
    used[mesh.triangles.reshape(-1)] = True  # a mask, not np.unique: no sort of 3 indices per triangle
    v = mesh.vertices[used]
    if not np.isfinite(v).all():
        raise BadInputError("the mesh has invalid (NaN or infinite) coordinates", hint="repair or re-import the model")
    if float((v.max(axis=0) - v.min(axis=0)).max()) <= 0:
        raise BadInputError("the mesh has no size", hint="select a 3D figure")
    return v


def is_lying(extent: np.ndarray) -> bool:
    """Clearly lying down: its height is under a third of its longest horizontal extent, and
    that extent is clearly longer than the other one (a body lies along one axis; a plate, a
    base, a coin or a relief is flat in both and is meant to lie)."""
    long_side, short_side = max(extent[0], extent[1]), min(extent[0], extent[1])
    return bool(MIN_BODY_RATIO * long_side <= extent[2] < LYING_RATIO * long_side
                and long_side >= ELONGATION * short_side)


def _cap_cover(mesh: TriMesh, axis: int, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """Share of the bounding section covered by flat faces across ``axis`` at each end."""
    c = mesh.triangle_corners()
    n = np.cross(c[:, 1] - c[:, 0], c[:, 2] - c[:, 0])
    area2 = np.linalg.norm(n, axis=1)
    across = np.abs(n[:, axis]) > 0.98 * area2  # either winding: inconsistent files too
    h = c[:, :, axis]
    band = CAP_SLICE * (hi[axis] - lo[axis])
    others = [i for i in range(3) if i != axis]
    section = float((hi[others[0]] - lo[others[0]]) * (hi[others[1]] - lo[others[1]]))
    low = across & (h.max(axis=1) <= lo[axis] + band)
    high = across & (h.min(axis=1) >= hi[axis] - band)
    if section <= 0:  # flat across the axis (a single triangle): no cap to speak of
        return 0.0, 0.0
    return float(area2[low].sum() / 2 / section), float(area2[high].sum() / 2 / section)


def _centre_share(mesh: TriMesh, axis: int, lo: np.ndarray, hi: np.ndarray) -> float:
    """Where the centre of mass sits along ``axis``, 0 at the low end and 1 at the high end
    (volume centroid; the surface centroid when the mesh encloses no positive volume)."""
    c = mesh.triangle_corners()
    six_vol = np.einsum("ij,ij->i", c[:, 0], np.cross(c[:, 1], c[:, 2]))
    total = float(six_vol.sum())
    if total > 1e-12 * float(np.prod(np.maximum(hi - lo, 1e-300))):
        centre = float((six_vol * c[:, :, axis].sum(axis=1)).sum() / (4.0 * total))
    else:
        area = mesh.face_areas()
        centre = float((area * c[:, :, axis].mean(axis=1)).sum() / max(float(area.sum()), 1e-300))
    return (centre - lo[axis]) / (hi[axis] - lo[axis])


def _stand_up(mesh: TriMesh, v: np.ndarray) -> tuple[np.ndarray | None, dict]:
    lo, hi = v.min(axis=0), v.max(axis=0)
    ext = hi - lo
    axis = int(np.argmax(ext[:2]))
    name = "XY"[axis]
    caps = _cap_cover(mesh, axis, lo, hi)
    share = _centre_share(mesh, axis, lo, hi)
    evidence = {"cap_cover": [round(c, 4) for c in caps], "centre_of_mass": round(share, 4)}
    if (caps[0] >= CAP_COVER) != (caps[1] >= CAP_COVER):
        sign = 1 if caps[0] >= CAP_COVER else -1
        why = f"a flat base at its {'-' if sign > 0 else '+'}{name} end goes down"
    elif abs(share - 0.5) >= CENTRE_MARGIN:
        sign = 1 if share > 0.5 else -1
        why = (f"its heavier end ({'+' if sign > 0 else '-'}{name}, centre of mass at {share:.2f} of the length) "
               "goes up")
    else:  # no evidence for either end: perhaps no figure at all (a symmetric bar); keep it
        return None, {"rule": f"looks lying down along {name} (height {ext[2]:.3g} against length {ext[axis]:.3g}) "
                              f"but neither end looks like the top: kept the file's pose (pass --orient +{name} or "
                              f"-{name} to stand it up)", "unresolved": True, **evidence}
    info = {"rule": f"lying down along {name} (height {ext[2]:.3g} against length {ext[axis]:.3g}): stood up; {why}",
            **evidence}
    return _stand_up_rotation(axis, sign), {**info, "_axis": axis, "_sign": sign}


def upright_transform(mesh: TriMesh, up: str = "AUTO", turn_quarters: int = 0) -> tuple[np.ndarray, dict]:
    """A 4×4 matrix that keeps or stands the mesh up (see the module's rules), puts its lowest
    point on z = 0 and centres its footprint; and a description of the decision."""
    v = _used_vertices(mesh)
    ext = v.max(axis=0) - v.min(axis=0)
    info: dict = {"extent_before": [round(float(e), 5) for e in ext]}
    key = up.upper()
    if key != "AUTO":
        if key not in AXES:
            raise BadInputError(f"unknown up axis '{up}'", hint="use AUTO, +X, -X, +Y, -Y, +Z or -Z")
        axis, sign = AXES[key]
        rot = _rotation_to_z(axis, sign)
        info["rule"] = f"up axis given ({key})"
        info["action"] = "turned" if key != "+Z" else "kept"
    elif is_lying(ext):
        stand, details = _stand_up(mesh, v)
        axis, sign = details.pop("_axis", 2), details.pop("_sign", 1)
        rot = np.eye(3) if stand is None else stand
        info.update(details)
        info["action"] = "kept" if stand is None else "stood up"
    else:
        axis, sign, rot = 2, 1, np.eye(3)
        info["rule"] = f"upright (height {ext[2]:.3g}, {ext[0]:.3g} x {ext[1]:.3g} across)"
        info["action"] = "kept"
    rot = _quarter_turns_z(turn_quarters) @ rot
    info["up_was"] = [k for k, (a, s) in AXES.items() if a == axis and s == sign][0]
    moved = v @ rot.T
    lo, hi = moved.min(axis=0), moved.max(axis=0)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    m = np.eye(4)
    m[:3, :3] = rot
    m[:3, 3] = shift
    info["rotated"] = not np.allclose(rot, np.eye(3))
    info["turn_quarters"] = int(turn_quarters % 4)
    info["size_mm"] = [round(float(e), 5) for e in hi - lo]
    return m, info


def decide_pose(mesh: TriMesh, mode: str = "auto", turn_quarters: int = 0) -> tuple[np.ndarray, dict]:
    """The pose ``check``, ``repair`` and ``export`` all judge and write: a 4×4 matrix (the
    identity when the pose is kept: the model is not even moved) and ``info`` with a one-line
    ``message`` saying what was done.

    ``mode``: ``auto`` (keep unless clearly lying down), ``keep`` (never turn), or an up axis
    ``+X`` ... ``-Z``."""
    key = (mode or "auto").strip()
    if key.lower() in ("auto", "keep"):
        key = key.lower()
    elif key.upper() in AXES:
        key = key.upper()
    else:
        raise BadInputError(f"unknown orientation '{mode}'", hint="use auto, keep, +X, -X, +Y, -Y, +Z or -Z")
    if key == "keep":
        _used_vertices(mesh)
        return np.eye(4), {"mode": "keep", "action": "kept", "rotated": False,
                           "message": "kept the file's pose (orientation: keep)"}
    if key == "auto" and not turn_quarters and len(mesh.triangles):
        lo, hi = mesh.bounds()  # the common case, cheaply: upright, so nothing to compute
        ext = hi - lo
        if np.isfinite(ext).all() and ext.max() > 0 and not is_lying(ext):
            rule = f"upright (height {ext[2]:.3g}, {ext[0]:.3g} x {ext[1]:.3g} across)"
            return np.eye(4), {"mode": "auto", "action": "kept", "rotated": False, "rule": rule, "up_was": "+Z",
                               "extent_before": [round(float(e), 5) for e in ext],
                               "message": f"kept the file's pose: {rule}"}
    matrix, info = upright_transform(mesh, "AUTO" if key == "auto" else key, turn_quarters)
    info["mode"] = key
    if not info["rotated"]:
        if key != "auto":
            info["message"] = "kept the file's pose"
        elif info.get("unresolved"):
            info["message"] = info["rule"]
        else:
            info["message"] = f"kept the file's pose: {info['rule']}"
        return np.eye(4), info
    if key == "auto":
        info["message"] = f"{info['rule']} (pass --orient keep to keep the file's pose)"
    else:
        info["message"] = f"turned so {info['up_was']} is up, as asked"
    return matrix, info


def apply_transform(mesh: TriMesh, matrix: np.ndarray) -> TriMesh:
    m = np.asarray(matrix, dtype=np.float64)
    tris = mesh.triangles if np.linalg.det(m[:3, :3]) > 0 else mesh.triangles[:, ::-1]
    return TriMesh(mesh.vertices @ m[:3, :3].T + m[:3, 3], tris.copy())
