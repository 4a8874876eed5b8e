# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for Blender's UILayout in background Blender, which draws no panels: it records
what a panel's draw asks for, so the panel tests can check the buttons, labels and their
properties. (The real-GUI tests measure the drawn panels instead: tests/gui/driver.py.)"""

from __future__ import annotations

import functools


class Layout:
    """Records what a panel's draw asks for (background Blender draws no panels): every call
    with its text, icon and the operator's properties; a ``panel_prop`` section opens as its
    property says."""

    def __init__(self, kind="layout"):
        self.kind, self.items = kind, []

    def _child(self, kind):
        self.items.append(Layout(kind))
        return self.items[-1]

    def row(self, **_kw):
        return self._child("row")

    def column(self, **_kw):
        return self._child("column")

    def box(self):
        return self._child("box")

    def split(self, **_kw):
        return self._child("split")

    def panel_prop(self, data, name):
        header = self._child("panel-header")
        return header, self._child("panel-body") if getattr(data, name) else None

    def label(self, text="", icon="NONE", **_kw):
        self.items.append(("label", text, icon))

    def prop(self, data, name, text="", icon="NONE", **_kw):
        self.items.append(("prop", text, icon, name, getattr(data, "slot", None) if name != "expanded" else None))

    def operator(self, idname, text="", icon="NONE", **_kw):
        props = type("Props", (), {})()
        self.items.append(("operator", text, icon, idname, props))
        return props

    def template_icon(self, icon_value=0, scale=1.0):
        self.items.append(("icon", icon_value, scale))

    def template_list(self, *args, **_kw):
        self.items.append(("list", args[1]))

    def progress(self, **kw):
        self.items.append(("progress", kw.get("text", "")))

    def walk(self):
        for item in self.items:
            if isinstance(item, Layout):
                yield from item.walk()
            else:
                yield item

    def boxes(self) -> list["Layout"]:
        return [i for i in self.items if isinstance(i, Layout) and i.kind == "box"]

    def shape(self):
        """Everything drawn, comparable (an operator's properties as a dict)."""
        return [i.shape() if isinstance(i, Layout) else
                (i[:4] + (dict(vars(i[4])),) if i[0] == "operator" else i) for i in self.items]


def draw_panel(cls, context) -> Layout:
    """What panel class ``cls`` draws, recorded: its ``draw`` run on a stand-in that has the
    recording layout and the panel's own methods."""
    layout = Layout()

    class Stand:
        def __getattr__(self, name):
            return functools.partial(getattr(cls, name), self)

    stand = Stand()
    stand.layout = layout
    cls.draw(stand, context)
    return layout
