# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake 3D AI Studio (Hunyuan Pro) speaking the wire format of shared/docs/api-notes.md."""

from __future__ import annotations

import datetime
import re
import threading
import time

from .base import FakeService, Status

_STATUS = re.compile(r"^/v1/generation-request/([^/]+)/status/$")


class AIStudio3DFake(FakeService):
    def __init__(self, key="fake-key"):
        super().__init__(key)
        self.url_field = "asset"  # or "asset_url": public sources disagree, the client takes both
        self.asset_type = "3D_MODEL"
        self.balance = "150.00"
        # The service's account limit (api-notes: 3 requests/minute): (requests, seconds) over
        # the API routes, counted at arrival; one more inside the window gets a 429.
        self.rate_limit: tuple[int, float] | None = None
        self.throttled = 0
        self._arrivals: list[float] = []
        self._rate_lock = threading.Lock()

    def _over_limit(self) -> bool:
        assert self.rate_limit is not None
        count, period = self.rate_limit
        with self._rate_lock:
            now = time.monotonic()
            self._arrivals = [t for t in self._arrivals if now - t < period]
            if len(self._arrivals) >= count:
                self.throttled += 1
                return True
            self._arrivals.append(now)
            return False

    def route(self, req):
        if req.method == "POST" and req.path == "/v1/3d-models/tencent/generate/pro/":
            return "submit", None
        m = _STATUS.match(req.path)
        if req.method == "GET" and m:
            return "status", m.group(1)
        if req.method == "GET" and req.path == "/account/user/wallet/":
            return "balance", None
        return "unknown", None

    def answer(self, route, req, extra):
        if self.rate_limit and route in ("submit", "status", "balance") and self._over_limit():
            return Status(429, {"detail": "Request was throttled."}, {"Retry-After": "1"})
        if route == "submit":
            body = req.json()
            views = body.get("multi_view_images") or []
            if body.get("model") not in ("3.0", "3.1") or not any(v.get("view_type") == "front" for v in views):
                return Status(400, {"detail": "validation failed: model and a front view are required"})
            if not all(str(v.get("view_image", "")).startswith("data:image/png;base64,") for v in views):
                return Status(400, {"detail": "validation failed: view_image must be a data URI"})
            if not 40_000 <= int(body.get("face_count", 500_000)) <= 1_500_000:
                return Status(400, {"detail": "validation failed: face_count"})
            task = self.new_task(body)
            return Status(200, {"task_id": task.id, "created_at": datetime.datetime.now().isoformat()})
        if route == "status":
            task = self.tasks.get(extra)
            if task is None:
                return Status(404, {"detail": "Not found."})
            state = self.advance(task)
            if state == "running":
                return Status(200, {"status": "IN_PROGRESS" if task.polls > 1 else "PENDING",
                                    "progress": min(90, task.polls * 30), "failure_reason": None, "results": []})
            if state == "failed":
                return Status(200, {"status": "FAILED", "progress": 0, "failure_reason": self.fail_reason,
                                    "results": []})
            if state == "done-no-url":
                return Status(200, {"status": "FINISHED", "progress": 100, "failure_reason": None, "results": []})
            return Status(200, {"status": "FINISHED", "progress": 100, "failure_reason": None, "results": [
                {"asset_type": "IMAGE", self.url_field: f"{self.url}/files/preview.png"},
                {"asset_type": self.asset_type, self.url_field: self.file_url()},
            ]})
        if route == "balance":
            return Status(200, {"balance": self.balance})
        return Status(404, {"detail": "Not found."})
