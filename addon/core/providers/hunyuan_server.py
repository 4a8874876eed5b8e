# SPDX-License-Identifier: GPL-3.0-or-later
"""A self-hosted Tencent Hunyuan3D-2 API server (``api_server.py`` of the open-source repo).

Its quirks drive this module: every error is an HTTP 404 with ``{"text", "error_code": 1}``;
the async ``/send`` + ``/status/{uid}`` pair reports ``processing`` forever for a job that
died, so only our deadline ends the wait; the finished mesh comes back inline as base64.
Single image, no key; a home server usually speaks plain http on the LAN, which is allowed
here because no key or paid job is at stake.
"""

from __future__ import annotations

import base64
import binascii

from .base import DONE, WAITING, Capabilities, OptionSpec, PollStatus, Provider, Submission
from .http import HttpSession, RemoteError


class HunyuanServer(Provider):
    name = "hunyuan-server"
    label = "Hunyuan3D-2 server"
    base_url_env = "FIGURINE_HUNYUAN_SERVER_URL"
    default_base_url = "http://127.0.0.1:8081"
    plain_http_base_ok = True
    default_poll_interval = 5.0
    default_deadline = 15 * 60.0
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=(),
        output_formats=("glb",),
        options=(
            OptionSpec("seed", "int", 1234, "random seed", minimum=0, maximum=2**31 - 1),
            OptionSpec("octree_resolution", "int", 128, "shape detail (higher = finer, slower)",
                       minimum=64, maximum=512),
            OptionSpec("num_inference_steps", "int", 5, "diffusion steps", minimum=1, maximum=100),
            OptionSpec("guidance_scale", "float", 5.0, "how closely to follow the image", minimum=0.0, maximum=20.0),
            OptionSpec("texture", "bool", False, "paint a texture (slow; printing does not need it)"),
            OptionSpec("face_count", "int", 40_000, "faces after reduction", minimum=1_000, maximum=2_000_000),
        ),
        needs_key=False,
        typical_minutes="1–5 (depends on the GPU)",
    )

    def cost_hint(self, views: dict, options: dict) -> str:
        return "free (your own GPU)"

    def not_found(self, status: int, body, text: str) -> str | None:
        if isinstance(body, dict) and "error_code" in body:
            return (f"the {self.label} failed: {str(body.get('text') or 'no reason given')[:200]} "
                    "— see the server's console")
        return (f"{self.base_url} does not look like a {self.label} (HTTP 404) "
                "— check the server URL in the preferences or FIGURINE_HUNYUAN_SERVER_URL")

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        body = {"image": base64.b64encode(views["front"]).decode("ascii"), "type": "glb",
                **{k: options[k] for k in ("seed", "octree_resolution", "num_inference_steps",
                                           "guidance_scale", "texture", "face_count")}}
        answer = http.request_json("POST", f"{self.base_url}/send", json_body=body, auth=False, idempotent=False)
        uid = answer.get("uid") if isinstance(answer, dict) else None
        if not uid:
            raise RemoteError(f"the {self.label} returned no job id", hint="check the server's console")
        return Submission(str(uid))

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        answer = http.request_json("GET", f"{self.base_url}/status/{task['task_id']}", auth=False)
        status = str(answer.get("status", "")).lower() if isinstance(answer, dict) else ""
        if status == "completed":
            encoded = answer.get("model_base64")
            if not encoded:
                return PollStatus(DONE, 1.0, "finished, waiting for the model")
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise RemoteError(f"the {self.label} sent a damaged model (bad base64)",
                                  hint="run resume to fetch it again") from None
            return PollStatus(DONE, 1.0, "finished", result_bytes=data)
        # "processing" is also what a crashed job says forever; the lifecycle's deadline ends it.
        return PollStatus(WAITING, None, "generating" if status == "processing" else (status or "waiting"))


PROVIDER = HunyuanServer
