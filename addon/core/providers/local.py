# SPDX-License-Identifier: GPL-3.0-or-later
"""The Local provider: the project's own reconstruction, behind the same interface.

Runs in the calling thread (the panel's worker thread), needs no network and no key, and
writes a binary STL. The final watertight remesh needs Blender (OpenVDB), which the core may
not import, so the host injects it as ``ProviderConfig.finish`` (``TriMesh -> TriMesh``);
without it the raw reconstruction is stored.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import BadInputError, CancelledError
from ..reconstruct.legs import LEG_PLACEMENTS, LEGS_HELP
from .base import Capabilities, OptionSpec, Provider


class LocalProvider(Provider):
    name = "local"
    label = "Local reconstruction"
    remote = False
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("back", "left", "right", "front_left", "front_right", "back_left", "back_right"),
        output_formats=("stl",),
        options=(
            OptionSpec("resolution", "int", 160, "grid cells along the figure's height (higher = finer, slower)",
                       minimum=32, maximum=512),
            OptionSpec("legs", "choice", "every", LEGS_HELP, choices=LEG_PLACEMENTS),
        ),
        needs_key=False,
        typical_minutes="under 1",
    )

    def cost_hint(self, views: dict, options: dict) -> str:
        return "free (runs on this computer)"

    def run(self, viewset, slots: list[str], options: dict, folder: Path, *, progress, cancel: threading.Event) -> Path:
        from ..reconstruct import reconstruct_mesh
        from ..mesh.stl import write_stl

        if cancel.is_set():
            raise CancelledError("cancelled")
        views = type(viewset)({s: viewset.views[s] for s in slots})
        mesh = reconstruct_mesh(views, resolution=int(options["resolution"]), legs=str(options.get("legs", "every")),
                                progress=lambda f, t: progress(None if f is None else 0.9 * f, t),
                                cancel=cancel.is_set)
        if cancel.is_set():
            raise CancelledError("cancelled")
        if self.config.finish is not None:
            progress(0.9, "making the surface watertight")
            mesh = self.config.finish(mesh)
        if mesh.is_empty:
            raise BadInputError("the local reconstruction produced no surface",
                              hint="check that every view shows the whole character on a plain background")
        return write_stl(folder / "model.stl", mesh)


PROVIDER = LocalProvider
