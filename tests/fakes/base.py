# SPDX-License-Identifier: GPL-3.0-or-later
"""A real HTTP server on 127.0.0.1 (threads) that fake 3D services build on.

Every fake names its routes the same way — ``submit``, ``status``, ``result`` (an extra JSON
fetch some services need), ``cancel``, ``upload`` and ``file`` — so one fault matrix runs
against every provider. Faults are queued per route and each is used by one request:

    fake.inject("status", Status(500), Status(500))   # the next two status requests fail
    fake.inject("submit", Slow(5.0))                  # the next submit answers 5 s late

The task model is shared: ``polls_to_finish`` status requests report "running", then the
task finishes; ``fail_reason`` makes it fail; ``late_url_polls`` reports success without a
result URL that many times; ``hold`` keeps it running until cleared; ``payload`` is the file.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Status:
    code: int
    body: object = None
    headers: dict = field(default_factory=dict)


@dataclass
class Slow:
    seconds: float


@dataclass
class Reset:
    pass


@dataclass
class Malformed:
    pass


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Task:
    id: str
    body: object
    polls: int = 0
    finished_polls: int = 0
    cancelled: bool = False


class FakeService:
    """Subclasses implement ``route(req) -> (route name, extra)`` and ``answer(route, req, extra)``."""

    key_header = "Authorization"
    key_prefix = "Bearer "

    def __init__(self, key: str | None = "fake-key"):
        self.key = key
        self.faults: dict[str, list] = {}
        self.requests: list[tuple[str, Request]] = []
        self.tasks: dict[str, Task] = {}
        self.polls_to_finish = 2
        self.fail_reason: str | None = None
        self.late_url_polls = 0
        self.hold = False
        self.payload: bytes = b""
        self.chunked = False  # serve the file without Content-Length
        self.result_url_override: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

            def log_message(self, *args):  # keep test output clean
                pass

            def _go(self):
                service._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = _go

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # resets are on purpose
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    # -- test-facing -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, route: str, *faults) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def count(self, route: str) -> int:
        return sum(1 for name, _ in self.requests if name == route)

    def seen(self, route: str) -> list[Request]:
        return [req for name, req in self.requests if name == route]

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def file_url(self) -> str:
        return self.result_url_override or f"{self.url}/files/model.glb"

    # -- task model --------------------------------------------------------------------------
    def new_task(self, body) -> Task:
        task = Task(uuid.uuid4().hex, body)
        self.tasks[task.id] = task
        return task

    def advance(self, task: Task) -> str:
        """One status request: 'running', 'failed', 'done-no-url' or 'done'."""
        task.polls += 1
        if task.cancelled:
            return "cancelled"
        if self.hold or task.polls <= self.polls_to_finish:
            return "running"
        if self.fail_reason:
            return "failed"
        task.finished_polls += 1
        if task.finished_polls <= self.late_url_polls:
            return "done-no-url"
        return "done"

    # -- protocol hooks ----------------------------------------------------------------------
    def route(self, req: Request):
        raise NotImplementedError

    def answer(self, route: str, req: Request, extra):
        raise NotImplementedError

    def authorised(self, req: Request) -> bool:
        if self.key is None:
            return True
        return req.headers.get(self.key_header.lower()) == f"{self.key_prefix}{self.key}"

    def unauthorised(self, req: Request):
        return Status(401, {"detail": "Invalid API key"})

    # -- plumbing ----------------------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        req = Request(h.command, parts.path, parts.query, {k.lower(): v for k, v in h.headers.items()}, body)
        if parts.path.startswith("/files/"):
            name, extra = "file", None
        else:
            name, extra = self.route(req)
        with self._lock:
            self.requests.append((name, req))
            queue = self.faults.get(name) or []
            fault = queue.pop(0) if queue else None
        if isinstance(fault, Slow):
            if self._stop.wait(fault.seconds):
                return
            fault = None
        if isinstance(fault, Reset):
            self._reset(h)
            return
        if isinstance(fault, Malformed):
            self._send(h, 200, b'{"status": "IN_PROG', {"Content-Type": "application/json"})
            return
        if isinstance(fault, Status):
            self._send_reply(h, fault)
            return
        if name == "file":
            self._send_file(h)
            return
        if name != "unknown" and name != "file" and not self.authorised(req):
            self._send_reply(h, self.unauthorised(req))
            return
        self._send_reply(h, self.answer(name, req, extra))

    def _send_reply(self, h, reply: Status) -> None:
        body = reply.body
        headers = dict(reply.headers)
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
            headers.setdefault("Content-Type", "text/plain")
        elif body is None:
            data = b""
        else:
            data = bytes(body)
        self._send(h, reply.code, data, headers)

    def _send(self, h, code: int, data: bytes, headers: dict) -> None:
        try:
            h.send_response(code)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    def _send_file(self, h) -> None:
        data = self.payload
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            if self.chunked:
                h.send_header("Transfer-Encoding", "chunked")
                h.end_headers()
                for i in range(0, len(data), 16384):
                    piece = data[i:i + 16384]
                    h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                h.wfile.write(b"0\r\n\r\n")
            else:
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                h.wfile.write(data)
        except OSError:
            pass

    @staticmethod
    def _reset(h) -> None:
        # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset".
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True
