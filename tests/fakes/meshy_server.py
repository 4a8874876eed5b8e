# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake Meshy multi-image-to-3d."""

from __future__ import annotations

import re

from .base import FakeService, Status

_TASK = re.compile(r"^/openapi/v1/multi-image-to-3d/([^/]+)$")


class MeshyFake(FakeService):
    def route(self, req):
        if req.method == "POST" and req.path == "/openapi/v1/multi-image-to-3d":
            return "submit", None
        m = _TASK.match(req.path)
        if req.method == "GET" and m:
            return "status", m.group(1)
        return "unknown", None

    def unauthorised(self, req):
        return Status(401, {"message": "Invalid API key"})

    def answer(self, route, req, extra):
        if route == "submit":
            body = req.json()
            urls = body.get("image_urls")
            if not isinstance(urls, list) or not 1 <= len(urls) <= 4 or not all(
                    str(u).startswith("data:image/png;base64,") for u in urls):
                return Status(400, {"message": "image_urls must hold 1 to 4 images"})
            task = self.new_task(body)
            return Status(202, {"result": task.id})
        if route == "status":
            task = self.tasks.get(extra)
            if task is None:
                return Status(404, {"message": "Task not found"})
            state = self.advance(task)
            out = {"id": task.id, "model_urls": {}, "task_error": {"message": ""}}
            if state == "running":
                out.update(status="PENDING" if task.polls == 1 else "IN_PROGRESS", progress=task.polls * 20)
            elif state == "failed":
                out.update(status="FAILED", progress=0, task_error={"message": self.fail_reason})
            elif state == "done-no-url":
                out.update(status="SUCCEEDED", progress=100)
            else:
                out.update(status="SUCCEEDED", progress=100,
                           model_urls={"glb": self.file_url(), "fbx": f"{self.url}/files/model.fbx"})
            return Status(200, out)
        return Status(404, {"message": "Not found"})
