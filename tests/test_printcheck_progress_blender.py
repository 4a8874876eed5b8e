# SPDX-License-Identifier: GPL-3.0-or-later
"""Check Print's task reports the core check's progress (bpy module, background mode): the
fractions the status bar shows rise from 0.1 through each check to 0.9."""

from __future__ import annotations

import bpy  # noqa: F401  (conftest has pointed Blender at a private user folder)

from figurine_forge.blender import findings  # noqa: E402
from figurine_forge.core import printcheck  # noqa: E402


class Recorder:
    """A task control (``ctl``) that keeps what the task reported."""

    def __init__(self):
        self.reports = []

    def progress(self, fraction, text=""):
        self.reports.append((fraction, text))

    def check_cancel(self):
        pass


def test_check_print_task_reports_each_check():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_uv_sphere_add(segments=64, ring_count=32, radius=0.016)
    obj = bpy.context.active_object
    ctl = Recorder()
    result = findings.analyze(findings.read_object(obj), 32.0, printcheck.preset("resin"), ctl)
    assert result.report["checks"]["non_manifold_edges"] == 0
    fractions = [f for f, _t in ctl.reports]
    texts = [t for _f, t in ctl.reports]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.1 and fractions[-1] == 0.9
    # One report per check between the first and the last, named.
    for name, _share in printcheck.PROGRESS_SHARES:
        assert f"checked {name.replace('_', ' ')}" in texts
    assert len([f for f in fractions if 0.1 < f < 0.9]) >= len(printcheck.PROGRESS_SHARES) - 1
