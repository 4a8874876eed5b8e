# SPDX-License-Identifier: GPL-3.0-or-later
"""`figurine generate / resume / providers`, in-process and as real processes (SIGKILL + resume)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes.aistudio3d_server import AIStudio3DFake
from fakes.base import Status
from fakes.payloads import make_glb, write_view_pngs
from provider_harness import KEY

from figurine_forge import cli
from figurine_forge.core.mesh.stl import read_stl

REPO = Path(__file__).resolve().parent.parent
FIGURINE = REPO / "scripts" / "figurine.py"


@pytest.fixture
def fake():
    server = AIStudio3DFake(key=KEY)
    server.payload = make_glb()
    server.polls_to_finish = 1
    yield server
    server.close()


@pytest.fixture
def remote_env(monkeypatch, fake):
    env = {"FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": fake.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.02",
           "FIGURINE_BACKOFF_BASE": "0.01", "FIGURINE_BACKOFF_MAX": "0.05"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def views(tmp_path):
    folder = tmp_path / "views"
    folder.mkdir()
    return write_view_pngs(folder)


def _view_args(views, slots=("front", "back", "left", "right")):
    args = []
    for slot in slots:
        args += [f"--{slot}", str(views[slot])]
    return args


def _run(capsys, argv):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def _assert_no_key(root: Path, *texts: str) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the key leaked into {path}"
    for text in texts:
        assert KEY not in text


def test_providers_lists_every_provider_as_json(capsys, remote_env):
    code, out, _ = _run(capsys, ["providers", "--json"])
    assert code == 0
    result = _last_json(out)
    names = [p["name"] for p in result["providers"]]
    assert names[0] == "3daistudio" and "local" in names and "hunyuan-server" in names
    studio = result["providers"][0]
    assert studio["default"] and studio["key_set"] is True and studio["needs_key"]
    assert KEY not in out


def test_providers_human_text(capsys):
    code, out, _ = _run(capsys, ["providers"])
    assert code == 0
    assert "3daistudio (default)" in out and "--option face_count" in out and "FIGURINE_3DAISTUDIO_KEY" in out


def test_providers_online_shows_the_balance_before_paying(capsys, remote_env, fake):
    fake.balance = "150.00"
    code, out, err = _run(capsys, ["providers", "--online", "--json"])
    assert code == 0, err
    studio = _last_json(out)["providers"][0]
    assert studio["balance"] == 150.0 and studio["job_cost"] == 80.0  # 60 + 20 for multi-view
    assert fake.count("balance") == 1 and fake.count("submit") == 0
    fake.balance = "20.5"
    code, out, err = _run(capsys, ["providers", "--online"])
    assert code == 0 and "3daistudio: balance 20.50 credits; one four-view job costs about 80 — NOT enough" in out
    assert KEY not in out + err


def test_providers_online_with_a_refused_key_says_so_on_its_line(capsys, remote_env, fake):
    fake.inject("balance", Status(401, {"detail": f"Invalid API key {KEY}"}))
    code, out, err = _run(capsys, ["providers", "--online"])
    assert code == 0  # the list is still printed
    assert "3daistudio: balance unknown:" in out and "refused the API key" in out
    assert KEY not in out + err


def test_providers_without_online_asks_no_service(capsys, remote_env, fake):
    code, out, _ = _run(capsys, ["providers", "--json"])
    assert code == 0 and "balance" not in _last_json(out)["providers"][0] and fake.count("balance") == 0


def test_generate_remote_end_to_end(capsys, remote_env, fake, views, tmp_path):
    job = tmp_path / "job"
    code, out, err = _run(capsys, ["generate", *_view_args(views), "--out", str(job), "--online", "--json",
                                   "--size", "128", "--option", "face_count=300000"])
    assert code == 0, err
    result = _last_json(out)
    assert result["ok"] and result["format"] == "glb" and result["provider"] == "3daistudio"
    assert (job / result["mesh"]).read_bytes() == make_glb()
    assert (job / "generated.glb").exists()
    assert fake.seen("submit")[0].json()["face_count"] == 300_000
    manifest = json.loads((job / "job.json").read_text())
    assert [s["name"] for s in manifest["steps"]] == ["prepare", "generate"]
    assert set(manifest["inputs"]) == {"front", "back", "left", "right"}
    assert "figurine: [generate]" in err
    _assert_no_key(tmp_path, out, err)


def test_generate_needs_online_and_writes_nothing(capsys, remote_env, fake, views, tmp_path):
    code, out, err = _run(capsys, ["generate", *_view_args(views), "--out", str(tmp_path / "job"), "--json"])
    assert code == 2
    assert "--online" in _last_json(out)["error"]
    assert not (tmp_path / "job").exists() and fake.requests == []


def test_generate_without_key_says_where_to_put_it(capsys, remote_env, monkeypatch, views, tmp_path):
    monkeypatch.delenv("FIGURINE_3DAISTUDIO_KEY")
    code, out, _ = _run(capsys, ["generate", *_view_args(views), "--out", str(tmp_path / "job"), "--online", "--json"])
    assert code == 2 and "FIGURINE_3DAISTUDIO_KEY" in _last_json(out)["error"]


def test_generate_bad_option_is_exit_2(capsys, remote_env, views, tmp_path):
    code, out, _ = _run(capsys, ["generate", *_view_args(views), "--out", str(tmp_path / "job"), "--online",
                                 "--json", "--option", "face_count"])
    assert code == 2 and "NAME=VALUE" in _last_json(out)["error"]
    code, out, _ = _run(capsys, ["generate", *_view_args(views), "--out", str(tmp_path / "job"), "--online",
                                 "--json", "--option", "generate_type=Cubist"])
    assert code == 2 and "Cubist" in _last_json(out)["error"]


def test_generate_remote_refusal_is_exit_4_and_keyless(capsys, remote_env, fake, views, tmp_path):
    fake.inject("submit", Status(402, {"detail": f"no credits left for {KEY}"}))
    code, out, err = _run(capsys, ["generate", *_view_args(views), "--out", str(tmp_path / "job"), "--online",
                                   "--json", "--size", "128"])
    assert code == 4
    assert "credits" in _last_json(out)["error"]
    _assert_no_key(tmp_path, out, err)


def test_resume_with_nothing_pending_is_exit_2(capsys, remote_env, fake, views, tmp_path):
    job = tmp_path / "job"
    assert _run(capsys, ["generate", *_view_args(views, ("front",)), "--out", str(job), "--online", "--size", "128"])[0] == 0
    code, out, _ = _run(capsys, ["resume", str(job), "--online", "--json"])
    assert code == 2 and "already downloaded" in _last_json(out)["error"]
    code, out, _ = _run(capsys, ["resume", str(tmp_path / "nojob"), "--online", "--json"])
    assert code == 2 and "not a job folder" in _last_json(out)["error"]


def test_generate_local_provider_writes_an_stl(capsys, views, tmp_path):
    job = tmp_path / "job"
    code, out, err = _run(capsys, ["generate", "--provider", "local", *_view_args(views), "--out", str(job),
                                   "--json", "--size", "128", "--option", "resolution=48"])
    assert code == 0, err
    result = _last_json(out)
    assert result["format"] == "stl" and result["task_id"] is None
    mesh = read_stl(job / "generated.stl")
    assert len(mesh.triangles) > 100 and mesh.volume() > 0


# -- a real process, killed mid-poll --------------------------------------------------------------
def test_sigkill_mid_poll_then_resume_never_resubmits(fake, views, tmp_path):
    fake.hold = True  # the service keeps saying IN_PROGRESS until we let it finish
    job = tmp_path / "job"
    env = {**os.environ, "FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": fake.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.05",
           "NO_PROXY": "127.0.0.1,localhost"}
    logs = {name: tmp_path / f"{name}.log" for name in ("gen-out", "gen-err", "res-out", "res-err")}
    with open(logs["gen-out"], "wb") as out, open(logs["gen-err"], "wb") as err:
        proc = subprocess.Popen([sys.executable, str(FIGURINE), "generate", *_view_args(views), "--out", str(job),
                                 "--online", "--json", "--size", "128"], stdout=out, stderr=err, env=env)
        try:
            give_up = time.monotonic() + 120  # a generous bound for a loaded machine, not a measurement
            while fake.count("status") < 3 and proc.poll() is None and time.monotonic() < give_up:
                time.sleep(0.05)
            assert proc.poll() is None, logs["gen-err"].read_text()
            assert fake.count("status") >= 3
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    manifest = json.loads((job / "job.json").read_text())
    (key, task), = manifest["tasks"].items()
    assert task["task_id"] == list(fake.tasks)[0] and task["state"] == "submitted"
    assert manifest["steps"][-1]["status"] == "running"
    assert not (job / "generated.glb").exists()

    fake.hold = False
    with open(logs["res-out"], "wb") as out, open(logs["res-err"], "wb") as err:
        code = subprocess.run([sys.executable, str(FIGURINE), "resume", str(job), "--online", "--json"],
                              stdout=out, stderr=err, env=env, timeout=300).returncode
    assert code == 0, logs["res-err"].read_text()
    result = _last_json(logs["res-out"].read_text())
    assert result["task_id"] == task["task_id"]
    assert fake.count("submit") == 1 and len(fake.tasks) == 1
    assert (job / "generated.glb").read_bytes() == make_glb()
    manifest = json.loads((job / "job.json").read_text())
    assert manifest["tasks"][key]["state"] == "finished"
    assert [s["status"] for s in manifest["steps"]] == ["done", "interrupted", "done"]
    _assert_no_key(tmp_path)
