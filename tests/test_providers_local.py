# SPDX-License-Identifier: GPL-3.0-or-later
"""The Local provider behind the provider interface: no network, an injected finishing step."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fakes.payloads import view_set

from figurine_forge.core import providers
from figurine_forge.core.errors import CancelledError
from figurine_forge.core.jobstore import Job
from figurine_forge.core.mesh.trimesh import TriMesh
from figurine_forge.core.mesh.stl import read_stl


def test_local_runs_offline_and_applies_the_injected_finish(tmp_path):
    seen = []

    def finish(mesh: TriMesh) -> TriMesh:
        seen.append(len(mesh.triangles))
        return mesh.transformed(scale=2.0)

    job = Job.open(tmp_path / "job")
    progress = []
    config = providers.ProviderConfig(online=False, finish=finish)
    result = providers.generate(job, "local", view_set(size=96), options={"resolution": 40}, config=config,
                                progress=lambda f, t: progress.append((f, t)))
    assert seen and seen[0] > 0
    mesh = read_stl(result.latest_path)
    assert result.format == "stl" and result.task_id is None
    raw = read_stl(providers.generate(Job.open(tmp_path / "raw"), "local", view_set(size=96),
                                      options={"resolution": 40}).mesh_path)
    assert np.allclose(mesh.size(), 2.0 * raw.size(), rtol=1e-5)  # the file holds the finished mesh
    assert job.manifest["tasks"] == {}
    assert job.steps[-1]["status"] == "done" and job.steps[-1]["params"]["options"] == {"resolution": 40, "legs": "every"}
    fractions = [f for f, _ in progress if f is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_local_without_finish_stores_the_raw_reconstruction(tmp_path):
    job = Job.open(tmp_path / "job")
    result = providers.generate(job, "local", view_set(("front", "left"), size=96), options={"resolution": 32})
    mesh = read_stl(result.mesh_path)
    assert 0.8 < mesh.size()[2] <= 1.05 and mesh.volume() > 0  # normalised: about 1.0 tall
    assert np.isfinite(mesh.vertices).all()


def test_local_cancel_marks_the_step_cancelled(tmp_path):
    job = Job.open(tmp_path / "job")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        providers.generate(job, "local", view_set(size=64), cancel=cancel)
    assert job.steps[-1]["status"] == "cancelled"
    assert not (tmp_path / "job" / "generated.stl").exists()
