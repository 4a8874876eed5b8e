# SPDX-License-Identifier: GPL-3.0-or-later
"""The local provider's reconstruction: a visual hull rounded part by part from the views'
silhouettes (front required; back, sides and the four 45-degree diagonals optional).

``reconstruct_mesh(viewset)`` returns a closed triangle mesh in normalised units: the
figure's height is 1.0 with its feet on z = 0, centred on x = y = 0, facing -Y. The host
(Blender) turns it into a clean manifold shell with an OpenVDB voxel remesh and scales it.
"""

from .hull import HullSettings, build_field
from .surface_nets import surface_nets

__all__ = ["HullSettings", "build_field", "surface_nets", "reconstruct_mesh"]

SPECK_FRACTION = 0.002  # parts under this fraction of the largest part's volume are dropped


def reconstruct_mesh(viewset, resolution: int = 160, settings: "HullSettings | None" = None,
                     progress=None, cancel=None, legs: str = "every"):
    """Silhouettes → signed field on a grid → surface. See :mod:`.hull` for the model;
    ``legs``: a walking figure's leg crossings, see :mod:`.legs`."""
    from ..errors import CancelledError
    from ..mesh.clean import drop_small_parts
    from ..mesh.trimesh import TriMesh

    settings = settings or HullSettings(resolution=resolution, legs=legs)

    def check_cancel():
        if cancel is not None and cancel():
            raise CancelledError("reconstruction cancelled")

    if progress:
        progress(0.05, "reading silhouettes")
    grid = build_field(viewset, settings)
    check_cancel()
    if progress:
        progress(0.5, f"extracting surface from a {'×'.join(map(str, grid.field.shape))} grid")
    verts, tris = surface_nets(grid.field)
    check_cancel()
    # Grid indices → normalised figure coordinates.
    verts = grid.origin + verts * grid.spacing
    # Specks a few voxels big where views graze each other are no part of the figure.
    mesh, _specks = drop_small_parts(TriMesh(verts, tris), SPECK_FRACTION)
    if progress:
        progress(1.0, f"{len(mesh.triangles)} triangles")
    return mesh
