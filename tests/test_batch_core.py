# SPDX-License-Identifier: GPL-3.0-or-later
"""The bpy-free parts of figurine batch: inputs and manifests, the shared rate limit across
processes, the spending cap, the state file and the progress line."""

from __future__ import annotations

import io
import json
import multiprocessing
import time
from pathlib import Path

import pytest
from PIL import Image

from figurine_forge.core.batch import BatchState, discover
from figurine_forge.core.batch.credits import CreditLedger, estimate_credits
from figurine_forge.core.batch.progress import ProgressBar, estimate_eta, format_eta
from figurine_forge.core.batch.ratelimit import RateLimit, SharedRateLimiter, parse_rate_limits
from figurine_forge.core.errors import BadInputError


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), (10, 20, 30)).save(path)
    return path


# -- inputs -----------------------------------------------------------------------------------
def test_folder_input_named_views_single_image_and_problems(tmp_path):
    for slot in ("front", "back", "LEFT"):
        _png(tmp_path / "knight" / f"{slot}.png")
    _png(tmp_path / "elf" / "photo.jpg")
    _png(tmp_path / "mess" / "a.png")
    _png(tmp_path / "mess" / "b.png")
    (tmp_path / "empty").mkdir()
    _png(tmp_path / "loose image.png")
    (tmp_path / "notes.txt").write_text("ignored")
    chars = {c.name: c for c in discover(tmp_path, {"height": 28, "base": "round25"})}
    assert sorted(chars) == ["elf", "empty", "knight", "loose_image", "mess"]
    assert sorted(chars["knight"].views) == ["back", "front", "left"]
    assert list(chars["elf"].views) == ["front"] and chars["elf"].views["front"].endswith("photo.jpg")
    assert chars["loose_image"].views["front"].endswith("loose image.png")
    assert "holds 2 images and none is named front" in chars["mess"].error
    assert "holds no image" in chars["empty"].error
    assert chars["knight"].height == 28.0 and chars["knight"].base == "round25" and not chars["knight"].error


def test_csv_manifest_with_per_character_options(tmp_path):
    _png(tmp_path / "img" / "a.png")
    _png(tmp_path / "img" / "b_front.png")
    _png(tmp_path / "img" / "b_back.png")
    (tmp_path / "list.csv").write_text(
        "name,front,back,provider,height,base,preset,formats,options\n"
        "Alpha One,img/a.png,,local,40,,fdm,stl;3mf,\n"
        "beta,img/b_front.png,img/b_back.png,3daistudio,,hex32,,glb,face_count=300000;enable_pbr=false\n"
        "gamma,img/a.png,,,,,resin,step,\n"
        "delta,img/a.png,,,,square99x3,,,\n", encoding="utf-8")
    chars = {c.name: c for c in discover(tmp_path / "list.csv", {"provider": "local"})}
    a, b = chars["Alpha_One"], chars["beta"]
    assert a.height == 40.0 and a.preset == "fdm" and a.formats == ["stl", "3mf"] and a.provider == "local"
    assert Path(a.views["front"]) == (tmp_path / "img" / "a.png").absolute()
    assert b.provider == "3daistudio" and b.base == "hex32" and b.formats == ["stl", "glb"]
    assert b.options == {"face_count": "300000", "enable_pbr": "false"} and sorted(b.views) == ["back", "front"]
    assert "unknown format 'step'" in chars["gamma"].error  # one bad row fails alone
    assert "unknown base" in chars["delta"].error


def test_json_manifest_defaults_prompt_only_and_whole_input_errors(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "m.json").write_text(json.dumps({
        "defaults": {"height": 54, "provider": "local"},
        "characters": [{"name": "a", "image": "a.png"}, {"name": "dragon", "prompt": "a small dragon"}]}))
    chars = {c.name: c for c in discover(tmp_path / "m.json")}
    assert chars["a"].height == 54.0 and list(chars["a"].views) == ["front"]
    assert "needs `figurine make`" in chars["dragon"].error
    (tmp_path / "dup.json").write_text(json.dumps([{"name": "x", "front": "a.png"}, {"name": "X", "front": "a.png"}]))
    with pytest.raises(BadInputError, match="two characters are named"):
        discover(tmp_path / "dup.json")
    (tmp_path / "typo.csv").write_text("name,frnot\nx,a.png\n")
    with pytest.raises(BadInputError, match="unknown column 'frnot'"):
        discover(tmp_path / "typo.csv")
    with pytest.raises(BadInputError, match="does not exist"):
        discover(tmp_path / "nope")


# -- rate limit across processes --------------------------------------------------------------
def _hammer(folder: str, n: int, log: str) -> None:
    limiter = SharedRateLimiter(folder, "svc", RateLimit(3, 0.6))
    for _ in range(n):
        with limiter.slot():
            start = time.time()
            time.sleep(0.02)  # the request itself
            end = time.time()
        with open(log, "a") as fh:
            fh.write(f"{start} {end}\n")


def test_shared_rate_limit_holds_across_processes(tmp_path):
    log = tmp_path / "requests.log"
    ctx = multiprocessing.get_context("fork")  # the package is loaded from source
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path / "rl"), 4, str(log))) for _ in range(3)]
    started = time.time()
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    spans = sorted(tuple(map(float, ln.split())) for ln in log.read_text().splitlines())
    assert len(spans) == 12
    # A service counting arrivals (somewhere between start and end of each request) over any
    # 0.6 s window never sees more than 3: for each request, those that ended less than 0.6 s
    # before it started, or had not ended yet, are at most 2 others.
    for start, _ in spans:
        overlapping = [s for s, e in spans if s <= start and e > start - 0.6]
        assert len(overlapping) <= 3, (start, overlapping)
    # 12 requests at 3 per 0.6 s need at least 3 full windows; the limiter did not simply serialise.
    assert time.time() - started >= 1.8


def test_rate_limit_options():
    limits = parse_rate_limits(["fal=10/60", "3daistudio=off"])
    assert limits == {"fal": RateLimit(10, 60.0)}
    assert parse_rate_limits([])["3daistudio"] == RateLimit(3, 60.0)  # the documented default
    for bad in ("fal", "fal=3", "fal=0/5", "=3/4"):
        with pytest.raises(BadInputError):
            parse_rate_limits([bad])


# -- credits, state, progress -----------------------------------------------------------------
def test_credit_ledger_cap_and_release():
    assert estimate_credits("3daistudio", ["front"], {}) == 60.0
    assert estimate_credits("3daistudio", ["front", "back"], {"enable_pbr": "true"}) == 100.0
    assert estimate_credits("local", ["front"], {}) == 0.0
    data: dict = {}
    ledger = CreditLedger(data, 150)
    ledger.reserve("a", 80, "3daistudio")
    ledger.reserve("a", 80, "3daistudio")  # booked once: a resumed task is not paid again
    with pytest.raises(BadInputError, match="would pass --max-credits 150"):
        ledger.reserve("b", 80, "3daistudio")
    ledger.release("a")  # a never submitted
    ledger.reserve("b", 80, "3daistudio")
    assert data["credits"] == {"b": 80.0} and ledger.committed == 80.0


def test_state_refuses_a_foreign_folder_and_keeps_history(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("mine")
    with pytest.raises(BadInputError, match="not empty"):
        BatchState.open(tmp_path / "busy", "in")
    from figurine_forge.core.batch.characters import Character

    st = BatchState.open(tmp_path / "out", "in")
    st.register([Character("a"), Character("b")])
    st.update("a", status="done", stl="a/figurine.stl")
    st.save()
    assert not st.is_finished("a")  # its STL is gone: it runs again
    (tmp_path / "out" / "a").mkdir()
    (tmp_path / "out" / "a" / "figurine.stl").write_bytes(b"x")
    again = BatchState.open(tmp_path / "out", "in")
    assert again.is_finished("a") and not again.is_finished("b")
    assert again.counts() == {"total": 2, "done": 1, "failed": 0, "running": 0, "pending": 1, "cancelled": 0}


def test_progress_line_plain_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(4, stream=stream, tty=False)
    bar.update(1, 1, 2, estimate_eta([30.0, 50.0], 2, 2))
    bar.update(1, 1, 2, 40.0)  # same counts: no new line
    bar.update(2, 1, 1, 20.0)
    lines = stream.getvalue().splitlines()
    assert lines == ["figurine: batch [##############--------------] 2/4  done 1  failed 1  running 2  ETA 0:40",
                     "figurine: batch [#####################-------] 3/4  done 2  failed 1  running 1  ETA 0:20"]
    assert format_eta(None) == "ETA --" and format_eta(3725) == "ETA 1h02m"
    tty = io.StringIO()
    ProgressBar(2, stream=tty, tty=True).update(0, 0, 2, None)
    assert tty.getvalue().startswith("\r") and "\n" not in tty.getvalue()


# -- a child forked just as the batch dies ------------------------------------------------------
def test_child_of_a_batch_that_died_before_arming_exits_without_running(tmp_path):
    # The death signal is armed in the child after the fork; a batch killed in between never
    # sends it. The child sees it was re-parented (its parent is no longer the batch) and exits
    # before running the worker command. Simulated by arming with a pid that is not its parent.
    import os
    import signal
    import subprocess
    import sys

    from figurine_forge.core.batch import process

    marker = tmp_path / "ran"
    cmd = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    orphan = subprocess.run(cmd, preexec_fn=process._die_with_parent(os.getpid() + 10_000_000), timeout=60)
    assert orphan.returncode == 128 + signal.SIGTERM
    assert not marker.exists()
    child = subprocess.run(cmd, preexec_fn=process._die_with_parent(os.getpid()), timeout=60)
    assert child.returncode == 0 and marker.exists()
