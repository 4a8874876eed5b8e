# SPDX-License-Identifier: GPL-3.0-or-later
"""The clay look: a neutral matte gray material, in the viewport and in renders."""

from __future__ import annotations

import bpy

CLAY_NAME = "Figurine Clay"
CLAY_RGBA = (0.42, 0.42, 0.42, 1.0)  # linear; a mid gray that reads well on #BEBEBE


def clay_material() -> "bpy.types.Material":
    mat = bpy.data.materials.get(CLAY_NAME)
    if mat is None:
        mat = bpy.data.materials.new(CLAY_NAME)
    mat.diffuse_color = CLAY_RGBA  # viewport (solid mode, Workbench)
    mat.roughness = 1.0
    mat.metallic = 0.0
    mat.specular_intensity = 0.0
    if bpy.app.version < (5, 0, 0):  # render engines need nodes; always on from Blender 5.0
        mat.use_nodes = True
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        bsdf = mat.node_tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = CLAY_RGBA
    bsdf.inputs["Roughness"].default_value = 1.0
    bsdf.inputs["Metallic"].default_value = 0.0
    for name in ("Specular IOR Level", "Specular"):
        if name in bsdf.inputs:
            bsdf.inputs[name].default_value = 0.0
            break
    return mat


def apply_clay(obj) -> None:
    """Show the object as clay: every material slot set to the clay material.

    The original materials are remembered on the object so clay can be switched off."""
    mat = clay_material()
    if obj.get("figurine_original_materials") is None:
        obj["figurine_original_materials"] = [m.name if m else "" for m in obj.data.materials]
    if len(obj.data.materials) == 0:
        obj.data.materials.append(mat)
    else:
        for i in range(len(obj.data.materials)):
            obj.data.materials[i] = mat


def remove_clay(obj) -> None:
    names = obj.get("figurine_original_materials")
    if names is None:
        return
    names = list(names)
    obj.data.materials.clear()
    for name in names:
        obj.data.materials.append(bpy.data.materials.get(name) if name else None)
    del obj["figurine_original_materials"]
