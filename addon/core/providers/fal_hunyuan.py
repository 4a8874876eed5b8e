# SPDX-License-Identifier: GPL-3.0-or-later
"""fal.ai hosted Hunyuan3D through fal's queue API.

The submit answer carries ``status_url``, ``response_url`` and ``cancel_url``; we store and use
exactly those (fal's status/result paths drop the app's sub-path, so hand-built URLs break).
Two apps: ``fal-ai/hunyuan3d/v2/multi-view`` (front, back and left all required) and
``fal-ai/hunyuan3d-v3/image-to-3d`` (front plus optional back/left/right). The v3 result
field is *unconfirmed* (``model_glb`` or ``model_urls``), so every listed shape is accepted.
"""

from __future__ import annotations

from ..errors import BadInputError
from .base import (CANCELLED, DONE, FAILED, HUNYUAN_VIEW_NAMES, WAITING, Capabilities, OptionSpec,
                   PollStatus, Provider, Submission, data_uri)
from .http import HttpSession, HttpStatusError, RemoteError

APPS = {"v3": "fal-ai/hunyuan3d-v3/image-to-3d", "v2-multi-view": "fal-ai/hunyuan3d/v2/multi-view"}


class FalHunyuan(Provider):
    name = "fal"
    label = "fal.ai Hunyuan3D"
    key_env = "FAL_KEY"
    base_url_env = "FIGURINE_FAL_BASE_URL"
    default_base_url = "https://queue.fal.run"
    key_help = "fal.ai/dashboard"
    default_poll_interval = 5.0
    default_deadline = 20 * 60.0
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("back", "left", "right"),
        output_formats=("glb",),
        options=(
            OptionSpec("model", "choice", "v3", "v3 (front + optional views) or v2-multi-view "
                       "(needs front, back and the Hunyuan 'left' = our right view)",
                       choices=tuple(APPS)),
            OptionSpec("face_count", "int", 500_000, "target faces (v3 only)", minimum=40_000, maximum=1_500_000),
            OptionSpec("enable_pbr", "bool", False, "PBR textures (v3 only)"),
            OptionSpec("generate_type", "choice", "Normal", "Normal, LowPoly or Geometry (v3 only)",
                       choices=("Normal", "LowPoly", "Geometry")),
        ),
        remote_cancel=True,
        typical_minutes="1–5",
    )

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Key {key}"}

    def check_views(self, slots: list[str], options: dict) -> None:
        if options.get("model") == "v2-multi-view":
            need = [s for s in ("front", "back", "right") if s not in slots]
            if need:
                raise BadInputError(f"fal.ai v2 multi-view needs the {', '.join(need)} view(s)",
                                    hint="give them, or use --option model=v3")

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        model = options["model"]
        named = {HUNYUAN_VIEW_NAMES[slot]: data_uri(png) for slot, png in views.items()}
        body: dict[str, object]
        if model == "v2-multi-view":
            body = {"front_image_url": named["front"], "back_image_url": named["back"],
                    "left_image_url": named["left"]}
        else:
            body = {"input_image_url": named["front"], "enable_pbr": bool(options["enable_pbr"]),
                    "face_count": int(options["face_count"]), "generate_type": options["generate_type"]}
            for side in ("back", "left", "right"):
                if side in named:
                    body[f"{side}_image_url"] = named[side]
        answer = http.request_json("POST", f"{self.base_url}/{APPS[model]}", json_body=body, idempotent=False)
        if not isinstance(answer, dict) or not answer.get("request_id"):
            raise RemoteError(f"{self.label} accepted the request but returned no request id",
                              hint="check your requests on fal.ai before submitting again")
        resume = {k: answer.get(k) for k in ("status_url", "response_url", "cancel_url")}
        if not resume["status_url"] or not resume["response_url"]:
            raise RemoteError(f"{self.label} returned no status address for request {answer['request_id']}",
                              hint="check your requests on fal.ai before submitting again")
        return Submission(str(answer["request_id"]), resume)

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        urls = task.get("resume") or {}
        answer = http.request_json("GET", urls["status_url"])
        status = str(answer.get("status", "")).upper() if isinstance(answer, dict) else ""
        if status == "IN_QUEUE":
            pos = answer.get("queue_position")
            return PollStatus(WAITING, None, f"queued (position {pos})" if pos is not None else "queued")
        if status == "IN_PROGRESS":
            return PollStatus(WAITING, None, "generating")
        if status in ("FAILED", "ERROR"):  # not documented; treat as the failure it says it is
            return PollStatus(FAILED, None, "failed", failure=str(answer.get("error") or ""))
        if status == "CANCELLED":
            return PollStatus(CANCELLED, None, "cancelled")
        if status != "COMPLETED":
            return PollStatus(WAITING, None, status.lower() or "waiting")
        if answer.get("error"):
            return PollStatus(FAILED, None, "failed", failure=str(answer["error"]))
        try:
            result = http.request_json("GET", urls["response_url"])
        except HttpStatusError as exc:
            if exc.status in (400, 422):  # the app ran and rejected the input: final
                return PollStatus(FAILED, None, "failed", failure=exc.message)
            raise
        url = _mesh_url(result)
        return PollStatus(DONE, 1.0, "finished" if url else "finished, waiting for the file link", result_url=url)

    def cancel(self, http: HttpSession, task: dict) -> bool:
        url = (task.get("resume") or {}).get("cancel_url")
        if not url:
            return False
        try:
            http.request_json("PUT", url, expect_json=False)
        except HttpStatusError as exc:
            if exc.status == 400:  # already completed: nothing left to cancel
                return False
            raise
        return True


def _mesh_url(result) -> str | None:
    if not isinstance(result, dict):
        return None
    for key in ("model_glb", "model_mesh"):
        item = result.get(key)
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            return item["url"]
        if isinstance(item, str) and item:
            return item
    urls = result.get("model_urls")
    if isinstance(urls, dict):
        for fmt in ("glb", "obj", "fbx"):
            item = urls.get(fmt)
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                return item["url"]
            if isinstance(item, str) and item:
                return item
    return None


PROVIDER = FalHunyuan
