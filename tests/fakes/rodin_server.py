# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake Hyper3D Rodin ``/api/v2``: multipart submit, status by subscription key, file listing."""

from __future__ import annotations

import uuid

from .base import FakeService, Status

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def multipart_parts(req) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name or None, content) of a multipart/form-data body."""
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
        return []
    boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
    parts = []
    for chunk in req.body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition = next((line for line in head.split(b"\r\n") if line.lower().startswith(b"content-disposition")),
                           b"").decode()
        attrs = dict(item.strip().split("=", 1) for item in disposition.split(";")[1:] if "=" in item)
        name, filename = attrs.get("name", "").strip('"'), attrs.get("filename")
        parts.append((name, filename.strip('"') if filename else None, content))
    return parts


class RodinFake(FakeService):
    def __init__(self, key="fake-key"):
        super().__init__(key)
        self.by_subscription: dict[str, str] = {}
        self.last_state: dict[str, str] = {}

    def route(self, req):
        if req.method == "POST":
            return {"/api/v2/rodin": ("submit", None), "/api/v2/status": ("status", None),
                    "/api/v2/download": ("result", None)}.get(req.path, ("unknown", None))
        return "unknown", None

    def unauthorised(self, req):
        return Status(401, {"error": "Invalid API key"})

    def answer(self, route, req, extra):
        if route == "submit":
            parts = multipart_parts(req)
            images = [content for name, filename, content in parts if name == "images" and filename]
            if not 1 <= len(images) <= 5 or not all(i.startswith(PNG_SIGNATURE) for i in images):
                return Status(400, {"error": "images: 1 to 5 image files are required"})
            fields = {name: content.decode() for name, filename, content in parts if filename is None}
            task = self.new_task({"images": len(images), "names": [f for n, f, _ in parts if n == "images"],
                                  **fields})
            key = uuid.uuid4().hex
            self.by_subscription[key] = task.id
            return Status(201, {"error": None, "message": "Submitted.", "uuid": task.id,
                                "jobs": {"uuids": [f"{task.id}-geometry", f"{task.id}-texture"],
                                         "subscription_key": key}})
        body = req.json()
        if route == "status":
            task = self.tasks.get(self.by_subscription.get(body.get("subscription_key"), ""))
            if task is None:
                return Status(404, {"error": "subscription not found"})
            state = self.advance(task)
            self.last_state[task.id] = state
            first, second = {"running": ("Generating", "Waiting"), "failed": ("Done", "Failed")}.get(
                state, ("Done", "Done"))
            jobs = [{"uuid": f"{task.id}-geometry", "status": first},
                    {"uuid": f"{task.id}-texture", "status": second}]
            if state == "failed":
                jobs[1]["error"] = self.fail_reason
            return Status(200, {"jobs": jobs})
        if route == "result":
            task = self.tasks.get(body.get("task_uuid", ""))
            if task is None:
                return Status(404, {"error": "task not found"})
            if self.last_state.get(task.id) != "done":
                return Status(200, {"list": []})
            return Status(200, {"list": [{"name": "preview.webp", "url": f"{self.url}/files/preview.webp"},
                                         {"name": "base_basic_pbr.glb", "url": self.file_url()}]})
        return Status(404, {"error": "Not found"})
