# SPDX-License-Identifier: GPL-3.0-or-later
"""The print check's progress callback: called in the calling thread as each check finishes,
rising to exactly 1.0, with the checks' names; the same results with or without it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from figurine_forge.core import printcheck
from printcheck_meshes import join, uv_sphere


def _figure():
    # Two dense spheres (about 60k triangles): enough batches for the spatial checks to
    # report while the calling thread helps them.
    return join(uv_sphere((0, 0, 12), 10.0, 160, 100), uv_sphere((0, 0, 30), 6.0, 160, 100))


@pytest.mark.parametrize("threads", [1, 2])
def test_progress_rises_to_one_with_check_names(threads):
    calls = []
    caller = threading.get_ident()

    def record(fraction, name):
        calls.append((fraction, name, threading.get_ident()))

    mesh = _figure()
    analysis = printcheck.analyze(mesh, printcheck.preset("resin"), threads=threads, progress=record)
    fractions = [f for f, _n, _t in calls]
    names = [n for _f, n, _t in calls]
    assert fractions == sorted(fractions)  # never goes back
    assert all(0.0 < f <= 1.0 for f in fractions)
    assert fractions[-1] == 1.0 and fractions.count(1.0) == 1  # ends once, at exactly 1.0
    assert {t for _f, _n, t in calls} == {caller}  # the calling thread only (a GUI reads it there)
    steps = [name for name, _share in printcheck.PROGRESS_SHARES]
    # Every check is named once, in the order the steps finish.
    named = [n for n in names if n in steps]
    assert named == steps
    # Anything else is the spatial checks' batches, reported between the plain checks and them.
    assert set(names) - set(steps) <= {"thickness and intersections"}
    # The same report as without a callback.
    plain = printcheck.analyze(mesh, printcheck.preset("resin"), threads=threads)
    assert plain.report == analysis.report
    assert np.array_equal(plain.face_thickness, analysis.face_thickness)

