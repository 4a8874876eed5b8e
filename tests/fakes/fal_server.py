# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake fal.ai queue for the Hunyuan3D apps.

Like the real queue, the status/result/cancel addresses drop the app's sub-path
(``fal-ai/hunyuan3d/v2/multi-view`` → ``fal-ai/hunyuan3d/requests/ID``), so a client that
builds them by hand instead of using the submit answer gets a 404 here.
"""

from __future__ import annotations

import re

from .base import FakeService, Status

APPS = ("fal-ai/hunyuan3d-v3/image-to-3d", "fal-ai/hunyuan3d/v2/multi-view")
_REQ = re.compile(r"^/([^/]+/[^/]+)/requests/([^/]+)(/status|/cancel)?$")


class FalFake(FakeService):
    key_prefix = "Key "

    def __init__(self, key="fake-key"):
        super().__init__(key)
        self.queue_polls = 1  # how many of the running polls report IN_QUEUE first
        self.status_host: str | None = None  # hand out status URLs on another host (attack)

    def route(self, req):
        if req.method == "POST" and req.path.lstrip("/") in APPS:
            return "submit", req.path.lstrip("/")
        m = _REQ.match(req.path)
        if m:
            kind = {"/status": "status", "/cancel": "cancel", None: "result"}[m.group(3)]
            if (kind == "cancel") == (req.method == "PUT"):
                return kind, m.group(2)
        return "unknown", None

    def unauthorised(self, req):
        return Status(401, {"detail": "Invalid Key"})

    def answer(self, route, req, extra):
        if route == "submit":
            body = req.json()
            need = ("front_image_url", "back_image_url", "left_image_url") if extra.endswith("multi-view") \
                else ("input_image_url",)
            missing = [k for k in need if not str(body.get(k, "")).startswith("data:image/png;base64,")]
            if missing:
                return Status(422, {"detail": [{"loc": ["body", missing[0]], "msg": "field required"}]})
            task = self.new_task({"app": extra, **body})
            app_base = "/".join(extra.split("/")[:2])
            host = self.status_host or self.url
            base = f"{self.url}/{app_base}/requests/{task.id}"
            return Status(200, {"request_id": task.id, "status_url": f"{host}/{app_base}/requests/{task.id}/status",
                                "response_url": base, "cancel_url": f"{base}/cancel"})
        task = self.tasks.get(extra)
        if task is None:
            return Status(404, {"detail": "Request not found"})
        if route == "status":
            if task.cancelled:
                return Status(200, {"status": "CANCELLED"})
            if not self.hold and task.polls >= self.polls_to_finish:
                return Status(200, {"status": "COMPLETED", "request_id": task.id})
            task.polls += 1
            if task.polls <= self.queue_polls:
                return Status(202, {"status": "IN_QUEUE", "queue_position": 3 - task.polls, "request_id": task.id})
            return Status(202, {"status": "IN_PROGRESS", "request_id": task.id, "logs": []})
        if route == "result":
            if self.hold or task.polls < self.polls_to_finish:
                return Status(400, {"detail": "Request is still in progress"})
            if self.fail_reason:
                return Status(422, {"detail": [{"msg": self.fail_reason}]})
            task.finished_polls += 1
            if task.finished_polls <= self.late_url_polls:
                return Status(200, {})
            key = "model_mesh" if task.body["app"].endswith("multi-view") else "model_glb"
            return Status(200, {key: {"url": self.file_url(), "content_type": "model/gltf-binary",
                                      "file_name": "model.glb", "file_size": len(self.payload)}})
        if route == "cancel":
            if task.polls >= self.polls_to_finish and not self.hold:
                return Status(400, {"status": "ALREADY_COMPLETED"})
            task.cancelled = True
            return Status(202, {"status": "CANCELLATION_REQUESTED"})
        return Status(404, {"detail": "Not found"})
