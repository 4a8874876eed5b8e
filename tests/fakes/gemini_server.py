# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake Gemini ``generateContent`` endpoint on 127.0.0.1 (real HTTP, one thread per request).

The real ``google-genai`` SDK reaches it through ``HttpOptions(base_url=...)``. It checks what
arrives the way the real service would need it — the path names the model, the key header is
present, every image part decodes (``mime_type`` or ``mimeType``, standard or URL-safe base64)
— and answers with an edited image (the input, colour-inverted, so tests can tell it was
edited) or with the failure queued for the next request:

    fake.queue(Fail(429), Fail(429))         # two rate-limit answers, then the default
    fake.queue(BlockPrompt("SAFETY"))        # HTTP 200, no candidates, promptFeedback
    fake.queue(BlockOutput("IMAGE_SAFETY"))  # HTTP 200, a candidate without content
    fake.queue(TextOnly("I cannot draw that"))
    fake.queue(Slow(3.0))                    # answer after 3 s (client timeouts)

Anything malformed in a request is answered with HTTP 400 and recorded in ``problems``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from PIL import Image

_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")


@dataclass
class Fail:
    status: int
    message: str = "fake failure"


@dataclass
class BlockPrompt:
    reason: str


@dataclass
class BlockOutput:
    reason: str
    text: str = ""


@dataclass
class TextOnly:
    text: str


@dataclass
class Slow:
    seconds: float


@dataclass
class BadImage:
    """An image part whose bytes are not an image."""


@dataclass
class Received:
    api_version: str
    model: str
    api_key: str
    texts: list[str]
    images: list[Image.Image]
    mime_types: list[str]
    generation_config: dict
    body: dict = field(repr=False, default_factory=dict)


def _b64decode(data: str) -> bytes:
    # the SDK sends URL-safe base64 ("-_"); others send the standard alphabet
    data = data.strip()
    padded = data + "=" * (-len(data) % 4)
    if "-" in data or "_" in data:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def edited_png(image: Image.Image | None) -> bytes:
    """The 'edit': the input colour-inverted (or a plain figure when there is no input)."""
    if image is None:
        arr = np.full((96, 64, 3), 190, np.uint8)
        arr[16:88, 24:40] = (200, 40, 40)
    else:
        arr = 255 - np.asarray(image.convert("RGB"))
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG")
    return buf.getvalue()


class FakeGemini:
    def __init__(self):
        self.received: list[Received] = []
        self.problems: list[str] = []
        self._queue: list = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._send(self, 404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- control ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *behaviours) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def start(self) -> "FakeGemini":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- protocol --------------------------------------------------------------------------
    def _send(self, handler, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _reject(self, handler, problem: str) -> None:
        self.problems.append(problem)
        self._send(handler, 400, {"error": {"code": 400, "message": problem, "status": "INVALID_ARGUMENT"}})

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        match = _PATH.match(handler.path.split("?")[0])
        if not match:
            return self._reject(handler, f"unexpected path {handler.path}")
        key = handler.headers.get("x-goog-api-key", "")
        if not key:
            return self._reject(handler, "no x-goog-api-key header")
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self._reject(handler, "body is not JSON")
        texts, images, mimes = [], [], []
        for content in body.get("contents", []):
            for part in content.get("parts", []):
                if "text" in part:
                    texts.append(part["text"])
                    continue
                blob = part.get("inlineData") or part.get("inline_data")
                if blob is None:
                    return self._reject(handler, f"unexpected part {sorted(part)}")
                mime = blob.get("mime_type") or blob.get("mimeType")
                if not mime:
                    return self._reject(handler, "image part without a MIME type")
                try:
                    img = Image.open(io.BytesIO(_b64decode(blob.get("data", ""))))
                    img.load()
                except (binascii.Error, ValueError, OSError) as exc:
                    return self._reject(handler, f"image part does not decode ({type(exc).__name__})")
                expected = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}.get(img.format)
                if expected != mime:
                    return self._reject(handler, f"MIME type {mime} but the data is {img.format}")
                images.append(img)
                mimes.append(mime)
        config = body.get("generationConfig") or body.get("generation_config") or {}
        self.received.append(Received(match.group(1), match.group(2), key, texts, images, mimes, config, body))
        with self._lock:
            behaviour = self._queue.pop(0) if self._queue else None
        if isinstance(behaviour, Slow):
            time.sleep(behaviour.seconds)
            behaviour = None
        model_version = match.group(2) + "-fake-001"
        if isinstance(behaviour, Fail):
            status = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                      404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                      503: "UNAVAILABLE"}.get(behaviour.status, "UNKNOWN")
            return self._send(handler, behaviour.status,
                              {"error": {"code": behaviour.status, "message": behaviour.message, "status": status}})
        if isinstance(behaviour, BlockPrompt):
            return self._send(handler, 200, {"promptFeedback": {"blockReason": behaviour.reason},
                                             "modelVersion": model_version})
        if isinstance(behaviour, BlockOutput):
            cand = {"finishReason": behaviour.reason, "index": 0}
            if behaviour.text:
                cand["content"] = {"role": "model", "parts": [{"text": behaviour.text}]}
            return self._send(handler, 200, {"candidates": [cand], "modelVersion": model_version})
        if isinstance(behaviour, TextOnly):
            return self._send(handler, 200, {"candidates": [{
                "content": {"role": "model", "parts": [{"text": behaviour.text}]},
                "finishReason": "STOP", "index": 0}], "modelVersion": model_version})
        data = b"definitely not a png" if isinstance(behaviour, BadImage) else edited_png(images[0] if images else None)
        self._send(handler, 200, {
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Here is the edited character."},
                {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode("ascii")}},
            ]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 1290, "candidatesTokenCount": 1290, "totalTokenCount": 2580},
            "modelVersion": model_version,
        })
