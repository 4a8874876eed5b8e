# SPDX-License-Identifier: GPL-3.0-or-later
"""The job lifecycle around any provider: submit, remember, poll, download, validate, resume.

Order matters for paid jobs: the task id is written into the job folder (``job.json``, atomic)
the moment the submit returns, before any other work, so a crash, a SIGKILL or a closed
Blender never forgets a job that was paid for. ``resume`` picks such a task up and polls it;
it never submits again.

Threading contract (for the Blender panel): :func:`generate`, :func:`resume` and
:func:`cancel_task` never touch bpy and may run in a worker thread. ``progress(fraction,
text)`` is called from that thread (``fraction`` in [0, 1] or None when unknown) and must only
hand the values over (e.g. put them in a queue). ``cancel`` is a ``threading.Event``: setting
it stops waiting within one request timeout; with ``cancel_remote=True`` the service is also
asked to stop the task where it allows it. A locally stopped task stays resumable.

Task states in ``job.manifest["tasks"][key]["state"]``:
``submitted`` (polling or about to), ``interrupted`` (stopped, timed out, download failed;
resumable), ``finished`` (result stored), ``failed`` (the service failed it; final),
``cancelled`` (cancelled on the service; final).
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic
from ..errors import BadInputError, CancelledError, FigurineError, RemoteError, ViewCheckError
from ..jobstore import Job, StepRun, now_iso
from ..images import ALL_VIEW_SLOTS, view_name
from . import registry
from .base import CANCELLED, DONE, FAILED, PollStatus, Provider, ProviderConfig, ProgressFn
from .http import DeadlineError, HttpSession, TaskFailedError, _duration
from .results import store_result, validate_mesh

RESUMABLE = ("submitted", "interrupted")
STEP = "generate"


@dataclass
class GenerateResult:
    mesh_path: Path
    format: str
    provider: str
    step_folder: Path
    task_key: str | None = None
    task_id: str | None = None
    latest_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, root: Path | None = None) -> dict:
        def rel(p):
            if p is None:
                return None
            try:
                return Path(p).relative_to(root).as_posix() if root else str(p)
            except ValueError:
                return str(p)
        return {"mesh": rel(self.mesh_path), "format": self.format, "provider": self.provider,
                "step": rel(self.step_folder), "task_key": self.task_key, "task_id": self.task_id,
                "latest": rel(self.latest_path), "warnings": self.warnings}


def _noop_progress(fraction, text) -> None:
    return None


# -- checking what we were given -------------------------------------------------------------
def check_request(provider: Provider, slots, options: dict | None) -> tuple[list[str], dict, list[str]]:
    """(slots to send, parsed options, warnings) or BadInputError."""
    caps = provider.capabilities
    given = [s for s in ALL_VIEW_SLOTS if s in set(slots)]  # the diagonals too: used, or said left out
    missing = [s for s in caps.views_required if s not in given]
    if missing:
        wanted = [view_name(m) for m in missing]  # as the CLI's options name them (--front-left)
        raise BadInputError(f"{provider.label} needs the {', '.join(wanted)} view(s)",
                            hint=f"give {' '.join('--' + w + ' FILE' for w in wanted)}, or choose another provider")
    usable = set(caps.views_required) | set(caps.views_optional)
    send = [s for s in given if s in usable]
    warnings = [f"{provider.label} does not use the {view_name(s)} view; it is left out"
                for s in given if s not in usable]
    parsed = {}
    for key, value in (options or {}).items():
        spec = caps.option(key)
        if spec is None:
            names = ", ".join(o.name for o in caps.options) or "none"
            raise BadInputError(f"{provider.label} has no option {key!r}", hint=f"its options: {names}")
        parsed[key] = spec.parse(value)
    for spec in caps.options:
        parsed.setdefault(spec.name, spec.default)
    provider.check_views(send, parsed)
    return send, parsed, warnings


def refuse_views_facing_wrong(provider: Provider, viewset, slots) -> None:
    """Raise :class:`ViewCheckError` before a paid generation when a side view it would send
    faces the wrong way: the service would build a figure from views that disagree (an
    animal's head at both ends), and the credits would be gone. Left and right both facing the
    wrong way are swapped (the naming of Hunyuan's multi-view, whose "left" image faces the
    viewer's left). Views the check is unsure of are sent: only a clear finding stops it."""
    wrong = {i.slot: i for i in getattr(viewset, "issues", []) if i.code == "wrong_facing" and i.slot in slots}
    if not wrong:
        return
    anyway = "if the views are right as they are, send them anyway (--ignore-view-check; Generate Anyway in the panel)"
    if "left" in wrong and "right" in wrong:
        raise ViewCheckError(
            f"the left and right views are swapped: the left view faces the viewer's left and the right view the "
            f"viewer's right, the other way round from what they must; nothing was sent to {provider.label}",
            hint=f"give the left image as the right view and the right image as the left view; {anyway}")
    found = "; ".join(wrong[s].message for s in slots if s in wrong)
    raise ViewCheckError(f"{found}; nothing was sent to {provider.label}", hint=anyway)


def require_network(provider: Provider) -> str | None:
    if not provider.config.online:
        raise BadInputError(f"{provider.label} needs network access, which is off",
                            hint="pass --online (CLI) or allow online access in Blender's preferences")
    key = provider.api_key()
    if provider.capabilities.needs_key and not key:
        raise BadInputError(f"no API key for {provider.label}",
                            hint=f"enter it in the add-on preferences or set {provider.key_env}")
    if key and not all(33 <= ord(c) < 127 for c in key):
        # Caught here, because the HTTP library's own error for a bad header echoes the value.
        raise BadInputError(f"the {provider.label} API key contains spaces or characters a key cannot have",
                            hint=f"paste the key again (preferences or {provider.key_env})")
    return key


def encode_views(viewset, slots: list[str]) -> dict[str, bytes]:
    from PIL import Image

    out = {}
    for slot in slots:
        buf = io.BytesIO()
        Image.fromarray(viewset.views[slot].rgb, "RGB").save(buf, format="PNG")
        out[slot] = buf.getvalue()
    return out


# -- public entry points ---------------------------------------------------------------------
def generate(job: Job, provider_name: str, viewset, *, options: dict | None = None,
             config: ProviderConfig | None = None, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None, cancel_remote: bool = True,
             ignore_view_check: bool = False) -> GenerateResult:
    """Make a mesh from a prepared view set (``core.images.prepare.ViewSet``) into ``job``.

    A remote (paid) generation is refused before anything is sent when a view is clearly wrong
    (:func:`refuse_views_facing_wrong`), unless ``ignore_view_check``."""
    config = config or ProviderConfig.from_env()
    progress = progress or _noop_progress
    cancel = cancel or threading.Event()
    provider = registry.get_provider(provider_name, config)
    slots, parsed, warnings = check_request(provider, viewset.views.keys(), options)
    if not provider.remote:
        return _run_local(job, provider, viewset, slots, parsed, warnings, progress, cancel)

    if not ignore_view_check:
        refuse_views_facing_wrong(provider, viewset, slots)
    key = require_network(provider)
    params = {"provider": provider.name, "views": slots, "options": parsed,
              "cost_hint": provider.cost_hint({s: None for s in slots}, parsed)}
    step = job.begin_step(STEP, params)
    try:
        progress(None, f"uploading {len(slots)} view(s) to {provider.label}")
        images = encode_views(viewset, slots)
        with HttpSession(provider, key=key, deadline=provider.deadline, cancel=cancel,
                         what="the new job") as http:
            submission = provider.submit(http, images, parsed)
    except BaseException as exc:
        job.fail_step(step, _message(exc), status="cancelled" if _is_cancel(exc) else "failed")
        if isinstance(exc, KeyboardInterrupt):
            raise CancelledError("cancelled before the job was submitted") from None
        raise
    # Nothing may come between the submit returning and this line: the id is what was paid for.
    task_key = step.folder.name
    job.record_task(task_key, {
        "provider": provider.name, "task_id": submission.task_id, "state": "submitted",
        "step": step.relpath(step.folder), "submitted": now_iso(), "base_url": provider.base_url,
        "resume": submission.resume,
    })
    progress(0.0, f"{provider.label} accepted the job (task {submission.task_id})")
    result = _follow(job, provider, key, task_key, step, progress, cancel, cancel_remote)
    result.warnings = warnings + result.warnings
    return result


def pending_tasks(job: Job) -> dict[str, dict]:
    """Tasks that were submitted and have no result yet (what :func:`resume` would pick up)."""
    return {k: t for k, t in job.manifest.get("tasks", {}).items() if t.get("state") in RESUMABLE}


def resume(job: Job, *, task_key: str | None = None, config: ProviderConfig | None = None,
           progress: ProgressFn | None = None, cancel: threading.Event | None = None,
           cancel_remote: bool = True) -> GenerateResult:
    """Poll a task the job already submitted and fetch its result. Never submits."""
    config = config or ProviderConfig.from_env()
    progress = progress or _noop_progress
    cancel = cancel or threading.Event()
    key_, task = _pick_task(job, task_key)
    provider = registry.get_provider(task["provider"], _config_for_task(config, task))
    key = require_network(provider)
    old = _step_for(job, task)
    if old is not None and job.steps[old.index - 1]["status"] == "running":
        # The process that owned it died (crash, SIGKILL): close it as interrupted.
        job.fail_step(old, "interrupted; resumed in a later step", status="interrupted")
    step = job.begin_step(STEP, {"provider": provider.name, "resume_of": key_, "task_id": task["task_id"]})
    job.record_task(key_, {"state": "submitted", "step": step.relpath(step.folder), "resumed": now_iso()})
    progress(None, f"resuming {provider.label} task {task['task_id']}")
    return _follow(job, provider, key, key_, step, progress, cancel, cancel_remote)


def account_balance(provider_name: str, *, config: ProviderConfig | None = None, views=("front",),
                    options: dict | None = None) -> dict:
    """The account's credits at a provider and what one job would cost, before paying.

    ``{"provider", "balance", "cost", "enough"}``; ``balance`` is None where the service has no
    balance endpoint, ``cost`` None where its prices are not known here, ``enough`` None when
    either is unknown. Needs network access and the key, like a generation."""
    config = config or ProviderConfig.from_env()
    provider = registry.get_provider(provider_name, config)
    slots, parsed, _ = check_request(provider, views, options)
    cost = provider.cost_credits({s: None for s in slots}, parsed)
    balance = None
    if provider.remote and provider.capabilities.has_balance:
        key = require_network(provider)
        with HttpSession(provider, key=key, deadline=min(30.0, provider.deadline), what="the balance") as http:
            balance = provider.balance(http)
    enough = None if balance is None or cost is None else balance >= cost
    return {"provider": provider.name, "balance": balance, "cost": cost, "enough": enough}


def cancel_task(job: Job, *, task_key: str | None = None, config: ProviderConfig | None = None) -> bool:
    """Ask the service to cancel a pending task. True if it agreed; False = local stop only."""
    config = config or ProviderConfig.from_env()
    key_, task = _pick_task(job, task_key)
    provider = registry.get_provider(task["provider"], _config_for_task(config, task))
    key = require_network(provider)
    with HttpSession(provider, key=key, deadline=min(60.0, provider.deadline), what="the cancel") as http:
        accepted = provider.cancel(http, task)
    job.record_task(key_, {"state": "cancelled" if accepted else "interrupted",
                           "last_error": "cancelled on the service" if accepted else "stopped locally; the service has no cancel"})
    return accepted


# -- internals -------------------------------------------------------------------------------
def _pick_task(job: Job, task_key: str | None) -> tuple[str, dict]:
    tasks = job.manifest.get("tasks", {})
    if task_key is not None:
        if task_key not in tasks:
            raise BadInputError(f"this job has no task {task_key!r}", hint=f"known tasks: {', '.join(tasks) or 'none'}")
        task = tasks[task_key]
        if task.get("state") not in RESUMABLE:
            raise BadInputError(f"task {task_key} is {task.get('state')}; there is nothing to resume",
                                hint="generate again for a new model")
        return task_key, task
    pending = pending_tasks(job)
    if not pending:
        done = [k for k, t in tasks.items() if t.get("state") == "finished"]
        raise BadInputError(f"{job.root} has no unfinished generation task" + (" (its model is already downloaded)" if done else ""),
                            hint="run figurine generate to start one")
    key_ = max(pending, key=lambda k: pending[k].get("submitted", ""))
    return key_, pending[key_]


def _config_for_task(config: ProviderConfig, task: dict) -> ProviderConfig:
    if config.base_url or not task.get("base_url"):
        return config
    # The task lives on the server that accepted it; poll that one unless told otherwise.
    import copy

    clone = copy.copy(config)
    clone.base_url = task["base_url"]
    return clone


def _step_for(job: Job, task: dict) -> StepRun | None:
    for entry in job.steps:
        if entry.get("folder") == task.get("step"):
            return StepRun(job, entry["index"], entry["name"], job.root / entry["folder"])
    return None


def _is_cancel(exc: BaseException) -> bool:
    return isinstance(exc, (CancelledError, KeyboardInterrupt))


def _message(exc: BaseException) -> str:
    if isinstance(exc, FigurineError):
        return exc.one_line()
    if isinstance(exc, KeyboardInterrupt):
        return "cancelled"
    return f"internal error: {type(exc).__name__}"


def _follow(job: Job, provider: Provider, key: str | None, task_key: str, step: StepRun,
            progress: ProgressFn, cancel: threading.Event, cancel_remote: bool) -> GenerateResult:
    task = job.manifest["tasks"][task_key]
    label = provider.label
    try:
        with HttpSession(provider, key=key, deadline=provider.deadline, cancel=cancel,
                         what=f"task {task['task_id']}") as http:
            status = _poll_until_done(job, provider, http, task_key, progress)
            progress(None, f"downloading the model from {label}")
            mesh, fmt, size = _fetch(provider, http, status, step)
    except TaskFailedError as exc:
        job.record_task(task_key, {"state": "failed", "last_error": exc.one_line()})
        job.fail_step(step, exc.one_line())
        raise
    except (CancelledError, KeyboardInterrupt) as exc:
        remote = False
        # Ctrl-C in the CLI only stops waiting; an explicit cancel also asks the service.
        if cancel_remote and isinstance(exc, CancelledError) and provider.capabilities.remote_cancel:
            remote = _try_remote_cancel(provider, key, job.manifest["tasks"][task_key])
        state = "cancelled" if remote else "interrupted"
        note = "cancelled on the service" if remote else "stopped locally; the task may still finish remotely"
        job.record_task(task_key, {"state": state, "last_error": note})
        job.fail_step(step, note, status="cancelled")
        hint = "" if remote else f"run `figurine resume {job.root}` to pick it up again"
        raise CancelledError(f"cancelled ({note})", hint=hint) from None
    except DeadlineError:
        msg = f"{label} has not finished task {task['task_id']} after {_duration(provider.deadline)}"
        job.record_task(task_key, {"state": "interrupted", "last_error": msg})
        job.fail_step(step, msg, status="interrupted")
        raise RemoteError(msg, hint=f"the task is kept; run `figurine resume {job.root}` later") from None
    except BaseException as exc:
        msg = _message(exc)
        job.record_task(task_key, {"state": "interrupted", "last_error": msg})
        job.fail_step(step, msg, status="interrupted")
        if isinstance(exc, FigurineError) and not isinstance(exc, CancelledError):
            if "resume" not in exc.hint:
                exc.hint = (exc.hint + "; " if exc.hint else "") + f"the task is kept: `figurine resume {job.root}`"
                exc.args = (exc.one_line(),)
        raise
    job.finish_step(step, outputs={"mesh": mesh}, result={"format": fmt, "bytes": size, "task_id": task["task_id"]})
    latest = None
    if fmt != "gltf":  # a .gltf may need its neighbours (.bin, textures): keep it in its folder
        latest = job.promote(mesh, f"generated.{fmt}")
    job.record_task(task_key, {"state": "finished", "result": step.relpath(mesh), "last_error": None})
    progress(1.0, f"{label} model stored ({fmt.upper()}, {size // 1024} KB)")
    return GenerateResult(mesh, fmt, provider.name, step.folder, task_key, task["task_id"], latest)


def _try_remote_cancel(provider: Provider, key: str | None, task: dict) -> bool:
    try:
        with HttpSession(provider, key=key, deadline=min(30.0, provider.deadline), what="the cancel") as http:
            return bool(provider.cancel(http, task))
    except FigurineError:
        return False  # best effort: the local stop already happened


def _poll_until_done(job: Job, provider: Provider, http: HttpSession, task_key: str,
                     progress: ProgressFn) -> PollStatus:
    task = job.manifest["tasks"][task_key]
    done_since = None
    last_text = None
    first = True
    while True:
        if not first:
            http.wait(provider.poll_interval)
        first = False
        status = provider.poll(http, task)
        if status.text != last_text:
            last_text = status.text
            job.record_task(task_key, {"remote_status": status.text})
        progress(status.fraction, status.text)
        if status.state == FAILED:
            reason = status.failure or "no reason given"
            raise TaskFailedError(f"{provider.label} could not make the model: {http.scrub(reason)}",
                                  hint="change the images or options and generate again (failed jobs are usually refunded)")
        if status.state == CANCELLED:
            raise TaskFailedError(f"the task was cancelled on {provider.label} ({status.text})",
                                  hint="generate again for a new model")
        if status.state == DONE:
            if status.has_result:
                return status
            # Some services report success a few seconds before the file link exists.
            done_since = done_since if done_since is not None else time.monotonic()
            if time.monotonic() - done_since > provider.config.late_result_grace:
                raise RemoteError(f"{provider.label} finished the task but gives no result link",
                                  hint=f"the task is kept; run `figurine resume {job.root}` later")


def _fetch(provider: Provider, http: HttpSession, status: PollStatus, step: StepRun) -> tuple[Path, str, int]:
    cfg = provider.config
    raw = step.path("download.bin")
    if status.result_bytes is not None:
        if len(status.result_bytes) > cfg.max_download_bytes:
            raise RemoteError(f"the result from {provider.label} is over the "
                              f"{cfg.max_download_bytes // (1 << 20)} MB limit",
                              hint="ask for fewer faces, or raise the download limit")
        atomic.write_bytes(raw, status.result_bytes)
        size = len(status.result_bytes)
    else:
        assert status.result_url is not None  # has_result guaranteed one of the two
        with atomic.atomic_path(raw) as tmp:
            size = http.download(status.result_url, tmp, max_bytes=cfg.max_download_bytes,
                                 auth=getattr(provider, "result_needs_auth", False))
            if size == 0:
                raise RemoteError(f"the result from {provider.label} is empty", hint="run resume to try again")
    mesh, fmt = store_result(raw, step.folder, label=provider.label, max_bytes=cfg.max_download_bytes,
                             max_entries=cfg.max_zip_entries)
    return mesh, fmt, size


def _run_local(job: Job, provider: Provider, viewset, slots, options, warnings, progress, cancel) -> GenerateResult:
    step = job.begin_step(STEP, {"provider": provider.name, "views": slots, "options": options})
    try:
        mesh = provider.run(viewset, slots, options, step.folder, progress=progress, cancel=cancel)
        validate_mesh(mesh, "stl", label=provider.label)
    except BaseException as exc:
        job.fail_step(step, _message(exc), status="cancelled" if _is_cancel(exc) else "failed")
        if isinstance(exc, KeyboardInterrupt):
            raise CancelledError("cancelled") from None
        raise
    from ..reconstruct.ambiguity import ambiguity_warnings

    # Where front and side cannot place the parts (phantom legs): said now, and again by the review.
    unsure = ambiguity_warnings(type(viewset)({s: viewset.views[s] for s in slots}), str(options.get("legs", "every")))
    job.finish_step(step, outputs={"mesh": mesh},
                    result={"format": "stl", "bytes": mesh.stat().st_size, "ambiguities": unsure})
    latest = job.promote(mesh, "generated.stl")
    progress(1.0, "local reconstruction stored (STL)")
    return GenerateResult(mesh, "stl", provider.name, step.folder, None, None, latest, warnings + unsure)
