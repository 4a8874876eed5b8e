# SPDX-License-Identifier: GPL-3.0-or-later
"""Tripo ``multiview_to_model``.

The task takes exactly four file slots in the order front, left, back, right (``{}`` for a
missing view, front mandatory); each file is ``{type, file_token}``. The tokens come from
Tripo's upload endpoint (``POST /upload``, multipart ``file`` → ``data.image_token``), which
is not in shared/docs/api-notes.md: it is taken from Tripo's public API reference. Uploads
cost nothing, so they are retried like any idempotent request; only the task is paid.
Tripo has no cancel endpoint we know of: cancel is local only.
Which side Tripo calls "left" is *unconfirmed*; our names are passed through unchanged.
"""

from __future__ import annotations

from .base import (CANCELLED, DONE, FAILED, WAITING, Capabilities, OptionSpec, PollStatus, Provider,
                   Submission, progress_fraction)
from .http import HttpSession, RemoteError

SLOT_ORDER = ("front", "left", "back", "right")


class Tripo(Provider):
    name = "tripo"
    label = "Tripo"
    key_env = "TRIPO_API_KEY"
    base_url_env = "FIGURINE_TRIPO_BASE_URL"
    default_base_url = "https://api.tripo3d.ai/v2/openapi"
    key_help = "platform.tripo3d.ai"
    default_poll_interval = 10.0
    default_deadline = 30 * 60.0  # jobs can take ~15 minutes
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("left", "back", "right"),
        output_formats=("glb",),
        options=(
            OptionSpec("texture", "bool", False, "textured model (printing does not need it)"),
            OptionSpec("face_limit", "int", 0, "maximum faces; 0 = Tripo decides", minimum=0, maximum=2_000_000),
        ),
        typical_minutes="2–15",
    )

    def _check(self, answer, what: str) -> dict:
        if not isinstance(answer, dict) or answer.get("code") not in (0, None) or not isinstance(answer.get("data"), dict):
            detail = answer.get("message") if isinstance(answer, dict) else None
            raise RemoteError(f"{self.label} refused {what}{': ' + str(detail)[:200] if detail else ''}",
                              hint="check the images and options")
        return answer["data"]

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        files: list[dict] = []
        for slot in SLOT_ORDER:
            if slot not in views:
                files.append({})
                continue
            data = self._check(http.request_json("POST", f"{self.base_url}/upload",
                                                 files={"file": (f"{slot}.png", views[slot], "image/png")}),
                               f"the {slot} image upload")
            ref = data.get("image_token") or data.get("file_token")
            if not ref:
                raise RemoteError(f"{self.label} did not return a reference for the {slot} image",
                                  hint="try again later")
            files.append({"type": "png", "file_token": ref})
        body = {"type": "multiview_to_model", "files": files, "texture": bool(options["texture"])}
        if options["face_limit"]:
            body["face_limit"] = int(options["face_limit"])
        answer = http.request_json("POST", f"{self.base_url}/task", json_body=body, idempotent=False)
        task_id = self._check(answer, "the task").get("task_id")
        if not task_id:
            raise RemoteError(f"{self.label} accepted the request but returned no task id",
                              hint="check your tasks on tripo3d.ai before submitting again")
        return Submission(str(task_id))

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        data = self._check(http.request_json("GET", f"{self.base_url}/task/{task['task_id']}"), "the status request")
        status = str(data.get("status", "")).lower()
        fraction = progress_fraction(data.get("progress"))
        if status == "success":
            output = data.get("output") or {}
            url = None
            for key in ("pbr_model", "model", "base_model"):
                item = output.get(key) if isinstance(output, dict) else None
                url = item.get("url") if isinstance(item, dict) else item
                if isinstance(url, str) and url:
                    break
                url = None
            return PollStatus(DONE, 1.0, "finished" if url else "finished, waiting for the file link", result_url=url)
        if status in ("failed", "banned", "expired"):
            reason = data.get("error_msg") or data.get("message") or data.get("reason") or ""
            what = {"banned": "the images were refused by moderation", "expired": "the task expired"}.get(status, "")
            return PollStatus(FAILED, fraction, status, failure="; ".join(x for x in (what, str(reason)) if x))
        if status == "cancelled":
            return PollStatus(CANCELLED, fraction, "cancelled")
        text = {"queued": "queued", "running": "generating"}.get(status, status or "waiting")
        if fraction is not None and status == "running":
            text = f"generating {fraction * 100:.0f}%"
        return PollStatus(WAITING, fraction, text)


PROVIDER = Tripo
