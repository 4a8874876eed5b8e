# SPDX-License-Identifier: GPL-3.0-or-later
"""Meshy ``multi-image-to-3d`` (one to four images, sent as data URIs).

Meshy's API has no cancel for a running task (its DELETE removes a task, without a refund),
so cancel is local only.
"""

from __future__ import annotations

from .base import (CANCELLED, DONE, FAILED, WAITING, Capabilities, OptionSpec, PollStatus, Provider,
                   Submission, data_uri, progress_fraction)
from .http import HttpSession, RemoteError


class Meshy(Provider):
    name = "meshy"
    label = "Meshy"
    key_env = "MESHY_API_KEY"
    base_url_env = "FIGURINE_MESHY_BASE_URL"
    default_base_url = "https://api.meshy.ai/openapi/v1"
    key_help = "meshy.ai (API settings)"
    default_poll_interval = 10.0
    default_deadline = 20 * 60.0
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("back", "left", "right"),
        output_formats=("glb", "fbx", "obj"),
        options=(
            OptionSpec("should_texture", "bool", False, "textured model (printing does not need it)"),
            OptionSpec("target_polycount", "int", 30_000, "target polygons", minimum=100, maximum=300_000),
        ),
        typical_minutes="2–6",
    )

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        order = [s for s in ("front", "left", "back", "right") if s in views]
        body = {"image_urls": [data_uri(views[s]) for s in order],
                "should_texture": bool(options["should_texture"]),
                "target_polycount": int(options["target_polycount"])}
        answer = http.request_json("POST", f"{self.base_url}/multi-image-to-3d", json_body=body, idempotent=False)
        task_id = answer.get("result") if isinstance(answer, dict) else None
        if not task_id:
            raise RemoteError(f"{self.label} accepted the request but returned no task id",
                              hint="check your tasks on meshy.ai before submitting again")
        return Submission(str(task_id))

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        answer = http.request_json("GET", f"{self.base_url}/multi-image-to-3d/{task['task_id']}")
        if not isinstance(answer, dict):
            raise RemoteError(f"{self.label} sent an unexpected status answer", hint="try resume later")
        status = str(answer.get("status", "")).upper()
        fraction = progress_fraction(answer.get("progress"))
        if status == "SUCCEEDED":
            urls = answer.get("model_urls") or {}
            url = next((urls[f] for f in ("glb", "obj", "fbx") if isinstance(urls, dict) and urls.get(f)), None)
            return PollStatus(DONE, 1.0, "finished" if url else "finished, waiting for the file link", result_url=url)
        if status == "FAILED":
            err = answer.get("task_error")
            reason = err.get("message") if isinstance(err, dict) else err
            return PollStatus(FAILED, fraction, "failed", failure=str(reason or ""))
        if status in ("CANCELED", "CANCELLED"):
            return PollStatus(CANCELLED, fraction, "cancelled")
        text = {"PENDING": "queued", "IN_PROGRESS": "generating"}.get(status, status.lower() or "waiting")
        if fraction is not None and status == "IN_PROGRESS":
            text = f"generating {fraction * 100:.0f}%"
        return PollStatus(WAITING, fraction, text)


PROVIDER = Meshy
