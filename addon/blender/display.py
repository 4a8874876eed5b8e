# SPDX-License-Identifier: GPL-3.0-or-later
"""A viewport-friendly display of a dense figure (opt-in); the print path always gets the full mesh.

Every redraw of a 200 k-triangle figure under software OpenGL costs Blender's main thread
0.4-1.4 s (tests/gui/stall_driver.py times each 3D view draw), and with it every progress
update of a running task. So in the GUI a new figure of more than :data:`LIGHTEN_ABOVE`
triangles is *shown* lighter: its object keeps the full mesh as its data, and a Geometry Nodes
modifier ``Figurine Display`` — viewport only (render off, edit mode off) — shows instead a
copy of ~:data:`DISPLAY_TRIANGLES` triangles made in a worker thread
(:func:`..core.mesh.lighten.display_copy`) and held by a hidden object no scene links. A
Decimate modifier would show the same but runs on the main thread (~2 s for such a figure).

The print path never sees the copy: everything that reads a figure's evaluated mesh (the
check, scale, repairs, measurements, every export) runs inside :func:`full_density`, which
turns the modifier off meanwhile (``meshio.object_to_trimesh``, ``digital.export``); renders
use render settings, where the modifier is off. When the figure's own mesh changes (an edit,
a repair, Scale to Height), a depsgraph handler turns the display off at once (the full
mesh shows, never a stale copy) and a fresh copy is made in the background. Background mode
(the CLI, scripts) has no viewport and never adds the modifier.

It is off unless the user turns on "Lighter Viewport for Dense Figures" in the add-on's
preferences: Blender's own exporters (File > Export STL/OBJ/PLY/glTF/FBX), Convert to Mesh and a
Boolean using the figure read the viewport's evaluated mesh, so while the copy is shown they get
the copy (a viewport-only Decimate has the same effect). Losing detail silently in an artist's own
export is worse than a slow first draw under software OpenGL.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any, Iterator

import bpy
import numpy as np
from bpy.app.handlers import persistent

from ..core.mesh.lighten import display_copy
from ..core.mesh.trimesh import TriMesh
from . import meshio

MODIFIER = "Figurine Display"
GROUP = "Figurine Display"
PROXY_TAG = "figurine_display_of"  # on the hidden object holding the copy: the figure's name
SOURCE_TAG = "figurine_display_source"  # on it too: the fingerprint of the mesh it was made from
LIGHTEN_ABOVE = 60_000  # triangles; a lighter figure draws fast enough as it is
DISPLAY_TRIANGLES = 40_000
POLL_S = 0.1

_pending: dict[str, tuple[int, str]] = {}  # figure name -> (generation, source) of the copy being made


def display_modifier(obj):
    """The figure's display modifier, or None."""
    if obj is None or getattr(obj, "type", None) != "MESH":
        return None
    mod = obj.modifiers.get(MODIFIER)
    return mod if mod is not None and mod.type == "NODES" else None


@contextlib.contextmanager
def full_density(*objects) -> Iterator[None]:
    """While the block runs, the objects' evaluated meshes are their full meshes: the display
    modifiers that show a lighter copy are off (and back on afterwards)."""
    turned_off = []
    for obj in objects:
        mod = display_modifier(obj)
        if mod is not None and mod.show_viewport:
            mod.show_viewport = False
            turned_off.append(mod)
    try:
        yield
    finally:
        for mod in turned_off:
            mod.show_viewport = True


def fingerprint(mesh) -> str:
    """Main thread: what the figure's mesh is now (its coordinates and triangles), a few ms
    for 200 k triangles: a copy made from another mesh is stale."""
    co = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.vertices.foreach_get("co", co)
    loops = np.empty(len(mesh.loops), np.int32)
    mesh.loops.foreach_get("vertex_index", loops)
    return hashlib.blake2b(co.tobytes() + loops.tobytes(), digest_size=16).hexdigest()


def _proxy(obj):
    mod = display_modifier(obj)
    if mod is None or mod.node_group is None:
        return None
    proxy = mod.get(_display_input(mod.node_group))
    return proxy if proxy is not None and proxy.get(PROXY_TAG) is not None else None


def _group() -> Any:
    """The node group: the geometry of the object in its "Display" input, in its own space."""
    group = bpy.data.node_groups.get(GROUP)
    if group is not None:
        return group
    group = bpy.data.node_groups.new(GROUP, "GeometryNodeTree")
    sockets: Any = group.interface  # the stubs know socket_type only as "DEFAULT"
    sockets.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    sockets.new_socket("Display", in_out="INPUT", socket_type="NodeSocketObject")
    sockets.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    given = group.nodes.new("NodeGroupInput")
    out = group.nodes.new("NodeGroupOutput")
    info = group.nodes.new("GeometryNodeObjectInfo")
    info.transform_space = "ORIGINAL"  # the copy is in the figure's own coordinates
    group.links.new(given.outputs["Display"], info.inputs["Object"])
    group.links.new(info.outputs["Geometry"], out.inputs["Geometry"])
    return group


def _display_input(group) -> str:
    return next(item.identifier for item in group.interface.items_tree
                if getattr(item, "in_out", "") == "INPUT" and item.name == "Display")


def attach(obj, light: TriMesh, source: str | None = None) -> None:
    """Main thread: show ``light`` (in the figure's own coordinates) in the viewport in place
    of the figure's mesh, which stays its data. Replaces an earlier copy. ``source``: the
    :func:`fingerprint` of the mesh the copy shows (default: the figure's mesh now)."""
    mesh = meshio.trimesh_to_mesh(light, f"{obj.name} (display)")
    for material in obj.data.materials:
        mesh.materials.append(material)
    polys = obj.data.polygons
    if len(polys):
        smooth = np.zeros(len(polys), bool)
        polys.foreach_get("use_smooth", smooth)
        mesh.polygons.foreach_set("use_smooth", np.full(len(mesh.polygons), smooth.mean() > 0.5))
    mod = display_modifier(obj)
    if mod is None:
        mod = obj.modifiers.new(MODIFIER, "NODES")
        mod.node_group = _group()
    key = _display_input(mod.node_group)
    old = mod.get(key)
    proxy = bpy.data.objects.new(f"{obj.name} (display)", mesh)  # in no scene: only the modifier shows it
    proxy[PROXY_TAG] = obj.name
    proxy[SOURCE_TAG] = source or fingerprint(obj.data)
    mod[key] = proxy
    mod.show_render = False  # renders and the render depsgraph: the full mesh
    mod.show_in_editmode = False  # Edit Mode edits the full mesh, and shows it
    mod.show_viewport = True
    obj.update_tag()
    if old is not None and old.get(PROXY_TAG) is not None and old.users == 0:  # a duplicate may share it
        _remove_proxy(old)


def detach(obj) -> None:
    """Main thread: the figure shows its full mesh again; its copy is deleted."""
    mod = display_modifier(obj)
    if mod is None:
        return
    proxy = _proxy(obj)
    obj.modifiers.remove(mod)
    if proxy is not None and proxy.users == 0:  # a duplicate of the figure may share it
        _remove_proxy(proxy)


def _remove_proxy(proxy) -> None:
    mesh = proxy.data
    bpy.data.objects.remove(proxy)
    if mesh is not None and mesh.users == 0:
        bpy.data.meshes.remove(mesh)


def light_viewport_enabled() -> bool:
    """The user's choice (add-on preferences, off by default): Blender's own exporters read the
    viewport's evaluated mesh, so a shown copy would be what File > Export writes."""
    # Imported here: the preferences know every provider (httpx and the rest), which a
    # `blender -b` run of the CLI reading a mesh must not need.
    from .prefs import get_preferences

    prefs = get_preferences()
    return bool(prefs is not None and getattr(prefs, "light_viewport", False))


def lighten(obj) -> bool:
    """Main thread, GUI only: give a dense figure a lighter display, made in a worker thread
    and attached by a timer once ready. False when it stays as it is (background mode, a
    light figure)."""
    if bpy.app.background or obj is None or obj.type != "MESH" or obj.mode != "OBJECT":
        return False
    if not light_viewport_enabled():
        return False
    tm, _poly = meshio.mesh_triangles(obj.data)  # its own coordinates: the copy moves with it
    if len(tm.triangles) <= LIGHTEN_ABOVE:
        return False
    name = obj.name
    source = fingerprint(obj.data)
    proxy, mod = _proxy(obj), display_modifier(obj)
    if proxy is not None and mod is not None and mod.show_viewport and proxy.get(SOURCE_TAG) == source:
        return True  # shown light already
    if _pending.get(name, (0, ""))[1] == source:
        return True  # on its way
    generation = _pending.get(name, (0, ""))[0] + 1
    _pending[name] = (generation, source)
    made: dict = {}
    worker = threading.Thread(target=lambda: made.setdefault("light", display_copy(tm, DISPLAY_TRIANGLES)),
                              name="figurine: display copy", daemon=True)
    worker.start()

    def attach_when_ready():
        if worker.is_alive():
            return POLL_S
        if _pending.get(name, (0, ""))[0] != generation:  # a newer copy is on its way
            return None
        _pending.pop(name, None)
        figure = bpy.data.objects.get(name)
        if figure is None or figure.type != "MESH" or figure.mode != "OBJECT" or "light" not in made:
            return None  # gone; or being edited, sculpted or painted: it shows its full mesh
        if fingerprint(figure.data) != source:  # the mesh changed meanwhile: a copy of it
            lighten(figure)
            return None
        attach(figure, made["light"], source)
        return None

    bpy.app.timers.register(attach_when_ready, first_interval=POLL_S)
    return True


@persistent
def _on_depsgraph_update(_scene, depsgraph) -> None:
    """A figure's own mesh changed: its copy is stale. Show the full mesh at once; a timer
    (outside the depsgraph's update: no data is removed here) makes a new copy."""
    changed = {u.id.original for u in depsgraph.updates
               if u.is_updated_geometry and isinstance(u.id, bpy.types.Mesh)}
    if not changed:
        return
    stale = []
    for obj in list(bpy.data.objects):
        mod = display_modifier(obj)
        if mod is None or obj.data not in changed or obj.get(PROXY_TAG) is not None:
            continue
        proxy = _proxy(obj)
        if proxy is not None and proxy.get(SOURCE_TAG) == fingerprint(obj.data):
            continue  # the copy shows this very mesh (attached after the change)
        if mod.show_viewport:
            mod.show_viewport = False
        stale.append(obj.name)
    if stale and not bpy.app.background:  # no timers there, and no viewport to lighten
        bpy.app.timers.register(lambda: _refresh(stale), first_interval=POLL_S)


def _refresh(names: list[str]) -> None:
    """Timer: a new copy for each stale figure, or none for one light enough now."""
    for name in names:
        obj = bpy.data.objects.get(name)
        if obj is None or obj.mode != "OBJECT" or display_modifier(obj) is None:
            continue  # edited, sculpted or painted: the full mesh shows; leaving Edit Mode asks again
        if not lighten(obj):
            detach(obj)


def register() -> None:
    if _on_depsgraph_update not in bpy.app.handlers.depsgraph_update_post:
        bpy.app.handlers.depsgraph_update_post.append(_on_depsgraph_update)


def unregister() -> None:
    if _on_depsgraph_update in bpy.app.handlers.depsgraph_update_post:
        bpy.app.handlers.depsgraph_update_post.remove(_on_depsgraph_update)


classes = ()
