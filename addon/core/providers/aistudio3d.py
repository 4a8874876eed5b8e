# SPDX-License-Identifier: GPL-3.0-or-later
"""3D AI Studio: Tencent Hunyuan 3.0 / 3.1 Pro with multi-view input (the default provider).

Wire facts: shared/docs/api-notes.md. Unconfirmed points are accepted in every listed form:
the result URL is ``results[].asset`` per three clients and ``results[].asset_url`` per the
docs; the error body shape is unknown (``detail`` or ``message``, see http.error_detail).
"""

from __future__ import annotations

from .base import (DONE, FAILED, HUNYUAN_VIEW_NAMES, WAITING, Capabilities, OptionSpec, PollStatus,
                   Provider, Submission, data_uri, progress_fraction)
from .http import HttpSession, RemoteError

# Which result to download when several come back: the plain model first (the scaled one is
# resized by the service; a printing workflow scales itself), then an archive holding it.
_ASSET_PREFERENCE = ("3D_MODEL", "ARCHIVE", "SCALED_3D_MODEL")


class AIStudio3D(Provider):
    name = "3daistudio"
    label = "3D AI Studio"
    key_env = "FIGURINE_3DAISTUDIO_KEY"
    base_url_env = "FIGURINE_3DAISTUDIO_BASE_URL"
    default_base_url = "https://api.3daistudio.com"
    key_help = "your 3D AI Studio account (3daistudio.com)"
    default_poll_interval = 10.0  # the service's own advice
    default_deadline = 20 * 60.0  # jobs take 3–8 minutes; leave room for a queue
    capabilities = Capabilities(
        views_required=("front",),
        views_optional=("back", "left", "right"),
        output_formats=("glb", "zip"),
        options=(
            OptionSpec("model", "choice", "3.1", "Hunyuan version (3.1 is newer)", choices=("3.0", "3.1")),
            OptionSpec("face_count", "int", 500_000, "target faces of the generated mesh",
                       minimum=40_000, maximum=1_500_000),
            OptionSpec("enable_pbr", "bool", False, "PBR textures (+20 credits; printing does not need them)"),
            OptionSpec("generate_type", "choice", "Normal", "Normal, LowPoly, Geometry (no texture) or Sketch",
                       choices=("Normal", "LowPoly", "Geometry", "Sketch")),
        ),
        typical_minutes="3–8",
        has_balance=True,
    )

    def cost_credits(self, views: dict, options: dict) -> float:
        return 60.0 + (20 if options.get("enable_pbr") else 0) + (20 if len(views) > 1 else 0)

    def cost_hint(self, views: dict, options: dict) -> str:
        return f"about {self.cost_credits(views, options):.0f} credits (refunded if the job fails)"

    def balance(self, http: HttpSession) -> float:
        # The wallet path is *unconfirmed* (api-notes); the answer is {"balance": "150.00"}.
        answer = http.request_json("GET", f"{self.base_url}/account/user/wallet/")
        value = answer.get("balance") if isinstance(answer, dict) else None
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise RemoteError(f"{self.label} sent no readable balance",
                              hint="see your credits on 3daistudio.com") from None

    def submit(self, http: HttpSession, views: dict[str, bytes], options: dict) -> Submission:
        body = {
            "model": options["model"],
            "image": data_uri(views["front"]),
            "multi_view_images": [{"view_type": HUNYUAN_VIEW_NAMES[slot], "view_image": data_uri(png)}
                                  for slot, png in views.items()],
            "enable_pbr": bool(options["enable_pbr"]),
            "face_count": int(options["face_count"]),
            "generate_type": options["generate_type"],
        }
        answer = http.request_json("POST", f"{self.base_url}/v1/3d-models/tencent/generate/pro/",
                                   json_body=body, idempotent=False)
        task_id = answer.get("task_id") if isinstance(answer, dict) else None
        if not task_id:
            # The job may exist even so; say how to check rather than submitting again.
            raise RemoteError(f"{self.label} accepted the request but returned no task id",
                              hint="check your jobs on 3daistudio.com before submitting again")
        return Submission(str(task_id))

    def poll(self, http: HttpSession, task: dict) -> PollStatus:
        answer = http.request_json("GET", f"{self.base_url}/v1/generation-request/{task['task_id']}/status/")
        if not isinstance(answer, dict):
            raise RemoteError(f"{self.label} sent an unexpected status answer", hint="try resume later")
        status = str(answer.get("status", "")).upper()
        fraction = progress_fraction(answer.get("progress"))
        if status == "FAILED":
            return PollStatus(FAILED, fraction, "failed", failure=str(answer.get("failure_reason") or ""))
        if status == "FINISHED":
            url = _pick_result(answer.get("results"))
            text = "finished" if url else "finished, waiting for the file link"
            return PollStatus(DONE, 1.0, text, result_url=url)
        text = {"PENDING": "queued", "IN_PROGRESS": "generating"}.get(status, status.lower() or "waiting")
        if fraction is not None and status == "IN_PROGRESS":
            text = f"generating {fraction * 100:.0f}%"
        return PollStatus(WAITING, fraction, text)


def _pick_result(results) -> str | None:
    if not isinstance(results, list):
        return None
    candidates = []
    for item in results:
        if not isinstance(item, dict):
            continue
        url = item.get("asset") or item.get("asset_url")  # both spellings are in use
        kind = str(item.get("asset_type") or "3D_MODEL").upper()
        if isinstance(url, str) and url and kind != "IMAGE":
            rank = _ASSET_PREFERENCE.index(kind) if kind in _ASSET_PREFERENCE else len(_ASSET_PREFERENCE)
            candidates.append((rank, url))
    return min(candidates)[1] if candidates else None


PROVIDER = AIStudio3D
