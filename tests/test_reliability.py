# SPDX-License-Identifier: GPL-3.0-or-later
"""Nothing lost, nothing unexplained: bad inputs, faults and interruptions, one test each.

The table :data:`CASES` drives the tests *and* writes docs/reliability.md
(``python tests/test_reliability.py > docs/reliability.md``); ``test_the_doc_is_the_table``
fails when they differ, so the document always lists what the tests prove. Each case runs
the real CLI in its own process (as a user would) unless it says otherwise, and checks the
exit code, the one-line message, that no traceback was printed, and what must not have
happened (an input rewritten, a half-written file, a job folder for nothing...).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import REPO, SCRIPT, cube, run_cli

DOC = REPO / "docs" / "reliability.md"
KEY = "sk-reliability-SECRET-55e1b0"


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    group: str
    situation: str  # what the user did or what went wrong, in words
    command: str  # how it looks on the command line (for the doc)
    exit_code: int
    message: str  # what the user reads (a fragment of the one line; the doc shows it)
    check: Callable[["Ctx", "Case"], None] = field(repr=False, compare=False)


class Ctx:
    """What a case needs: the sample views (made once), a fresh folder, the CLI."""

    def __init__(self, sample: Path, tmp: Path):
        self.sample = sample
        self.tmp = tmp

    def view(self, slot: str) -> Path:
        return self.sample / f"{slot}.png"

    def cli(self, *args, env=None, timeout=600) -> subprocess.CompletedProcess:
        return run_cli(*args, env=env, timeout=timeout, cwd=self.tmp)

    def stl(self, name="cube.stl", size=10.0) -> Path:
        from figurine_forge.core.mesh.stl import write_stl

        return write_stl(self.tmp / name, cube(size))


def expect(proc: subprocess.CompletedProcess, case: Case) -> None:
    """The case's exit code and message, one error line at most, never a traceback."""
    where = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == case.exit_code, where
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, where
    assert "RuntimeWarning" not in proc.stderr, where
    assert case.message in proc.stderr + proc.stdout, where
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith(("figurine: error:", "figurine: cancelled"))]
    assert len(errors) == (1 if case.exit_code >= 2 else 0), where
    if errors:
        assert case.message in errors[0], where


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a writer left behind (core.atomic names them .NAME.XXXX.tmpEXT)."""
    return [p for p in Path(folder).rglob("*") if ".tmp" in p.name]


# -- bad images -----------------------------------------------------------------------------------
def _png(path: Path, arr: np.ndarray) -> Path:
    Image.fromarray(arr).save(path)
    return path


def _bomb_png(path: Path, w: int, h: int) -> Path:
    """A PNG whose header claims w×h pixels (no pixel data needed to be refused)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def _run_refuses_image(make: Callable[[Ctx], Path], command="run"):
    """``run`` (or another view command) with a bad front image: the loader's message, and
    no job folder created for nothing."""
    def check(ctx: Ctx, case: Case) -> None:
        bad = make(ctx)
        job = ctx.tmp / "job"
        args = [command, "--front", bad, "--out", job]
        if command == "generate":
            args += ["--provider", "local"]
        expect(ctx.cli(*args), case)
        assert not job.exists(), "a job folder was created for an unusable image"
    return check


def _empty_file(ctx):
    p = ctx.tmp / "front.png"
    p.write_bytes(b"")
    return p


def _folder(ctx):
    p = ctx.tmp / "views"
    p.mkdir()
    return p


def _text_file(ctx):
    p = ctx.tmp / "front.png"
    p.write_text("these are my notes, not an image\n")
    return p


def _truncated_png(ctx):
    data = ctx.view("front").read_bytes()
    p = ctx.tmp / "front.png"
    p.write_bytes(data[: len(data) // 2])
    return p


def _tiny_png(ctx):
    return _png(ctx.tmp / "tiny.png", np.full((8, 8, 3), 120, np.uint8))


def _plain_gray(ctx):
    return _png(ctx.tmp / "gray.png", np.full((256, 256, 3), 190, np.uint8))


def _noise(ctx):
    rng = np.random.default_rng(3)
    return _png(ctx.tmp / "noise.png", rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))


def _bomb(ctx):
    return _bomb_png(ctx.tmp / "bomb.png", 30000, 30000)


def _prepare_refuses_image(make):
    def check(ctx: Ctx, case: Case) -> None:
        expect(ctx.cli("prepare", "--front", make(ctx), "--out", ctx.tmp / "prepared"), case)
        assert not (ctx.tmp / "prepared").exists()
    return check


# -- views that are wrong together (warnings on stderr, one line each) -----------------------------
def _photo_backdrop(ctx: Ctx) -> Path:
    """The sample's front over a photo-like backdrop: a strong gradient and sensor noise
    close to the character's colours (the matte used to keep 5 % of a 21 % subject)."""
    from figurine_forge.core.images.load import load_rgba

    rgba = load_rgba(ctx.sample / "front_rgba.png")
    alpha = rgba[..., 3:]
    h, w = alpha.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w] / h
    back = np.clip(0.5 + 0.5 * (yy - 0.5) + 0.15 * (xx - 0.5), 0, 1)[..., None] * np.array([1.0, 0.95, 0.9])
    back = back + np.random.default_rng(0).normal(0, 12 / 255, (h, w, 3))
    rgb = np.clip(alpha * rgba[..., :3] + (1 - alpha) * back, 0, 1)
    return _png(ctx.tmp / "photo.png", np.round(rgb * 255).astype(np.uint8))


def _other_character(ctx: Ctx) -> Path:
    from synth_views import figure_mask, paint

    mask = figure_mask((256, 256), view="side_right")
    rgb = paint(mask, backdrop=(0.745, 0.745, 0.745), gradient=0.0, noise=1.0,
                subject_colours=((0.95, 0.85, 0.1), (0.1, 0.7, 0.2), (0.9, 0.5, 0.0)))
    return _png(ctx.tmp / "stranger_left.png", np.round(rgb * 255).astype(np.uint8))


def _tiny_subject(ctx: Ctx) -> Path:
    from synth_views import figure_mask, paint

    rgb = paint(figure_mask((512, 512), scale=0.12))
    return _png(ctx.tmp / "far_away.png", np.round(rgb * 255).astype(np.uint8))


def _run_warns(views: Callable[[Ctx], dict], fragments: tuple[str, ...]):
    """``run`` goes on (the views may be what the user meant) but says, on stderr, one line
    per problem, what is wrong and what to do; report.json keeps the same lines."""
    def check(ctx: Ctx, case: Case) -> None:
        job = ctx.tmp / "job"
        args = ["run", "--out", job, "--size", "256", "--resolution", "64"]
        for slot, path in views(ctx).items():
            args += [f"--{slot}", path]
        proc = ctx.cli(*args)
        expect(proc, case)
        warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("figurine: warning:")]
        for fragment in fragments:
            assert any(fragment in ln for ln in warnings), proc.stderr
        report = json.loads((job / "report.json").read_text())
        assert [f"figurine: warning: {w}" for w in report["warnings"]] == warnings
    return check


def _prepare_warns(views: Callable[[Ctx], dict], fragment: str):
    def check(ctx: Ctx, case: Case) -> None:
        args = ["prepare", "--out", ctx.tmp / "prepared", "--size", "256"]
        for slot, path in views(ctx).items():
            args += [f"--{slot}", path]
        proc = ctx.cli(*args)
        expect(proc, case)
        assert any(fragment in ln for ln in proc.stderr.splitlines() if ln.startswith("figurine: warning:"))
    return check


# -- bad meshes -----------------------------------------------------------------------------------
def _mesh_refused(make: Callable[[Ctx], Path], command="check", *extra, env=None):
    def check(ctx: Ctx, case: Case) -> None:
        mesh = make(ctx)
        before = digest(mesh)
        args = [command, mesh, *extra]
        if command in ("repair", "export"):
            args += ["--out", ctx.tmp / "out.stl"]
        expect(ctx.cli(*args, env=env), case)
        assert digest(mesh) == before
        assert not (ctx.tmp / "out.stl").exists() and not leftovers(ctx.tmp)
    return check


def _stl_bytes(name: str, data: bytes):
    def make(ctx):
        p = ctx.tmp / name
        p.write_bytes(data)
        return p
    return make


def _binary_stl_header(count: int) -> bytes:
    return b"\0" * 80 + count.to_bytes(4, "little")


def _truncated_stl(ctx):
    data = ctx.stl().read_bytes()
    p = ctx.tmp / "cut.stl"
    p.write_bytes(data[: 84 + 50 * 5 + 17])
    return p


def _nan_stl(ctx):
    from figurine_forge.core.mesh.stl import write_stl

    mesh = cube(10.0)
    mesh.vertices[3] = np.nan
    return write_stl(ctx.tmp / "nan.stl", mesh)


def _huge_stl(ctx):
    return ctx.stl("huge.stl", size=1e9)


def _png_as_stl(ctx):
    p = ctx.tmp / "model.stl"
    p.write_bytes(ctx.view("front").read_bytes())
    return p


def _obj_without_faces(ctx):
    p = ctx.tmp / "points.obj"
    p.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    return p


ASCII_ABC = b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 1 2 abc\nendloop\nendfacet\nendsolid x\n"


def _huge_mesh_is_not_passed(ctx: Ctx, case: Case) -> None:
    proc = ctx.cli("check", _huge_stl(ctx))
    expect(proc, case)
    assert "overflow" not in proc.stderr and "PASS" not in proc.stdout


# -- bad paths: the user's files are never written -------------------------------------------------
def _check_report_onto(target: Callable[[Ctx, Path], Path], *extra):
    def check(ctx: Ctx, case: Case) -> None:
        mesh = ctx.stl()
        before = digest(mesh)
        report = target(ctx, mesh)
        proc = ctx.cli("check", mesh, "--report", report, *extra)
        expect(proc, case)
        assert digest(mesh) == before, "the input mesh was rewritten"
        assert "[check]" not in proc.stderr, "refused only after the work"
    return check


def _hard_link(ctx, mesh):
    link = ctx.tmp / "same.stl"
    os.link(mesh, link)
    return link


def _sym_link(ctx, mesh):
    link = ctx.tmp / "alias.stl"
    link.symlink_to(mesh)
    return link


def _dot_spelling(ctx, mesh):
    (ctx.tmp / "sub").mkdir()
    return Path("sub") / ".." / mesh.name  # relative to the CLI's working folder (ctx.tmp)


def _a_folder(ctx, mesh):
    folder = ctx.tmp / "reports"
    folder.mkdir()
    return folder


def _existing(ctx, mesh):
    p = ctx.tmp / "old-report.json"
    p.write_text('{"mine": true}\n')
    return p


def _report_forced(ctx: Ctx, case: Case) -> None:
    mesh = ctx.stl()
    old = _existing(ctx, mesh)
    expect(ctx.cli("check", mesh, "--report", old, "--force"), case)
    assert json.loads(old.read_text())["passed"] is True


def _report_refused_when_existing(ctx: Ctx, case: Case) -> None:
    mesh = ctx.stl()
    old = _existing(ctx, mesh)
    expect(ctx.cli("check", mesh, "--report", old), case)
    assert json.loads(old.read_text()) == {"mine": True}


def _prepare_into_inputs(ctx: Ctx, case: Case) -> None:
    views = ctx.tmp / "views"
    views.mkdir()
    front = views / "front.png"
    front.write_bytes(ctx.view("front").read_bytes())
    before = digest(front)
    expect(ctx.cli("prepare", "--front", front, "--out", views), case)
    assert digest(front) == before and sorted(p.name for p in views.iterdir()) == ["front.png"]


def _prepare_over_earlier(ctx: Ctx, case: Case) -> None:
    out = ctx.tmp / "prepared"
    assert ctx.cli("prepare", "--front", ctx.view("front"), "--out", out, "--size", "128").returncode == 0
    before = digest(out / "front.png")
    expect(ctx.cli("prepare", "--front", ctx.view("back"), "--out", out, "--size", "128"), case)
    assert digest(out / "front.png") == before


def _out_onto_input(command: str, *extra):
    def check(ctx: Ctx, case: Case) -> None:
        mesh = ctx.stl()
        before = digest(mesh)
        proc = ctx.cli(command, mesh, "--out", mesh, *extra)
        expect(proc, case)
        assert digest(mesh) == before
        assert "[import]" not in proc.stderr, "refused only after reading the mesh"
    return check


def _out_existing(command: str):
    def check(ctx: Ctx, case: Case) -> None:
        mesh = ctx.stl()
        other = ctx.tmp / "keep.stl"
        other.write_bytes(b"precious")
        proc = ctx.cli(command, mesh, "--out", other)
        expect(proc, case)
        assert other.read_bytes() == b"precious" and "[import]" not in proc.stderr
    return check


def _export_to_proc(ctx: Ctx, case: Case) -> None:
    expect(ctx.cli("export", ctx.stl(), "--out", "/proc/x.stl"), case)


def _repair_out_folder(ctx: Ctx, case: Case) -> None:
    folder = ctx.tmp / "prints"
    folder.mkdir()
    expect(ctx.cli("repair", ctx.stl(), "--out", folder), case)
    assert list(folder.iterdir()) == []


def _edit_out_onto_image(ctx: Ctx, case: Case) -> None:
    image = ctx.tmp / "hero.png"
    image.write_bytes(ctx.view("front").read_bytes())
    before = digest(image)
    expect(ctx.cli("edit", image, "--preset", "gray-background", "--out", image, "--online",
                   env={"GEMINI_API_KEY": ""}), case)
    assert digest(image) == before


def _run_out_is_file(ctx: Ctx, case: Case) -> None:
    target = ctx.tmp / "notes.txt"
    target.write_text("mine")
    expect(ctx.cli("run", "--front", ctx.view("front"), "--out", target), case)
    assert target.read_text() == "mine"


def _run_out_not_a_job(ctx: Ctx, case: Case) -> None:
    folder = ctx.tmp / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"not touched")
    expect(ctx.cli("run", "--front", ctx.view("front"), "--out", folder), case)
    assert sorted(p.name for p in folder.iterdir()) == ["holiday.jpg"]


def _run_input_in_job_top(ctx: Ctx, case: Case) -> None:
    job = ctx.tmp / "job"
    job.mkdir()
    (job / "job.json").write_text(json.dumps({"format": 1, "id": "x", "inputs": {}, "steps": [], "latest": {},
                                              "tasks": {}}))
    front = job / "figurine.png"
    front.write_bytes(ctx.view("front").read_bytes())
    before = digest(front)
    expect(ctx.cli("run", "--front", front, "--out", job), case)
    assert digest(front) == before


def _missing_mesh(ctx: Ctx, case: Case) -> None:
    expect(ctx.cli("check", ctx.tmp / "nowhere.stl"), case)


# -- interruptions ---------------------------------------------------------------------------------
def _interrupt_run(delay: float, signum: int = signal.SIGINT):
    """Ctrl-C / SIGTERM ``delay`` seconds into ``figurine run``: exit 5, one line, no
    traceback, nothing half-written, the job folder unlocked and consistent."""
    def check(ctx: Ctx, case: Case) -> None:
        job = ctx.tmp / "job"
        args = [sys.executable, str(SCRIPT), "run", "--front", ctx.view("front"), "--back", ctx.view("back"),
                "--left", ctx.view("left"), "--right", ctx.view("right"), "--out", job, "--quiet"]
        proc = subprocess.Popen(list(map(str, args)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ctx.tmp)
        time.sleep(delay)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=120)
        done = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
        assert proc.returncode == case.exit_code, stderr
        assert "Traceback" not in stderr and "Segmentation" not in stderr, stderr
        ours = [ln for ln in stderr.splitlines() if ln.startswith("figurine:")]
        assert ours == [ln for ln in ours if case.message in ln] and len(ours) == 1, stderr
        assert not leftovers(ctx.tmp), leftovers(ctx.tmp)
        assert not (job / "job.lock").exists()
        if (job / "job.json").exists():
            json.loads((job / "job.json").read_text())  # whole, never half-written
        assert done.returncode == 5
    return check


MID_WRITE = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
import figurine
figurine.install_interrupt_handlers()
figurine.load_package()
from figurine_forge.core import atomic, jobstore
jobstore.enable_locking()
jobstore.Job.open(sys.argv[2])
with atomic.atomic_path(os.path.join(sys.argv[2], "figurine.stl")) as tmp:
    with open(tmp, "wb") as fh:
        fh.write(b"half a mesh")
        fh.flush()
        os.kill(os.getpid(), signal.SIGTERM)
        fh.write(b" and the rest")
print("not stopped")
"""


def _interrupt_mid_write(ctx: Ctx, case: Case) -> None:
    """A signal in the middle of writing a file (the handler of scripts/figurine.py): the
    temporary file is removed, the target never appears, the job lock is released."""
    job = ctx.tmp / "job"
    proc = subprocess.run([sys.executable, "-c", MID_WRITE, str(REPO / "scripts"), str(job)],
                          capture_output=True, text=True, timeout=120)
    expect(proc, case)
    assert "not stopped" not in proc.stdout
    assert sorted(p.name for p in job.iterdir()) == ["job.json"], list(job.iterdir())


def _interrupted_step_is_marked(ctx: Ctx, case: Case) -> None:
    """The run after an interrupted one says what happened to the step it left running."""
    _interrupt_run(3.0)(ctx, Case("", "", "", "", 5, "cancelled by Ctrl-C", _missing_mesh))
    job = ctx.tmp / "job"
    before = json.loads((job / "job.json").read_text())
    assert any(s["status"] == "running" for s in before["steps"])
    proc = ctx.cli("run", "--front", ctx.view("front"), "--out", job)
    expect(proc, dataclasses.replace(case, message="passes the print check"))
    after = json.loads((job / "job.json").read_text())
    assert "running" not in [s["status"] for s in after["steps"]]
    assert any(s["status"] == "interrupted" and case.message in s["error"] for s in after["steps"])


def _interrupt_generate(ctx: Ctx, case: Case) -> None:
    """Ctrl-C while ``generate`` polls a paid task: exit 5 with one line that says how to
    finish it; the task id stays in the job, and ``resume`` fetches the model without a
    second submit."""
    from fakes.aistudio3d_server import AIStudio3DFake
    from fakes.payloads import make_glb

    fake = AIStudio3DFake(key=KEY)
    fake.payload = make_glb()
    fake.hold = True  # "IN_PROGRESS" until released
    env = {**os.environ, "FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": fake.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_POLL_INTERVAL": "0.05", "NO_PROXY": "127.0.0.1"}
    job = ctx.tmp / "job"
    try:
        proc = subprocess.Popen(list(map(str, [sys.executable, SCRIPT, "generate", "--front", ctx.view("front"),
                                               "--out", job, "--online", "--size", "128"])),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ctx.tmp)
        give_up = time.monotonic() + 120  # a bound for a loaded machine, not a measurement
        while fake.count("status") < 2 and proc.poll() is None and time.monotonic() < give_up:
            time.sleep(0.05)
        assert proc.poll() is None and fake.count("status") >= 2
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        expect(subprocess.CompletedProcess([], proc.returncode, stdout, stderr), case)
        assert stderr.splitlines()[-1].startswith("figurine: cancelled by Ctrl-C") and not leftovers(job)
        assert f"figurine resume {job} --online" in stderr
        fake.hold = False
        resumed = ctx.cli("resume", job, "--online", env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert fake.count("submit") == 1 and (job / "generated.glb").read_bytes() == make_glb()
        for path in job.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path
        assert KEY not in stdout + stderr + resumed.stdout + resumed.stderr
    finally:
        fake.close()


# -- concurrent runs -------------------------------------------------------------------------------
def _locked_job(ctx: Ctx, case: Case, command=("run",)) -> None:
    job = ctx.tmp / "job"
    job.mkdir()
    if command != ("run",):  # an existing job: what review and resume open
        (job / "job.json").write_text(json.dumps({"format": 1, "id": "x", "inputs": {}, "steps": [], "latest": {},
                                                  "tasks": {}}))
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        (job / "job.lock").write_text(f"{holder.pid}\n")
        args = list(command) + (["--front", ctx.view("front"), "--out", job] if command == ("run",) else [job])
        proc = ctx.cli(*args)
        expect(proc, dataclasses.replace(case, message=case.message.replace("N", str(holder.pid))))
    finally:
        holder.kill()
        holder.wait()
    assert (job / "job.lock").read_text() == f"{holder.pid}\n", "the other process's lock was taken"
    assert not (job / "job.json").exists() or json.loads((job / "job.json").read_text())["steps"] == []


def _review_locked(ctx, case):
    _locked_job(ctx, case, command=("review",))


def _two_runs_at_once(ctx: Ctx, case: Case) -> None:
    """Two real runs into one folder: the second is refused by the first's lock, the first
    finishes untouched (it used to die on FileExistsError: steps/006-prepare)."""
    job = ctx.tmp / "job"
    views = [a for s in ("front", "back", "left", "right") for a in (f"--{s}", ctx.view(s))]
    first = subprocess.Popen(list(map(str, [sys.executable, SCRIPT, "run", *views, "--out", job, "--quiet"])),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ctx.tmp)
    try:
        give_up = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
        while not (job / "job.json").exists() and time.monotonic() < give_up and first.poll() is None:
            time.sleep(0.02)
        assert (job / "job.lock").exists(), "the first run never took the job"
        proc = ctx.cli("run", "--front", ctx.view("front"), "--out", job)
        expect(proc, dataclasses.replace(case, message=case.message.replace("N", str(first.pid))))
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode in (0, 1), err
    steps = json.loads((job / "job.json").read_text())["steps"]
    assert [s["name"] for s in steps] == ["prepare", "reconstruct", "scale", "check", "export", "export_glb"]


def _stale_lock(ctx: Ctx, case: Case) -> None:
    job = ctx.tmp / "job"
    job.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (job / "job.lock").write_text(f"{gone.pid}\n")
    proc = ctx.cli("run", "--front", ctx.view("front"), "--out", job)
    expect(proc, case)
    assert not (job / "job.lock").exists() and (job / "figurine.stl").exists()


# -- slow and lying servers ------------------------------------------------------------------------
class TrickleServer:
    """Answers every request with HTTP 200 and a valid JSON body sent one byte every
    ``interval`` seconds: each read arrives on time, the whole answer takes minutes."""

    def __init__(self, body: bytes = b'{"task_id": "t-1", "padding": "' + b"x" * 200 + b'"}', interval=0.5):
        self.body, self.interval = body, interval
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = threading.Event()
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        self.requests += 1
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                rest += chunk
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(self.body)}\r\n\r\n".encode())
            for i in range(len(self.body)):
                if self.closed.wait(self.interval):
                    return
                conn.sendall(self.body[i:i + 1])
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


def _session(url: str, deadline: float):
    from figurine_forge.core import providers
    from figurine_forge.core.providers.http import HttpSession

    config = providers.ProviderConfig(online=True, api_key=KEY, base_url=url, allow_loopback_http=True,
                                      deadline=deadline, read_timeout=30.0)
    provider = providers.get_provider("3daistudio", config)
    return HttpSession(provider, key=KEY, deadline=deadline, what="the task status")


def _trickled_status(ctx: Ctx, case: Case) -> None:
    """In-process: a polling request whose answer trickles in hits the session's deadline
    (each read is on time; before the fix it waited the whole 100 s answer out)."""
    from figurine_forge.core.errors import RemoteError

    server = TrickleServer()
    try:
        with _session(server.url, 1.5) as http, pytest.raises(RemoteError) as err:
            http.request_json("GET", server.url + "/v1/generation-request/t-1/status/")
        assert err.value.exit_code == case.exit_code and case.message in err.value.one_line()
        assert KEY not in err.value.one_line()
    finally:
        server.close()


def _trickled_download(ctx: Ctx, case: Case) -> None:
    from figurine_forge.core.errors import RemoteError

    server = TrickleServer(body=b"glTF" + b"\0" * 400, interval=0.2)
    try:
        dest = ctx.tmp / "model.glb"
        with _session(server.url, 1.5) as http, pytest.raises(RemoteError) as err:
            http.download(server.url + "/files/model.glb", dest, max_bytes=1 << 20)
        assert err.value.exit_code == case.exit_code and case.message in err.value.one_line()
    finally:
        server.close()


def _trickled_submit(ctx: Ctx, case: Case) -> None:
    """``generate`` against a service that trickles its answer to the upload: stopped at the
    provider deadline (it used to stay "uploading" for minutes), said to be ambiguous (the
    job may have started, so no second submit), and the key appears nowhere."""
    server = TrickleServer()
    env = {"FIGURINE_3DAISTUDIO_KEY": KEY, "FIGURINE_3DAISTUDIO_BASE_URL": server.url,
           "FIGURINE_ALLOW_LOOPBACK_HTTP": "1", "FIGURINE_PROVIDER_DEADLINE": "3", "NO_PROXY": "127.0.0.1"}
    try:
        job = ctx.tmp / "job"
        proc = ctx.cli("generate", "--front", ctx.view("front"), "--out", job, "--online", "--size", "128", env=env)
        expect(proc, case)
        assert server.requests == 1, "the submit was sent again"
    finally:
        server.close()
    assert KEY not in proc.stdout + proc.stderr
    for path in job.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    steps = json.loads((job / "job.json").read_text())["steps"]
    assert steps[-1]["name"] == "generate" and steps[-1]["status"] == "failed"


def _trickled_gemini(ctx: Ctx, case: Case) -> None:
    """An AI image edit whose answer trickles in: stopped at its timeout (the SDK's timeout
    is per read; before, a 2 s timeout waited two minutes for the whole answer)."""
    from figurine_forge.core import gemini
    from figurine_forge.core.errors import RemoteError

    server = TrickleServer()
    try:
        settings = gemini.GeminiSettings(timeout_s=2.0, base_url=server.url, retries=0)
        with pytest.raises(RemoteError) as err:
            gemini.edit_image(ctx.view("front"), "put the character on studio gray", settings=settings,
                              online=True, api_key=KEY)
        assert err.value.exit_code == case.exit_code and case.message in err.value.one_line()
        assert KEY not in err.value.one_line() and server.requests == 1
    finally:
        server.close()


# -- the review's verdict ----------------------------------------------------------------------------
def _verdict_on(views: dict, built_from=()):
    from figurine_forge.core.review import verdict
    from figurine_forge.core.review.silhouette import compare_views

    def figure() -> np.ndarray:
        m = np.zeros((128, 128), np.float32)
        m[20:110, 50:78] = 1.0
        m[30:70, 38:90] = 1.0
        return m

    comps = compare_views({v: figure() for v in views}, {v: figure() for v in views}, size=128)
    return verdict.decide(comps, {"passed": True, "checks": {}}, built_from=built_from)


def _single_view_job_review(ctx: Ctx, case: Case) -> None:
    """The issue's case end to end: a front-only job (a slab) reviewed by the CLI is not
    "keep"; the JSON, the human output and report.html say what could not be checked."""
    from helpers import last_json

    job = ctx.tmp / "job"
    assert ctx.cli("run", "--front", ctx.view("front"), "--out", job).returncode in (0, 1)
    proc = ctx.cli("review", job, "--no-check", "--size", "128", "--json")
    expect(proc, case)
    result = last_json(proc.stdout)
    assert result["verdict"] == "unverified" and case.message in result["reasons"][0]
    review = json.loads((job / "review.json").read_text())
    assert review["verdict"]["decision"] == "unverified"
    assert "unverified" in (job / "report.html").read_text()
    human = ctx.cli("review", job, "--no-check", "--size", "128")
    assert "verdict: unverified" in human.stdout and case.message in human.stdout


def _single_view_verdict(ctx: Ctx, case: Case) -> None:
    v = _verdict_on(["front"])
    assert v.decision == "unverified" and case.message in v.reasons[0] and v.advice


def _front_back_verdict(ctx: Ctx, case: Case) -> None:
    v = _verdict_on(["front", "back"])
    assert v.decision == "unverified" and case.message in v.reasons[0]


def _own_silhouettes_verdict(ctx: Ctx, case: Case) -> None:
    from figurine_forge.core.review.verdict import views_the_model_was_built_from

    manifest = {"steps": [
        {"index": 1, "name": "prepare", "status": "done", "params": {"views": ["front", "back", "left", "right"]}},
        {"index": 2, "name": "reconstruct", "status": "done", "params": {"provider": "local"}}]}
    built = views_the_model_was_built_from(manifest)
    assert built == ["front", "back", "left", "right"]
    v = _verdict_on(built, built_from=built)
    assert v.decision == "unverified" and case.message in v.reasons[0]
    # With an independent side view the same agreement is evidence: "keep" stays possible.
    assert _verdict_on(["front", "left"]).decision == "keep"


# -- the table ---------------------------------------------------------------------------------------
IMG = "bad images"
VIEWS = "views that do not belong together"
MESH = "bad meshes"
PATHS = "bad paths (the user's files are never written)"
STOP = "interruptions"
BUSY = "concurrent runs"
NET = "slow and lying servers"
REVIEW = "review evidence"

CASES: list[Case] = [
    # bad images
    Case("run-empty-image", IMG, "a 0-byte image", "run --front empty.png --out JOB", 2,
         "is not an image we can read", _run_refuses_image(_empty_file)),
    Case("prepare-empty-image", IMG, "a 0-byte image", "prepare --front empty.png --out DIR", 2,
         "is not an image we can read", _prepare_refuses_image(_empty_file)),
    Case("run-folder-as-image", IMG, "a folder given as the image", "run --front SOME_FOLDER --out JOB", 2,
         "is a folder", _run_refuses_image(_folder)),
    Case("prepare-folder-as-image", IMG, "a folder given as the image", "prepare --front SOME_FOLDER --out DIR", 2,
         "is a folder", _prepare_refuses_image(_folder)),
    Case("generate-folder-as-image", IMG, "a folder given as the image",
         "generate --provider local --front SOME_FOLDER --out JOB", 2, "is a folder",
         _run_refuses_image(_folder, command="generate")),
    Case("run-missing-image", IMG, "an image that does not exist", "run --front nowhere.png --out JOB", 2,
         "does not exist", _run_refuses_image(lambda ctx: ctx.tmp / "nowhere.png")),
    Case("run-text-as-image", IMG, "a text file named .png", "run --front notes.png --out JOB", 2,
         "is not an image we can read (by its content)", _run_refuses_image(_text_file)),
    Case("run-truncated-png", IMG, "a PNG cut in half", "run --front half.png --out JOB", 2,
         "is damaged or not a supported image", _run_refuses_image(_truncated_png)),
    Case("run-tiny-image", IMG, "an 8×8 pixel image", "run --front tiny.png --out JOB", 2,
         "is only 8×8 pixels", _run_refuses_image(_tiny_png)),
    Case("run-pixel-bomb", IMG, "a PNG claiming 30000×30000 pixels (decompression bomb)",
         "run --front bomb.png --out JOB", 2, "is larger than 64 megapixels", _run_refuses_image(_bomb)),
    Case("prepare-no-subject", IMG, "a plain gray image with no character", "prepare --front gray.png --out DIR", 2,
         "no character could be separated from the background", _prepare_refuses_image(_plain_gray)),
    Case("prepare-busy-background", IMG, "pure noise, no plain background", "prepare --front noise.png --out DIR", 2,
         "no character could be separated from the background", _prepare_refuses_image(_noise)),
    # views that do not belong together
    Case("run-mirrored-side", VIEWS, "the left and right views swapped (mirrored side views)",
         "run --left right.png --right left.png ...", 0, "warning: left view faces the viewer's left",
         _run_warns(lambda ctx: {"front": ctx.view("front"), "left": ctx.view("right"), "right": ctx.view("left")},
                    ("left view faces the viewer's left", "right view faces the viewer's right"))),
    Case("run-one-image-for-all", VIEWS, "one image given for all four views",
         "run --front a.png --back a.png --left a.png --right a.png", 1,
         "warning: back view is the same picture as the front view",
         _run_warns(lambda ctx: {s: ctx.view("front") for s in ("front", "back", "left", "right")},
                    ("back view is the same picture", "left view is the same picture",
                     "right view is the same picture"))),
    Case("run-other-character", VIEWS, "a side view of a different character", "run --front hero.png --left other.png",
         0, "it may show another character",
         _run_warns(lambda ctx: {"front": ctx.view("front"), "left": _other_character(ctx)},
                    ("left view: its colours match the front view's by only",))),
    Case("run-photo-backdrop", VIEWS, "a photo-like backdrop (gradient + noise) that swallows head and torso",
         "run --front photo.png --out JOB", 1, "the cut-out character fell apart",
         _run_warns(lambda ctx: {"front": _photo_backdrop(ctx)},
                    ("give this view on a plain, evenly lit background",))),
    Case("prepare-photo-backdrop", VIEWS, "the same photo-like backdrop", "prepare --front photo.png --out DIR", 0,
         "the cut-out character fell apart",
         _prepare_warns(lambda ctx: {"front": _photo_backdrop(ctx)}, "the cut-out character fell apart")),
    Case("prepare-tiny-subject", VIEWS, "a character only a tenth of the image tall",
         "prepare --front far_away.png --out DIR", 0, "the character is only 10% of the image height",
         _prepare_warns(lambda ctx: {"front": _tiny_subject(ctx)}, "crop closer to the character")),
    # bad meshes
    Case("check-empty-stl", MESH, "a 0-byte .stl", "check empty.stl", 2, "empty.stl",
         _mesh_refused(_stl_bytes("empty.stl", b""))),
    Case("check-zero-triangles", MESH, "a binary STL with no triangles", "check none.stl", 2, "none.stl",
         _mesh_refused(_stl_bytes("none.stl", _binary_stl_header(0)))),
    Case("check-truncated-stl", MESH, "a binary STL cut short", "check cut.stl", 2, "cut.stl",
         _mesh_refused(_truncated_stl)),
    Case("check-text-stl", MESH, "an ASCII STL with a non-number (vertex 1 2 abc)", "check abc.stl", 2,
         "vertex coordinate that is not a number", _mesh_refused(_stl_bytes("abc.stl", ASCII_ABC))),
    Case("repair-text-stl", MESH, "the same ASCII STL given to repair", "repair abc.stl --out OUT.stl", 2,
         "abc.stl has a vertex coordinate that is not a number", _mesh_refused(_stl_bytes("abc.stl", ASCII_ABC), "repair")),
    Case("repair-nan-stl", MESH, "an STL with NaN coordinates", "repair nan.stl --out OUT.stl", 2, "nan.stl",
         _mesh_refused(_nan_stl, "repair")),
    Case("check-png-as-stl", MESH, "a PNG renamed model.stl", "check model.stl", 2, "model.stl",
         _mesh_refused(_png_as_stl)),
    Case("export-obj-without-faces", MESH, "an OBJ with vertices and no faces", "export points.obj --out OUT.stl",
         2, "points.obj", _mesh_refused(_obj_without_faces, "export")),
    Case("repair-over-triangle-limit", MESH, "more triangles than the limit (FIGURINE_MAX_TRIANGLES)",
         "repair cube.stl --out OUT.stl", 2, "triangles", _mesh_refused(lambda ctx: ctx.stl(), "repair",
                                                                        env={"FIGURINE_MAX_TRIANGLES": "5"})),
    Case("check-1e9-mm", MESH, "a mesh 10^9 mm across (another unit)", "check huge.stl", 2,
         "far beyond anything printable", _huge_mesh_is_not_passed),
    Case("check-missing-mesh", MESH, "a mesh file that does not exist", "check nowhere.stl", 2, "does not exist",
         _missing_mesh),
    # bad paths
    Case("check-report-is-input", PATHS, "the report aimed at the mesh itself", "check m.stl --report m.stl", 2,
         "would overwrite the input mesh", _check_report_onto(lambda ctx, mesh: mesh)),
    Case("check-report-hard-link", PATHS, "the report aimed at a hard link of the mesh",
         "check m.stl --report same.stl", 2, "would overwrite the input mesh", _check_report_onto(_hard_link)),
    Case("check-report-symlink", PATHS, "the report aimed at a symlink to the mesh", "check m.stl --report alias.stl",
         2, "would overwrite the input mesh", _check_report_onto(_sym_link)),
    Case("check-report-dot-path", PATHS, "the report aimed at the mesh spelt sub/../m.stl",
         "check m.stl --report sub/../m.stl", 2, "would overwrite the input mesh", _check_report_onto(_dot_spelling)),
    Case("check-report-folder", PATHS, "the report aimed at a folder", "check m.stl --report reports/", 2,
         "is a folder", _check_report_onto(_a_folder)),
    Case("check-report-exists", PATHS, "the report aimed at an existing file, no --force",
         "check m.stl --report old.json", 2, "already exists", _report_refused_when_existing),
    Case("check-report-force", PATHS, "the same with --force", "check m.stl --report old.json --force", 0, "PASS",
         _report_forced),
    Case("prepare-into-inputs", PATHS, "prepared views aimed at the input images' folder",
         "prepare --front views/front.png --out views", 2, "would overwrite the input --front",
         _prepare_into_inputs),
    Case("prepare-over-earlier", PATHS, "prepare into a folder holding an earlier result, no --force",
         "prepare --front b.png --out prepared", 2, "already exists", _prepare_over_earlier),
    Case("export-out-is-input", PATHS, "export aimed at its own input", "export m.stl --out m.stl --force", 2,
         "would overwrite the input mesh", _out_onto_input("export", "--force")),
    Case("repair-out-is-input", PATHS, "repair aimed at its own input", "repair m.stl --out m.stl --force", 2,
         "would overwrite the input mesh", _out_onto_input("repair", "--force")),
    Case("export-out-exists", PATHS, "export onto an existing file, no --force", "export m.stl --out keep.stl", 2,
         "already exists", _out_existing("export")),
    Case("repair-out-exists", PATHS, "repair onto an existing file, no --force", "repair m.stl --out keep.stl", 2,
         "already exists", _out_existing("repair")),
    Case("repair-out-folder", PATHS, "repair aimed at a folder", "repair m.stl --out prints/", 2, "is a folder",
         _repair_out_folder),
    Case("export-to-proc", PATHS, "export where no file can be created", "export m.stl --out /proc/x.stl", 2,
         "Cannot create a file in /proc", _export_to_proc),
    Case("edit-out-is-image", PATHS, "an AI edit aimed at its own input image",
         "edit hero.png --preset gray-background --out hero.png --online", 2, "would overwrite the input IMAGE",
         _edit_out_onto_image),
    Case("run-out-is-file", PATHS, "the job folder given as an existing file", "run --front f.png --out notes.txt", 2,
         "is a file", _run_out_is_file),
    Case("run-out-not-a-job", PATHS, "the job folder given as a folder of other files",
         "run --front f.png --out photos/", 2, "exists and is not empty, and is not a job folder", _run_out_not_a_job),
    Case("run-input-in-job", PATHS, "an input image at the top of the job folder it would rewrite",
         "run --front JOB/figurine.png --out JOB", 2, "lies in the job folder", _run_input_in_job_top),
    # interruptions
    *[Case(f"run-ctrl-c-{d:g}s", STOP, f"Ctrl-C {d:g} s into a run", "run ... (SIGINT)", 5, "cancelled by Ctrl-C",
           _interrupt_run(d)) for d in (0.2, 0.8, 1.5, 3.0)],
    Case("run-sigterm", STOP, "SIGTERM 1 s into a run", "run ... (SIGTERM)", 5, "cancelled by SIGTERM",
         _interrupt_run(1.0, signal.SIGTERM)),
    Case("signal-mid-write", STOP, "SIGTERM while a file is half written", "(any command)", 5,
         "cancelled by SIGTERM; finished files are kept, nothing half-written", _interrupt_mid_write),
    Case("generate-ctrl-c-mid-poll", STOP, "Ctrl-C while a paid generation is polled, then resume",
         "generate --online ... (SIGINT); resume JOB --online", 5,
         "a generation already sent stays in the job: `figurine resume", _interrupt_generate),
    Case("run-after-interrupt", STOP, "a run into the job an interrupted run left", "run --out JOB (again)", 0,
         "the process running this step stopped before it finished", _interrupted_step_is_marked),
    # concurrent runs
    Case("run-job-locked", BUSY, "a run into a job folder another live process holds", "run --out JOB (while busy)",
         2, "is in use by process N", _locked_job),
    Case("review-job-locked", BUSY, "a review of a job folder another live process holds", "review JOB (while busy)",
         2, "is in use by process N", _review_locked),
    Case("two-runs-at-once", BUSY, "two runs started into one job folder", "run --out JOB & run --out JOB", 2,
         "is in use by process N", _two_runs_at_once),
    Case("run-stale-lock", BUSY, "a lock left by a process that no longer exists", "run --out JOB", 0,
         "passes the print check", _stale_lock),
    # slow and lying servers
    Case("generate-trickled-submit", NET, "the service answers the upload 1 byte at a time",
         "generate --provider 3daistudio --online", 4, "may have started the job, but its answer did not arrive "
         "within 3 s", _trickled_submit),
    Case("status-trickled", NET, "a status answer trickled 1 byte at a time (in-process)", "(polling)", 4,
         "gave no complete answer for the task status within", _trickled_status),
    Case("download-trickled", NET, "a result download trickled (in-process)", "(download)", 4,
         "did not finish within", _trickled_download),
    Case("gemini-trickled", NET, "an AI image edit whose answer trickles in (in-process)",
         "edit IMAGE --preset NAME --online", 4, "Gemini did not answer within 2 s", _trickled_gemini),
    # review evidence
    Case("verdict-one-view", REVIEW, "a review with only the front view (in-process)", "review JOB", 0,
         "the depth (the side profile) could not be checked", _single_view_verdict),
    Case("verdict-front-back", REVIEW, "front and back only: no view sees depth (in-process)", "review JOB", 0,
         "the depth (the side profile) could not be checked", _front_back_verdict),
    Case("review-front-only-job", REVIEW, "review of a front-only local job (a slab)", "review JOB", 0,
         "the model was built from these same silhouettes (front)", _single_view_job_review),
    Case("verdict-own-silhouettes", REVIEW, "a local reconstruction compared with its own input silhouettes "
         "(in-process)", "review JOB", 0, "the model was built from these same silhouettes",
         _own_silhouettes_verdict),
]

# The provider fault matrix (issue #4) lives in tests/test_providers_faults.py, run against
# every provider's fake server; each row names its test, and test_every_provider_fault_is_listed
# fails when a test is added there without a row here.
PROVIDER_FAULTS: dict[str, tuple[str, int, str]] = {
    "test_generate_stores_the_model_and_the_task": ("the good path: model stored, task recorded", 0, "—"),
    "test_rejected_key_says_so_and_records_no_task": ("HTTP 401: key rejected", 4, "refused the API key (HTTP 401) — check the key in … (its variable, e.g. FAL_KEY)"),
    "test_forbidden_is_final_too": ("HTTP 403", 4, "refused the API key (HTTP 403)"),
    "test_no_credits_says_top_up": ("HTTP 402: no credits", 4, "says the account has too few credits (HTTP 402) — top up credits"),
    "test_missing_key_is_bad_input_before_any_request": ("no API key set", 2, "no API key … (before any request)"),
    "test_garbled_key_is_refused_without_echoing_it": ("a key with stray characters/newlines", 2, "… paste the key again (the key is never echoed)"),
    "test_offline_makes_no_request": ("no --online", 2, "… network access … (no request made)"),
    "test_submit_429_honours_retry_after": ("HTTP 429 with Retry-After on submit", 0, "waits as told, one task"),
    "test_status_429_without_retry_after_backs_off": ("HTTP 429 without Retry-After", 0, "backs off with jitter"),
    "test_status_5xx_is_retried": ("HTTP 5xx while polling", 0, "retried"),
    "test_status_5xx_gives_up_after_bounded_retries_and_keeps_the_task": ("HTTP 5xx forever", 4, "has a server problem (HTTP 5xx) — try again later; task kept for resume"),
    "test_submit_503_is_retried_without_a_second_task": ("HTTP 503 on submit", 0, "retried, one task"),
    "test_submit_500_is_not_retried": ("HTTP 500 on submit (ambiguous)", 4, "may have started the job, but it answered HTTP 500 — check your jobs … so you do not pay twice"),
    "test_submit_connection_reset_is_not_retried": ("connection reset on submit", 4, "may have started the job, but the connection broke"),
    "test_submit_slow_answer_is_not_retried": ("submit answer later than the read timeout", 4, "may have started the job, but it did not answer in time"),
    "test_status_connection_reset_recovers": ("connection reset while polling", 0, "retried"),
    "test_status_malformed_json_recovers": ("garbled JSON while polling", 0, "retried"),
    "test_status_always_malformed_is_a_clear_error": ("garbled JSON forever", 4, "keeps sending unreadable answers"),
    "test_slow_status_past_the_deadline_keeps_the_task": ("still running at the deadline", 4, "… has not finished … — run resume; task kept"),
    "test_failed_task_reports_the_reason": ("the service says the task failed", 4, "… the service's reason (e.g. no object could be recognised)"),
    "test_result_link_appearing_late_is_waited_for": ("finished without a result link, link comes later", 0, "waited for"),
    "test_result_link_that_never_appears_is_a_clear_error": ("finished, link never appears", 4, "… no result link …; task kept for resume"),
    "test_cancel_stops_and_keeps_the_task": ("Cancel while polling", 5, "cancelled (…) — run `figurine resume JOB` to pick it up again"),
    "test_result_404_keeps_the_task_for_resume": ("result file 404/410", 4, "the result file on … is gone (HTTP 404) — result links expire …; run resume"),
    "test_download_5xx_and_reset_are_retried": ("download 5xx and resets", 0, "retried"),
    "test_truncated_glb_is_refused_then_resume_fetches_it_again": ("truncated GLB", 4, "… truncated …; resume fetches it again"),
    "test_non_mesh_content_is_refused": ("HTML instead of a model", 4, "not a mesh (an HTML or XML page)"),
    "test_zip_with_parent_paths_is_refused_and_writes_nothing_outside": ("ZIP with ../ paths", 4, "unsafe entry …; nothing written outside the job"),
    "test_zip_with_absolute_path_is_refused": ("ZIP with an absolute path", 4, "unsafe entry …"),
    "test_zip_result_is_unpacked_and_the_mesh_picked": ("a ZIP result", 0, "the mesh inside is used"),
    "test_oversized_download_is_refused": ("a result over the size limit (Content-Length)", 4, "is … over the … limit"),
    "test_oversized_download_without_length_is_cut_off": ("a result over the limit, no length", 4, "over the … limit, cut off"),
    "test_plain_http_result_url_is_refused": ("a plain-http result link", 4, "refusing to contact http://… only https"),
    "test_keyed_provider_refuses_plain_http_without_permission": ("plain-http API with a key", 4, "refusing … only https"),
}


def _doc() -> str:
    lines = [
        "# Reliability: every bad input, fault and interruption the tests cover",
        "",
        "Generated from the table in `tests/test_reliability.py` (`python tests/test_reliability.py > "
        "docs/reliability.md`); a test fails when this file and the table differ. Every row is one test "
        "that runs the real command (or the named function) and checks the exit code, the message, that no "
        "traceback was printed, and what must not happen: an input rewritten, a half-written file, a job "
        "folder created for nothing, a second paid submit, a key in any output.",
        "",
        "Exit codes: 0 ok, 1 a print check failed, 2 bad input, 3 internal error, 4 remote service "
        "error, 5 cancelled. No row exits 3.",
        "",
    ]
    groups: dict[str, list[Case]] = {}
    for case in CASES:
        groups.setdefault(case.group, []).append(case)
    for group, cases in groups.items():
        lines += [f"## {group[0].upper() + group[1:]}", "", "| case | command | exit | message (fragment) | test id |",
                  "| --- | --- | --- | --- | --- |"]
        for c in cases:
            lines.append(f"| {c.situation} | `{c.command}` | {c.exit_code} | {c.message} | `{c.id}` |")
        lines.append("")
    lines += ["## Remote providers: the fault matrix (issue #4)", "",
              "Each row runs against every remote provider's fake server on 127.0.0.1 (3D AI Studio, fal.ai, "
              "Tripo, Meshy, self-hosted Hunyuan3D-2), in `tests/test_providers_faults.py`; after every one the "
              "key is searched for in every written file and every message. A paid task id is recorded before "
              "anything else, and `figurine resume` never submits again (`test_sigkill_mid_poll_then_resume_"
              "never_resubmits` in tests/test_providers_cli.py).", "",
              "| fault | exit | what the user reads / what happens | test |", "| --- | --- | --- | --- |"]
    for name, (fault, code, message) in PROVIDER_FAULTS.items():
        lines.append(f"| {fault} | {code} | {message} | `{name}` |")
    lines.append("")
    total = len(CASES) + len(PROVIDER_FAULTS)
    lines.append(f"{len(CASES)} cases here and {len(PROVIDER_FAULTS)} provider faults ({total} in all); "
                 f"exit 3 (internal error) in none.")
    lines += ["", "## Known limits", "",
              "- Under `blender -b -P scripts/figurine.py -- ...` our handler is installed when Blender runs the "
              "script; a Ctrl-C during Blender's own start-up (about the first second) is taken by Blender, "
              "which ignores it in background mode, and the command then runs. Press Ctrl-C again. With "
              "`python scripts/figurine.py` (the bpy module) the handler is installed before anything loads.",
              "- A signal is acted on when Python next runs: inside one long Blender operator (a voxel remesh "
              "of a big mesh) the exit waits for that operator to return.",
              "- Job folders are locked by the command line (one command, one writer). The Blender panel does "
              "not lock the job folders it writes."]
    return "\n".join(lines) + "\n"


# -- the tests ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    proc = run_cli("sample", "--out", out, "--size", "256")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case, sample: Path, tmp_path: Path) -> None:
    case.check(Ctx(sample, tmp_path), case)


def test_no_case_is_an_internal_error() -> None:
    assert all(c.exit_code != 3 for c in CASES) and all(code != 3 for _f, code, _m in PROVIDER_FAULTS.values())
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_provider_fault_is_listed() -> None:
    tree = ast.parse((REPO / "tests" / "test_providers_faults.py").read_text())
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert names == list(PROVIDER_FAULTS)


def test_the_doc_is_the_table() -> None:
    assert DOC.read_text() == _doc(), "regenerate: python tests/test_reliability.py > docs/reliability.md"


if __name__ == "__main__":
    sys.stdout.write(_doc())
