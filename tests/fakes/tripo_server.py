# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake Tripo OpenAPI v2: image upload, multiview_to_model task, task status."""

from __future__ import annotations

import re
import uuid

from .base import FakeService, Status

_TASK = re.compile(r"^/v2/openapi/task/([^/]+)$")


class TripoFake(FakeService):
    def __init__(self, key="fake-key"):
        super().__init__(key)
        self.tokens: set[str] = set()
        self.fail_status = "failed"  # or "banned" / "expired"

    def route(self, req):
        if req.method == "POST" and req.path == "/v2/openapi/upload":
            return "upload", None
        if req.method == "POST" and req.path == "/v2/openapi/task":
            return "submit", None
        m = _TASK.match(req.path)
        if req.method == "GET" and m:
            return "status", m.group(1)
        return "unknown", None

    def unauthorised(self, req):
        return Status(401, {"code": 1002, "message": "Authentication failed", "suggestion": "check the API key"})

    def answer(self, route, req, extra):
        if route == "upload":
            if b'name="file"' not in req.body or b"\x89PNG" not in req.body:
                return Status(400, {"code": 2002, "message": "no image file in the upload"})
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return Status(200, {"code": 0, "data": {"image_token": token}})
        if route == "submit":
            body = req.json()
            files = body.get("files")
            if body.get("type") != "multiview_to_model" or not isinstance(files, list) or len(files) != 4:
                return Status(400, {"code": 2002, "message": "files must have exactly 4 slots"})
            if files[0].get("file_token") not in self.tokens:
                return Status(400, {"code": 2002, "message": "front image is mandatory"})
            if any(f and f.get("file_token") not in self.tokens for f in files):
                return Status(400, {"code": 2002, "message": "unknown file token"})
            task = self.new_task(body)
            return Status(200, {"code": 0, "data": {"task_id": task.id}})
        if route == "status":
            task = self.tasks.get(extra)
            if task is None:
                return Status(404, {"code": 2001, "message": "task not found"})
            state = self.advance(task)
            data = {"task_id": task.id, "type": "multiview_to_model"}
            if state == "running":
                data.update(status="queued" if task.polls == 1 else "running", progress=task.polls * 25)
            elif state == "failed":
                data.update(status=self.fail_status, progress=0, error_msg=self.fail_reason)
            elif state == "done-no-url":
                data.update(status="success", progress=100, output={})
            else:
                data.update(status="success", progress=100, output={"model": self.file_url()})
            return Status(200, {"code": 0, "data": data})
        return Status(404, {"code": 2001, "message": "not found"})
