# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP layer every remote provider goes through.

Policy, in one place so no provider gets it subtly different:

* connect/read timeouts per request, and an overall deadline per session (a polling session
  gives up cleanly; the task id stays in the job folder for ``resume``). The deadline holds
  across reads: a server that trickles its answer a byte at a time (each read on time) is
  cut off when the session's time is up, not when it stops sending;
* 429 waits for ``Retry-After`` (seconds or an HTTP date), else exponential backoff with
  jitter; 5xx and dropped connections are retried a bounded number of times;
* 401/402/403 are final, with a message that says what to do (key, credits);
* a request that *starts a paid task* is not idempotent: it is retried only when the service
  certainly did not accept it (connection refused, 429, 502/503/504). After an ambiguous
  failure (reset, read timeout, 500, garbled answer) it may have been accepted, so we stop and
  say so instead of paying twice;
* only https, except loopback http when the configuration allows it (tests) and plain http to
  a self-hosted server that receives no key;
* the key goes only to the provider's own API host, never to a result/CDN host, and never
  into a message: every text that comes from a server is scrubbed of it.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import random
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import httpx2 as httpx  # the HTTP client google-genai uses: one HTTP stack in the zip

from ..errors import CancelledError, RemoteError
from .base import Provider, ProviderConfig

T = TypeVar("T")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_CHUNK = 256 * 1024


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; one verified context serves every session and thread.
    return httpx.create_ssl_context()


class HttpStatusError(RemoteError):
    """A final HTTP error answer; ``status`` lets a provider tell a failed task from an outage."""

    def __init__(self, message: str, *, hint: str = "", status: int = 0):
        super().__init__(message, hint=hint)
        self.status = status


class DeadlineError(RemoteError):
    """The overall deadline passed; the task (if any) is still alive remotely."""


class AmbiguousSubmitError(RemoteError):
    """A submit may or may not have been accepted; resubmitting could pay twice."""


class TaskFailedError(RemoteError):
    """The service says the task failed (final; no point in polling again)."""


class UnsafeURLError(RemoteError):
    """A URL we refuse to contact (plain http, or a key bound for a foreign host)."""


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_detail(body: Any, raw: str = "") -> str:
    """The human part of an error answer, whatever shape the service uses."""
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "text", "msg", "failure_reason", "suggestion"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail") or json.dumps(value)[:200]
            if isinstance(value, list) and value:
                first = value[0]
                value = first.get("msg") if isinstance(first, dict) and "msg" in first else str(first)
            if value:
                return _one_line(str(value))
    if raw.lstrip().lower().startswith(("<!doctype", "<html")):
        return "an HTML page instead of an API answer"
    return _one_line(raw) if raw.strip() else ""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpSession:
    """One provider's connection for one submit or polling session.

    ``cancel`` (a threading.Event) is checked between requests and wakes every wait, so a
    panel's Cancel button stops us within one request's read timeout at worst."""

    def __init__(self, provider: Provider, *, key: str | None, deadline: float,
                 cancel: threading.Event | None = None, what: str = "the request"):
        self.provider = provider
        self.config: ProviderConfig = provider.config
        self.label = provider.label
        self._key = key
        self.cancel = cancel or threading.Event()
        self.deadline_s = deadline
        self.deadline_at = time.monotonic() + deadline
        self.what = what
        self._abandoned = False
        base = httpx.URL(provider.base_url) if provider.base_url else None
        self._api_origin = (base.scheme, base.host, base.port) if base else None
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            follow_redirects=False,
            verify=_ssl_context(),
            event_hooks={"request": [self._check_request]},
        )

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        if self._abandoned:
            # A request thread may still be inside the client; closing would wait for it.
            threading.Thread(target=self._client.close, daemon=True, name="figurine-http-close").start()
            return
        self._client.close()

    def __enter__(self) -> "HttpSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- safety ----------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        if self._key and self._key in text:
            text = text.replace(self._key, "***")
        return text

    def check_url(self, url: str, *, plain_http_ok: bool = False) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise UnsafeURLError(f"{self.label} gave an unusable URL",
                                 hint="try again later or report it to the service") from None
        if parsed.scheme == "https" and parsed.host:
            return parsed
        if parsed.scheme == "http" and parsed.host:
            if plain_http_ok or (self.config.allow_loopback_http and parsed.host in LOOPBACK_HOSTS):
                return parsed
        raise UnsafeURLError(
            f"refusing to contact {parsed.scheme}://{parsed.host or '?'}/… for {self.label}: only https is allowed",
            hint="results must come over https; a test may allow loopback http explicitly")

    def _is_api_origin(self, url: httpx.URL) -> bool:
        return self._api_origin is not None and (url.scheme, url.host, url.port) == self._api_origin

    def _check_request(self, request: httpx.Request) -> None:
        # Every request, including each redirect hop of a download, passes through here.
        plain_ok = getattr(self.provider, "plain_http_base_ok", False) and self._is_api_origin(request.url)
        self.check_url(str(request.url), plain_http_ok=plain_ok)
        if "authorization" in request.headers and not self._is_api_origin(request.url):
            raise UnsafeURLError(f"{self.label} pointed us at another host with the key attached",
                                 hint="refusing to send the key anywhere but the provider's API")

    def _headers(self, url: httpx.URL, auth: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "figurine-forge"}
        if auth and self._key:
            if not self._is_api_origin(url):
                raise UnsafeURLError(f"{self.label} returned a status address on a foreign host",
                                     hint="refusing to send the key there; report it to the service")
            headers.update(self.provider.auth_headers(self._key))
        return headers

    # -- time ------------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline_at - time.monotonic()

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError("cancelled")

    def check_deadline(self) -> None:
        if self.remaining() <= 0:
            raise DeadlineError(f"{self.label} gave no answer for {self.what} within {_duration(self.deadline_s)}")

    def wait(self, seconds: float) -> None:
        """Sleep, but wake for a cancel and never past the deadline."""
        self.check_cancel()
        seconds = max(0.0, min(seconds, self.remaining()))
        if self.config.sleep is not None:
            self.config.sleep(seconds)
        elif seconds > 0:
            self.cancel.wait(seconds)
        self.check_cancel()

    def _within_deadline(self, call, on_deadline):
        try:
            return call_with_deadline(call, self.deadline_at, on_deadline, cancel=self.cancel)
        except (DeadlineError, AmbiguousSubmitError, CancelledError):
            self._abandoned = True
            raise

    def _deadline_error(self) -> DeadlineError:
        return DeadlineError(f"{self.label} gave no complete answer for {self.what} within "
                             f"{_duration(self.deadline_s)}",
                             hint="the service is too slow right now; try again later")

    def _backoff(self, attempt: int) -> float:
        cap = min(self.config.backoff_max, self.config.backoff_base * (2 ** attempt))
        return cap * random.uniform(0.5, 1.0)  # jitter: clients that failed together spread out

    def _timeout(self) -> httpx.Timeout:
        left = max(0.05, self.remaining())
        return httpx.Timeout(min(self.config.read_timeout, left),
                             connect=min(self.config.connect_timeout, left))

    # -- API calls -------------------------------------------------------------------------
    def request_json(self, method: str, url: str, *, json_body: Any = None, files: Any = None,
                     auth: bool = True, idempotent: bool = True, expect_json: bool = True) -> Any:
        """Send one API request with the retry policy above; return the decoded JSON body."""
        parsed = self.check_url(url, plain_http_ok=getattr(self.provider, "plain_http_base_ok", False))
        headers = self._headers(parsed, auth)
        n429 = n5xx = ntransient = 0
        while True:
            self.check_cancel()
            self.check_deadline()
            on_deadline = self._deadline_error if idempotent else functools.partial(
                self._ambiguous, f"its answer did not arrive within {_duration(self.deadline_s)}")
            # The batch's shared rate limit (if any) is waited for before the request is timed.
            slot = self.config.request_slot(self.cancel) if self.config.request_slot else contextlib.nullcontext()
            try:
                with slot:
                    response = self._within_deadline(
                        lambda: self._client.request(method, url, json=json_body, files=files, headers=headers,
                                                     timeout=self._timeout()), on_deadline)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # The request never reached the service: safe to retry even a submit.
                ntransient += 1
                if ntransient > self.config.max_transient_retries:
                    raise RemoteError(f"cannot reach {self.label} ({_exc_name(exc)})",
                                      hint="check the internet connection or the service URL, then try again") from None
                self.wait(self._backoff(ntransient - 1))
                continue
            except httpx.TimeoutException:
                self.check_deadline()
                if not idempotent:
                    raise self._ambiguous("it did not answer in time") from None
                ntransient += 1
                if ntransient > self.config.max_transient_retries:
                    raise RemoteError(f"{self.label} keeps timing out on {self.what}",
                                      hint="the service is slow or down; try again later") from None
                self.wait(self._backoff(ntransient - 1))
                continue
            except httpx.TransportError as exc:  # reset, dropped, protocol garbage
                if not idempotent:
                    raise self._ambiguous(f"the connection broke ({_exc_name(exc)})") from None
                ntransient += 1
                if ntransient > self.config.max_transient_retries:
                    raise RemoteError(f"the connection to {self.label} keeps breaking ({_exc_name(exc)})",
                                      hint="check the network and try again") from None
                self.wait(self._backoff(ntransient - 1))
                continue

            status = response.status_code
            raw = self.scrub(response.text) if response.content else ""
            body = _maybe_json(raw)
            if 200 <= status < 300:
                if not expect_json:
                    return response
                if body is _BAD_JSON or not isinstance(body, (dict, list)):
                    if not idempotent:
                        raise self._ambiguous("its answer was not readable JSON")
                    ntransient += 1
                    if ntransient > self.config.max_transient_retries:
                        raise RemoteError(f"{self.label} keeps sending unreadable answers for {self.what}",
                                          hint="the service may be having problems; try again later")
                    self.wait(self._backoff(ntransient - 1))
                    continue
                return body
            detail = self.scrub(error_detail(body if body is not _BAD_JSON else None, raw))
            if status == 429:
                n429 += 1
                if n429 > self.config.max_429_retries:
                    raise HttpStatusError(f"{self.label} keeps rate-limiting us (HTTP 429)",
                                          hint="wait a few minutes before trying again", status=status)
                after = parse_retry_after(response.headers.get("Retry-After"))
                self.wait(after if after is not None else self._backoff(n429 - 1))
                continue
            if status in (401, 403):
                raise HttpStatusError(
                    f"{self.label} refused the API key (HTTP {status}{': ' + detail if detail else ''})",
                    hint=f"check the key in the add-on preferences or {self.provider.key_env or 'the settings'}"
                         f"{'; ' + self.provider.key_help if self.provider.key_help else ''}", status=status)
            if status == 402:
                raise HttpStatusError(f"{self.label} says the account has too few credits (HTTP 402)",
                                      hint=f"top up credits{' at ' + self.provider.key_help if self.provider.key_help else ''}, then try again",
                                      status=status)
            if status >= 500:
                certain_not_taken = status in (502, 503, 504)
                if not idempotent and not certain_not_taken:
                    raise self._ambiguous(f"it answered HTTP {status}{': ' + detail if detail else ''}")
                n5xx += 1
                if n5xx > self.config.max_5xx_retries:
                    raise HttpStatusError(f"{self.label} has a server problem (HTTP {status}{': ' + detail if detail else ''})",
                                          hint="try again later", status=status)
                self.wait(self._backoff(n5xx - 1))
                continue
            if status == 404:
                special = self.provider.not_found(status, body if body is not _BAD_JSON else None, raw)
                if special:
                    raise HttpStatusError(self.scrub(special), status=status)
                raise HttpStatusError(f"{self.label} does not know {self.what} (HTTP 404{': ' + detail if detail else ''})",
                                      hint="check the service URL; an old task may have expired", status=status)
            raise HttpStatusError(f"{self.label} rejected {self.what} (HTTP {status}{': ' + detail if detail else ''})",
                                  hint="check the images and options", status=status)

    def _ambiguous(self, why: str) -> AmbiguousSubmitError:
        return AmbiguousSubmitError(
            f"{self.label} may have started the job, but {why}",
            hint="check your jobs on the service's website before submitting again, so you do not pay twice")

    # -- downloads -------------------------------------------------------------------------
    def download(self, url: str, dest: Path, *, max_bytes: int, auth: bool = False) -> int:
        """Stream ``url`` into the already-open temporary path ``dest``; return its size.

        Redirects are followed (CDNs use them) but every hop is checked. Transient failures
        are retried from the start; a file over ``max_bytes`` is refused without reading it all."""
        parsed = self.check_url(url)
        headers = self._headers(parsed, auth)
        headers["Accept"] = "*/*"
        attempts = 0
        while True:
            self.check_cancel()
            self.check_deadline()
            try:
                return self._within_deadline(lambda: self._download_once(url, dest, headers, max_bytes),
                                             self._download_deadline_error)
            except (httpx.TransportError, _RetryableStatus) as exc:
                attempts += 1
                if attempts > self.config.max_transient_retries:
                    what = f"HTTP {exc.status}" if isinstance(exc, _RetryableStatus) else _exc_name(exc)
                    raise RemoteError(f"downloading the result from {self.label} keeps failing ({what})",
                                      hint="run resume later to try the download again") from None
                self.wait(self._backoff(attempts - 1))

    def _download_deadline_error(self) -> DeadlineError:
        return DeadlineError(f"downloading the result from {self.label} did not finish within "
                             f"{_duration(self.deadline_s)}",
                             hint="run resume later to try the download again")

    def _download_once(self, url: str, dest: Path, headers: dict, max_bytes: int) -> int:
        with self._client.stream("GET", url, headers=headers, follow_redirects=True,
                                 timeout=self._timeout()) as response:
            status = response.status_code
            if status in (404, 410, 403):
                raise RemoteError(f"the result file on {self.label} is gone (HTTP {status})",
                                  hint="result links expire (often after 24 h); run resume to ask for a fresh link")
            if status == 429 or status >= 500:
                raise _RetryableStatus(status)
            if not 200 <= status < 300:
                raise RemoteError(f"{self.label} refused the result download (HTTP {status})",
                                  hint="run resume later to try again")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise RemoteError(
                    f"the result from {self.label} is {_size(int(declared))}, over the {_size(max_bytes)} limit",
                    hint="ask for fewer faces, or raise the download limit")
            total = 0
            with open(dest, "wb") as fh:
                for chunk in response.iter_bytes(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise RemoteError(f"the result from {self.label} is over the {_size(max_bytes)} limit",
                                          hint="ask for fewer faces, or raise the download limit")
                    fh.write(chunk)
                    if self._abandoned:  # the caller gave up on this download
                        raise CancelledError("abandoned")
            return total


def call_with_deadline(call: Callable[[], T], deadline_at: float, on_deadline: Callable[[], BaseException], *,
                       cancel: threading.Event | None = None) -> T:
    """``call()`` in a helper thread; give up (raise ``on_deadline()``) when the monotonic
    clock passes ``deadline_at``, or CancelledError when ``cancel`` is set, whatever the
    socket underneath does. HTTP clients' timeouts apply to each read, so an answer trickled
    a byte at a time never trips them; this bounds the whole exchange. The abandoned thread
    is a daemon and ends with its connection."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True, name="figurine-remote-call").start()
    while not done.wait(max(0.0, min(0.25, deadline_at - time.monotonic()))):
        if cancel is not None and cancel.is_set():
            raise CancelledError("cancelled")
        if time.monotonic() >= deadline_at:
            raise on_deadline()
    if "error" in box:
        raise box["error"]
    return box["value"]


class _RetryableStatus(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


_BAD_JSON = object()


def _maybe_json(raw: str) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _BAD_JSON


def _exc_name(exc: BaseException) -> str:
    names = {"ConnectError": "connection refused or no route", "ConnectTimeout": "connect timeout",
             "ReadTimeout": "read timeout", "RemoteProtocolError": "connection dropped",
             "ReadError": "connection reset", "WriteError": "connection reset while sending"}
    return names.get(type(exc).__name__, type(exc).__name__)


def _duration(seconds: float) -> str:
    if seconds >= 90:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.0f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"
