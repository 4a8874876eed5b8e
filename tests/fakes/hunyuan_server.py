# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake self-hosted Hunyuan3D-2 ``api_server.py``: async /send + /status, 404 for every error.

Like the real server, a job that died keeps answering "processing" (``hold`` or
``fail_reason`` here), and the finished model comes back inline as base64.
"""

from __future__ import annotations

import base64
import binascii
import re

from .base import FakeService, Status

_STATUS = re.compile(r"^/status/([^/]+)$")
SERVER_ERROR = {"text": "NETWORK ERROR DUE TO HIGH TRAFFIC. PLEASE REGENERATE OR REFRESH THIS PAGE.",
                "error_code": 1}


class HunyuanServerFake(FakeService):
    def __init__(self, key=None):
        super().__init__(None)  # the real server has no authentication
        self.inline_override: str | None = None  # send this instead of the payload's base64

    def route(self, req):
        if req.method == "POST" and req.path == "/send":
            return "submit", None
        m = _STATUS.match(req.path)
        if req.method == "GET" and m:
            return "status", m.group(1)
        return "unknown", None

    def answer(self, route, req, extra):
        if route == "submit":
            try:
                body = req.json()
                base64.b64decode(body["image"], validate=True)
            except (ValueError, KeyError, binascii.Error):
                return Status(404, SERVER_ERROR)  # the real server's answer to *any* failure
            return Status(200, {"uid": self.new_task(body).id})
        if route == "status":
            task = self.tasks.get(extra)
            if task is None:  # the real server cannot tell: it only looks for the file
                return Status(200, {"status": "processing"})
            state = self.advance(task)
            if state in ("running", "failed"):
                return Status(200, {"status": "processing"})
            if state == "done-no-url":
                return Status(200, {"status": "completed"})
            encoded = self.inline_override or base64.b64encode(self.payload).decode()
            return Status(200, {"status": "completed", "model_base64": encoded})
        return Status(404, SERVER_ERROR)
