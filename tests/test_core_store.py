# SPDX-License-Identifier: GPL-3.0-or-later
"""The job folder and atomic writes."""

import json
import os

import pytest

from figurine_forge.core import atomic
from figurine_forge.core.errors import BadInputError, OutputError
from figurine_forge.core.jobstore import Job


def test_new_job_writes_manifest(tmp_path):
    job = Job.open(tmp_path / "job")
    manifest = json.loads((tmp_path / "job" / "job.json").read_text())
    assert manifest["format"] == 1 and manifest["id"] == job.manifest["id"]
    assert manifest["steps"] == [] and manifest["tool"]["name"] == "figurine_forge"


def test_inputs_are_copied_and_kept(tmp_path):
    src = tmp_path / "front.png"
    src.write_bytes(b"first")
    job = Job.open(tmp_path / "job")
    first = job.add_input("front", src)
    assert first.read_bytes() == b"first" and first.parent == job.root / "inputs"
    assert job.add_input("front", src) == first  # the same content is not copied twice
    src.write_bytes(b"second")
    second = job.add_input("front", src)
    assert second != first and first.read_bytes() == b"first" and second.read_bytes() == b"second"
    reopened = Job.open(tmp_path / "job")
    assert [e["path"] for e in reopened.manifest["inputs"]["front"]] == ["inputs/front.png", "inputs/front-2.png"]


def test_rerunning_a_step_keeps_the_earlier_result(tmp_path):
    job = Job.open(tmp_path / "job")
    outputs = []
    for text in ("one", "two"):
        with job.step("export", {"text": text}) as step:
            out = step.path("figurine.stl")
            atomic.write_text(out, text)
            job.finish_step(step, {"stl": out})
        job.promote(out, "figurine.stl")
        outputs.append(out)
    assert outputs[0] != outputs[1]
    assert outputs[0].read_text() == "one" and outputs[1].read_text() == "two"
    assert (job.root / "figurine.stl").read_text() == "two"
    steps = Job.open(job.root).steps
    assert [s["status"] for s in steps] == ["done", "done"]
    assert [s["params"]["text"] for s in steps] == ["one", "two"]
    assert steps[1]["outputs"]["stl"] == "steps/002-export/figurine.stl"


def test_failed_step_is_recorded(tmp_path):
    job = Job.open(tmp_path / "job")
    with pytest.raises(BadInputError):
        with job.step("prepare"):
            raise BadInputError("the front view is missing", hint="give one")
    entry = Job.open(job.root).steps[0]
    assert entry["status"] == "failed" and "front view is missing" in entry["error"]


def test_refuses_a_folder_that_is_not_a_job(tmp_path):
    (tmp_path / "stuff.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        Job.open(tmp_path)
    assert (tmp_path / "stuff.txt").read_text() == "mine"


def test_refuses_to_store_secret_looking_fields(tmp_path):
    job = Job.open(tmp_path / "job")
    with pytest.raises(ValueError):
        job.record_task("remote", {"api_key": "sk-123"})
    assert "sk-123" not in (job.root / "job.json").read_text()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.stl"
    target.write_text("previous")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("exporter crashed")
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["out.stl"]


def test_atomic_write_refuses_overwrite_when_asked(tmp_path):
    target = tmp_path / "out.stl"
    target.write_text("previous")
    with pytest.raises(OutputError, match="already exists"):
        atomic.write_text(target, "new", overwrite=False)
    assert target.read_text() == "previous"


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="Cannot create folder"):
        atomic.write_text(blocker / "sub" / "out.txt", "data")


def test_written_files_get_normal_permissions(tmp_path):
    path = atomic.write_text(tmp_path / "report.html", "<html></html>")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
