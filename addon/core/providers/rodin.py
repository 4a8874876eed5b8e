# SPDX-License-Identifier: GPL-3.0-or-later
"""Hyper3D Rodin (``/api/v2``): images as a multipart form, status by subscription key.

The submit answer carries the task ``uuid`` and ``jobs.subscription_key``; the status call
(``POST /status`` with that key) lists the task's jobs, and the task is finished when every job
is ``Done``. The files are then listed by ``POST /download`` with the task uuid. Rodin has no
cancel. A failed job's reason is not documented: ``error`` or ``message`` on the job, when a
service sends one, is shown (*unconfirmed*).
"""

from __future__ import annotations

from .base import DONE, FAILED, WAITING, Capabilities, OptionSpec, PollStatus, Provider, Submission
from .http import HttpSession, RemoteError

# Multi-view images of one object go in with condition_mode "concat"; the first image is the
# main view, so the front leads.
VIEW_ORDER = ("front", "back", "left", "right")
MESH_SUFFIXES = (".glb", ".fbx", ".obj", ".stl", ".zip")


class Rodin(Provider):
    name = "rodin"
    label = "Hyper3D Rodin"
    key_env = "RODIN_API_KEY"
    base_url_env = "FIGURINE_RODIN_BASE_URL"
    default_base_url = "https://hyperhuman.deemos.com/api/v2"
    key_help = "hyper3d.ai (API keys)"
    default_poll_interval = 5.0
    default_deadline = 20 * 60.0
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("back", "left", "right"),
        output_formats=("glb", "fbx", "obj", "stl"),
        options=(
            OptionSpec("tier", "choice", "Regular", "Rodin model tier", choices=("Regular", "Detail", "Smooth",
                                                                                 "Sketch", "Gen-2")),
            OptionSpec("quality", "choice", "medium", "mesh density", choices=("high", "medium", "low", "extra-low")),
            OptionSpec("material", "choice", "PBR", "PBR or Shaded textures", choices=("PBR", "Shaded")),
            OptionSpec("geometry_file_format", "choice", "glb", "file format of the model",
                       choices=("glb", "fbx", "obj", "stl")),
        ),
        typical_minutes="1–3",
    )

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        images = [("images", (f"{slot}.png", views[slot], "image/png")) for slot in VIEW_ORDER if slot in views]
        fields = [(name, (None, str(options[name]))) for name in ("tier", "quality", "material",
                                                                   "geometry_file_format")]
        if len(images) > 1:
            fields.append(("condition_mode", (None, "concat")))
        answer = http.request_json("POST", f"{self.base_url}/rodin", files=images + fields, idempotent=False)
        if isinstance(answer, dict) and answer.get("error"):
            raise RemoteError(f"{self.label} refused the request: {answer['error']}",
                              hint="check the images and options, and your credits on hyper3d.ai")
        jobs = answer.get("jobs") if isinstance(answer, dict) else None
        task_id = answer.get("uuid") if isinstance(answer, dict) else None
        key = jobs.get("subscription_key") if isinstance(jobs, dict) else None
        if not task_id or not key:
            raise RemoteError(f"{self.label} accepted the request but returned no task id",
                              hint="check your tasks on hyper3d.ai before submitting again")
        return Submission(str(task_id), {"subscription_key": str(key),
                                         "format": str(options["geometry_file_format"])})

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        resume = task.get("resume") or {}
        answer = http.request_json("POST", f"{self.base_url}/status",
                                   json_body={"subscription_key": resume.get("subscription_key")})
        jobs = answer.get("jobs") if isinstance(answer, dict) else None
        if not isinstance(jobs, list) or not jobs:
            return PollStatus(WAITING, None, "waiting")
        states = [str(j.get("status", "")).lower() if isinstance(j, dict) else "" for j in jobs]
        if "failed" in states:
            failed = jobs[states.index("failed")]
            return PollStatus(FAILED, None, "failed", failure=str(failed.get("error") or failed.get("message") or ""))
        done = states.count("done")
        if done < len(states):
            text = "queued" if all(s == "waiting" for s in states) else f"generating ({done} of {len(states)} parts)"
            return PollStatus(WAITING, done / len(states), text)
        listing = http.request_json("POST", f"{self.base_url}/download", json_body={"task_uuid": task["task_id"]})
        url = _mesh_url(listing, resume.get("format", "glb"))
        return PollStatus(DONE, 1.0, "finished" if url else "finished, waiting for the file link", result_url=url)


def _mesh_url(listing, wanted: str) -> str | None:
    files = listing.get("list") if isinstance(listing, dict) else None
    if not isinstance(files, list):
        return None
    named = [(str(f.get("name", "")).lower(), f.get("url")) for f in files if isinstance(f, dict)]
    named = [(name, url) for name, url in named if isinstance(url, str) and url]
    for suffixes in ((f".{wanted}",), MESH_SUFFIXES):  # the asked format first, then any model
        for name, url in named:
            if name.endswith(suffixes):
                return url
    return None


PROVIDER = Rodin
