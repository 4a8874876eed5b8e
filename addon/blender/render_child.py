# SPDX-License-Identifier: GPL-3.0-or-later
"""Run by a background Blender child process (see :mod:`.offload`), never imported by the
add-on: renders a mesh from an .npz with the add-on's own :func:`.render.render_views`, so the
child's images are the in-process review's (same camera, framing, Workbench settings).

    blender -b --factory-startup -P render_child.py -- SPEC.json

SPEC.json: ``{"mesh": NPZ, "out_dir": DIR, "size": N, "smooth": BOOL, "renders": [...]}``;
the .npz holds ``vertices``, ``triangles`` and the optional ``point_rgba`` / ``face_rgba``.
Each render is ``{"views", "prefix", "color", "single_color", "bounds" (or null),
"rotation", "paint" ("point", "face" or null)}`` and gets a fresh object, as each in-process
call does. The child has no add-on installed (factory settings): it loads the add-on's
package from the folder this file sits in, under a private name. Only bpy and numpy are
needed (no Pillow), and every PNG is written atomically by render_views."""

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import bpy
import numpy as np

PACKAGE = "figurine_forge_render_child"


def load_addon_modules():
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(PACKAGE, root / "__init__.py",
                                                  submodule_search_locations=[str(root)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return (importlib.import_module(PACKAGE + ".blender.render"), importlib.import_module(PACKAGE + ".blender.meshio"),
            importlib.import_module(PACKAGE + ".core.mesh.trimesh"))


def main() -> None:
    spec = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text("utf-8"))
    render, meshio, trimesh = load_addon_modules()
    with np.load(spec["mesh"]) as data:
        arrays = {key: data[key] for key in data.files}
    tm = trimesh.TriMesh(arrays["vertices"].astype(np.float64), arrays["triangles"].astype(np.int64))
    for job in spec["renders"]:
        obj = meshio.trimesh_to_object(tm, "Figurine Review", collection=None)
        bpy.context.scene.collection.objects.unlink(obj)  # only the render scene holds it
        mesh = obj.data
        if spec.get("smooth"):
            mesh.polygons.foreach_set("use_smooth", np.ones(len(mesh.polygons), bool))
        if job.get("paint"):
            render.paint(obj, arrays.get("point_rgba") if job["paint"] == "point" else None,
                         arrays.get("face_rgba") if job["paint"] == "face" else None)
        obj.rotation_euler = job.get("rotation") or (0.0, 0.0, 0.0)
        render.render_views([obj], spec["out_dir"], views=tuple(job["views"]), size=int(spec["size"]),
                            color=job["color"], single_color=tuple(job.get("single_color") or (0.42, 0.42, 0.42)),
                            bounds=job.get("bounds"), prefix=job["prefix"])
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(mesh)


main()
