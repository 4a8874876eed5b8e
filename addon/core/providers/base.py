# SPDX-License-Identifier: GPL-3.0-or-later
"""The provider interface: what every 3D generator module implements.

A provider is a small stateless object built from a :class:`ProviderConfig`. The job
lifecycle (``lifecycle.py``) owns the job folder, the HTTP session, retries, progress and
cancellation; a provider only knows its own wire format:

* ``submit(http, views, options) -> Submission`` — one request that starts a paid task;
* ``poll(http, task) -> PollStatus`` — one status request, idempotent;
* ``fetch(http, task, status)`` — the result as a URL to download or bytes;
* ``cancel(http, task) -> bool`` — ask the service to stop, where it allows it.

``task`` is the dict stored in the job manifest (``job.manifest["tasks"][key]``), so a
provider can resume from a fresh process with nothing but what it put into
``Submission.resume``. Nothing secret is ever put there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import BadInputError

# States a poll can report. "waiting" = queued or running; "done" = a result exists (or is
# about to: some services publish the URL a few seconds after they report success).
WAITING, DONE, FAILED, CANCELLED = "waiting", "done", "failed", "cancelled"

ProgressFn = Callable[[float | None, str], None]

# Our view names follow the workflow (docs/architecture.md): "left" = camera at -X, the
# character faces the viewer's right. Tencent's Hunyuan multi-view names them the other way
# round (its "left" image faces the viewer's left; see shared/data/README.md), so services
# built on Hunyuan get our left as their "right" and vice versa.
HUNYUAN_VIEW_NAMES = {"front": "front", "back": "back", "left": "right", "right": "left"}


def data_uri(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def progress_fraction(value: Any, scale: float = 100.0) -> float | None:
    """A service's progress (0..scale, number or string) as a fraction in [0, 1], or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number < 0:
        return None
    return min(number / scale, 1.0)


@dataclass(frozen=True)
class OptionSpec:
    """One generation option a provider understands (validated before anything is sent)."""

    name: str
    kind: str  # "int", "float", "bool", "choice", "str"
    default: Any
    help: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any) -> Any:
        """Check and convert ``value`` (strings come from the CLI, native types from the UI)."""
        what = f"option {self.name}={value!r}"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise BadInputError(f"{what} is not true or false", hint=f"{self.name}: {self.help}")
        if self.kind in ("int", "float"):
            conv = int if self.kind == "int" else float
            try:
                number = conv(str(value).replace("_", "").replace(",", "")) if isinstance(value, str) else conv(value)
                if isinstance(value, float) and self.kind == "int" and value != int(value):
                    raise ValueError
            except (TypeError, ValueError):
                kind = "a whole number" if self.kind == "int" else "a number"
                raise BadInputError(f"{what} is not {kind}", hint=f"{self.name}: {self.help}") from None
            if (self.minimum is not None and number < self.minimum) or (
                    self.maximum is not None and number > self.maximum):
                raise BadInputError(f"{what} is out of range",
                                    hint=f"use {self.minimum:,} to {self.maximum:,}")
            if isinstance(value, bool):
                raise BadInputError(f"{what} is not a number", hint=f"{self.name}: {self.help}")
            return number
        if self.kind == "choice":
            for choice in self.choices:
                if str(choice).lower() == str(value).strip().lower():
                    return choice
            raise BadInputError(f"{what} is not one of {', '.join(map(str, self.choices))}",
                                hint=f"{self.name}: {self.help}")
        return str(value)

    def describe(self) -> dict:
        out = {"name": self.name, "type": self.kind, "default": self.default, "help": self.help}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["min"], out["max"] = self.minimum, self.maximum
        return out


@dataclass(frozen=True)
class Capabilities:
    views_required: tuple[str, ...]
    views_optional: tuple[str, ...]
    output_formats: tuple[str, ...]
    options: tuple[OptionSpec, ...] = ()
    needs_key: bool = True
    remote_cancel: bool = False
    typical_minutes: str = ""
    has_balance: bool = False  # the service tells an account's credit balance

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)


@dataclass
class Submission:
    """What a submit returned: the task id and whatever else resuming needs (no secrets)."""

    task_id: str
    resume: dict = field(default_factory=dict)


@dataclass
class PollStatus:
    state: str  # WAITING, DONE, FAILED or CANCELLED
    fraction: float | None = None
    text: str = ""
    result_url: str | None = None
    result_bytes: bytes | None = None  # services that send the file inline (self-hosted)
    failure: str = ""

    @property
    def has_result(self) -> bool:
        return self.result_url is not None or self.result_bytes is not None


@dataclass(repr=False)
class ProviderConfig:
    """How to reach a provider. Everything has a default; tests shrink the times.

    ``api_key`` is never written anywhere: the dataclass has no repr, and the lifecycle only
    passes it to the HTTP session's headers."""

    online: bool = False
    api_key: str | None = None
    base_url: str | None = None
    allow_loopback_http: bool = False  # tests: http://127.0.0.1 result and API URLs
    poll_interval: float | None = None  # seconds; None = the provider's default
    deadline: float | None = None  # seconds for one polling session; None = provider default
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    max_5xx_retries: int = 3
    max_429_retries: int = 8
    max_transient_retries: int = 3
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    max_download_bytes: int = 512 * 1024 * 1024
    max_zip_entries: int = 200
    late_result_grace: float = 60.0  # how long FINISHED may go without a result URL
    finish: Callable | None = None  # Local provider: TriMesh -> TriMesh (Blender remesh)
    sleep: Callable[[float], None] | None = None  # tests may replace the waiting
    # Batches: a context manager factory, entered around every API request (shared rate limit).
    request_slot: Callable[[Any], Any] | None = None

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback
        return f"ProviderConfig(online={self.online}, base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"

    @classmethod
    def from_env(cls, **overrides) -> "ProviderConfig":
        """Defaults plus the FIGURINE_* environment knobs the CLI and tests use."""
        env = os.environ
        values: dict[str, Any] = {}
        if env.get("FIGURINE_ALLOW_LOOPBACK_HTTP") == "1":
            values["allow_loopback_http"] = True
        for var, name, conv in (("FIGURINE_POLL_INTERVAL", "poll_interval", float),
                                ("FIGURINE_PROVIDER_DEADLINE", "deadline", float),
                                ("FIGURINE_READ_TIMEOUT", "read_timeout", float),
                                ("FIGURINE_CONNECT_TIMEOUT", "connect_timeout", float),
                                ("FIGURINE_BACKOFF_BASE", "backoff_base", float),
                                ("FIGURINE_BACKOFF_MAX", "backoff_max", float),
                                ("FIGURINE_LATE_RESULT_GRACE", "late_result_grace", float),
                                ("FIGURINE_MAX_DOWNLOAD_BYTES", "max_download_bytes", int)):
            if env.get(var):
                try:
                    values[name] = conv(env[var])
                except ValueError:
                    raise BadInputError(f"{var}={env[var]!r} is not a number", hint=f"fix or unset {var}") from None
        values.update(overrides)
        return cls(**values)


class Provider:
    """Base class. Subclasses set the class attributes and implement the four calls."""

    name = ""  # registry name, used on the command line and in job.json
    label = ""  # for people
    remote = True
    key_env = ""  # environment variable holding the API key
    base_url_env = ""  # environment variable overriding the base URL
    default_base_url = ""
    key_help = ""  # where a user gets a key / credits
    default_poll_interval = 10.0
    default_deadline = 20 * 60.0
    capabilities: Capabilities

    def __init__(self, config: ProviderConfig):
        self.config = config

    # -- configuration ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        url = self.config.base_url or (os.environ.get(self.base_url_env) if self.base_url_env else None)
        return (url or self.default_base_url).rstrip("/")

    @property
    def poll_interval(self) -> float:
        return self.config.poll_interval if self.config.poll_interval is not None else self.default_poll_interval

    @property
    def deadline(self) -> float:
        return self.config.deadline if self.config.deadline is not None else self.default_deadline

    def api_key(self) -> str | None:
        key = self.config.api_key or (os.environ.get(self.key_env) if self.key_env else None)
        return key.strip() if key and key.strip() else None

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def cost_hint(self, views: dict, options: dict) -> str:
        return "see the provider's pricing"

    def cost_credits(self, views: dict, options: dict) -> float | None:
        """What one job with these views and options costs in the service's credits, or None
        when the service's price list is not known here."""
        return None

    def describe(self) -> dict:
        caps = self.capabilities
        return {
            "name": self.name,
            "label": self.label,
            "remote": self.remote,
            "views_required": list(caps.views_required),
            "views_optional": list(caps.views_optional),
            "output_formats": list(caps.output_formats),
            "options": [o.describe() for o in caps.options],
            "needs_key": caps.needs_key,
            "key_env": self.key_env or None,
            "base_url_env": self.base_url_env or None,
            "remote_cancel": caps.remote_cancel,
            "has_balance": caps.has_balance,
            "typical_minutes": caps.typical_minutes,
            "cost_hint": self.cost_hint({s: None for s in caps.views_required},
                                        {o.name: o.default for o in caps.options}),
        }

    # -- in-process providers (remote = False) ---------------------------------------------
    def run(self, viewset, slots: list[str], options: dict, folder, *, progress, cancel):
        """Make the mesh here and now, into ``folder``; return its path."""
        raise NotImplementedError

    # -- wire calls (remote providers) -----------------------------------------------------
    def submit(self, http, views: dict[str, bytes], options: dict) -> Submission:
        raise NotImplementedError

    def poll(self, http, task: dict) -> PollStatus:
        raise NotImplementedError

    def balance(self, http) -> float:
        """The account's credit balance (only where ``capabilities.has_balance``); one GET."""
        raise NotImplementedError

    def cancel(self, http, task: dict) -> bool:
        """Ask the service to stop. False = the service has no cancel (local stop only)."""
        return False

    def check_views(self, slots: list[str], options: dict) -> None:
        """Raise BadInputError when a combination of views and options cannot work."""

    def not_found(self, status: int, body: Any, text: str) -> str | None:
        """A provider-specific message for a 404 (the self-hosted server uses 404 for all)."""
        return None
