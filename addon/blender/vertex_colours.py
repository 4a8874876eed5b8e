# SPDX-License-Identifier: GPL-3.0-or-later
"""A reconstructed figure with the views' colours: a point colour attribute and a material
that shows it, so the GLB export is a coloured figure (STL stays geometry)."""

from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np

from ..core.mesh.trimesh import TriMesh
from ..core.reconstruct.colour import project_colours
from ..core.voxelize import normalise_figure
from . import meshio

COLOUR_ATTRIBUTE = "figurine_colour"


def colour_material() -> "bpy.types.Material":
    """A material whose base colour is the point colour attribute (the glTF exporter writes
    it as COLOR_0 because the material uses it)."""
    mat = bpy.data.materials.get("Figurine Colours") or bpy.data.materials.new("Figurine Colours")
    if mat.node_tree is None:  # Blender before 5.0 makes node trees on request only
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None) or nodes.new("ShaderNodeBsdfPrincipled")
    attr = next((n for n in nodes if n.type == "VERTEX_COLOR"), None) or nodes.new("ShaderNodeVertexColor")
    attr.layer_name = COLOUR_ATTRIBUTE
    links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def set_vertex_colours(obj, colours: np.ndarray) -> None:
    """Write (N, 3) colours in [0, 1] (sRGB, as the images store them) to ``obj``'s vertices."""
    mesh = obj.data
    attrs = mesh.color_attributes
    if COLOUR_ATTRIBUTE in attrs:
        attrs.remove(attrs[COLOUR_ATTRIBUTE])
    attr = attrs.new(COLOUR_ATTRIBUTE, "BYTE_COLOR", "POINT")
    rgba = np.ones((len(colours), 4), np.float32)
    rgba[:, :3] = colours
    attr.data.foreach_set("color_srgb", rgba.ravel())
    attrs.active_color = attr
    mesh.materials.clear()
    mesh.materials.append(colour_material())
    mesh.update()


def figure_colours(tm: TriMesh, viewset) -> np.ndarray:
    """Colours for a figure at any scale: projected in the reconstruction's normalised frame."""
    return project_colours(normalise_figure(tm), viewset)


def export_coloured_glb(obj, viewset, path: str | os.PathLike) -> dict:
    """Write ``obj`` (a reconstructed figure) to ``path`` as a GLB coloured from the views;
    the object itself is left as it was (a temporary copy carries the colours)."""
    from .pipeline import export_object

    copy = obj.copy()
    copy.data = obj.data.copy()
    for coll in obj.users_collection:
        coll.objects.link(copy)
    try:
        set_vertex_colours(copy, figure_colours(meshio.object_to_trimesh(copy), viewset))
        return export_object(copy, Path(path))
    finally:
        mesh = copy.data
        bpy.data.objects.remove(copy)
        bpy.data.meshes.remove(mesh)


def export_job_glb(job_dir: str | os.PathLike, obj) -> Path:
    """A coloured ``figurine.glb`` in a finished local job: colours from the job's prepared
    views, written by its own "export_glb" step and promoted beside ``figurine.stl``."""
    from ..core.errors import BadInputError
    from ..core.images.prepare import load_prepared
    from ..core.jobstore import Job

    job = Job.open(job_dir)
    prepared = job.last_step("prepare")
    if prepared is None:
        raise BadInputError(f"{job.root} has no prepared views to colour the figure from",
                            hint="run the whole chain (figurine run) first")
    viewset = load_prepared(job.root / prepared["folder"])
    with job.step("export_glb", {"format": "glb", "colours": "projected from the views"}) as step:
        written = export_coloured_glb(obj, viewset, step.path("figurine.glb"))
        job.finish_step(step, {"glb": Path(written["path"])})
    return job.promote(Path(written["path"]), "figurine.glb")
