# SPDX-License-Identifier: GPL-3.0-or-later
"""Edit a character image with Google's image model ("Nano Banana") through ``google-genai``.

One call edits one image with a prompt, optionally with extra reference images (the front
view when asking for the back). Every way the service can fail ends in a
:class:`~.errors.RemoteError` (or :class:`~.errors.BadInputError` for a missing key or a
bad setting) whose one-line message says what happened and what to do. The API key comes
from the caller (the add-on preferences) or the environment; it is never stored, logged or
put in a message.

Wire facts: docs in ../shared/docs/api-notes.md. Failures that arrive as HTTP 200: a blocked
prompt (no candidates, ``promptFeedback.blockReason``), a blocked output (``finishReason``
IMAGE_SAFETY and friends, no content), text but no image.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import BadInputError, RemoteError

DEFAULT_MODEL = "gemini-2.5-flash-image"
KNOWN_MODELS = ("gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-3.1-flash-image")
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
IMAGE_SIZES = ("1K", "2K", "4K")
MAX_INPUT_BYTES = 7 * 1024 * 1024  # per input image (gemini-2.5-flash-image limit)
MAX_REFERENCES = {"gemini-2.5-flash-image": 3}  # total images incl. the edited one; others: 14
BASE_URL_ENV = ("FIGURINE_GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL")
KEY_ENV = ("GOOGLE_API_KEY", "GEMINI_API_KEY")  # the SDK's order: GOOGLE_API_KEY wins
RETRY_STATUS = (429, 500, 502, 503, 504)
_OUTPUT_BLOCKS = {
    "IMAGE_SAFETY": "the image would break the safety policy",
    "IMAGE_PROHIBITED_CONTENT": "the image would show prohibited content",
    "IMAGE_RECITATION": "the image would copy protected material too closely",
    "IMAGE_OTHER": "the model refused to make the image",
    "NO_IMAGE": "the model made no image",
    "SAFETY": "the answer would break the safety policy",
    "PROHIBITED_CONTENT": "the answer would show prohibited content",
    "RECITATION": "the answer would copy protected material too closely",
    "BLOCKLIST": "the answer contains blocked terms",
    "SPII": "the answer would contain personal information",
    "OTHER": "the model stopped for an unstated reason",
    "MAX_TOKENS": "the answer was cut off at its length limit",
}


@dataclass
class GeminiSettings:
    model: str = DEFAULT_MODEL
    aspect_ratio: str | None = None  # e.g. "3:4"; None keeps the model's choice (the input's)
    image_size: str | None = None  # "1K", "2K", "4K" (gemini-3-pro-image-preview and newer)
    timeout_s: float = 180.0  # image generation takes tens of seconds
    retries: int = 3  # extra attempts after a 429 or 5xx
    backoff_s: float = 4.0  # first wait; doubles each retry
    max_backoff_s: float = 60.0
    base_url: str | None = None  # tests and proxies; else FIGURINE_GEMINI_BASE_URL / GOOGLE_GEMINI_BASE_URL

    def validate(self) -> None:
        if not self.model or any(c in self.model for c in "/?# "):
            raise BadInputError(f"'{self.model}' is not a model name", hint=f"use e.g. {DEFAULT_MODEL}")
        if self.aspect_ratio and self.aspect_ratio not in ASPECT_RATIOS:
            raise BadInputError(f"aspect ratio '{self.aspect_ratio}' is not supported",
                                hint=f"use one of {', '.join(ASPECT_RATIOS)}")
        if self.image_size and self.image_size not in IMAGE_SIZES:
            raise BadInputError(f"image size '{self.image_size}' is not supported",
                                hint=f"use one of {', '.join(IMAGE_SIZES)}")
        if self.timeout_s <= 0:
            raise BadInputError("the timeout must be positive", hint="give seconds, e.g. 180")


@dataclass
class EditResult:
    image: bytes  # encoded, as the service sent it
    mime_type: str
    model: str  # the model version that answered (or the one asked for)
    text: str = ""  # any text the model added
    finish_reason: str = ""
    attempts: int = 1
    seconds: float = 0.0
    usage: dict = field(default_factory=dict)


def resolve_api_key(explicit: str | None = None) -> str:
    """The key from the caller (add-on preferences) or the environment."""
    if explicit and explicit.strip():
        return explicit.strip()
    for var in KEY_ENV:
        value = os.environ.get(var, "").strip()
        if value:
            return value
    raise BadInputError("no Gemini API key is set",
                        hint="enter it in the add-on preferences or set GEMINI_API_KEY (or GOOGLE_API_KEY)")


def _base_url(settings: GeminiSettings) -> str | None:
    if settings.base_url:
        return settings.base_url
    for var in BASE_URL_ENV:
        if os.environ.get(var):
            return os.environ[var]
    return None


def _redact(text: str, key: str) -> str:
    """Service messages sometimes quote the request; never let the key through."""
    text = " ".join(str(text).split())
    if key and key in text:
        text = text.replace(key, "***")
    return text[:300]


def image_part_bytes(source: str | os.PathLike | bytes) -> tuple[bytes, str]:
    """Bytes and MIME type to send for an image: PNG/JPEG/WebP pass through, anything else
    (TIFF, BMP, 16-bit...) and anything over the size limit is re-encoded."""
    from PIL import Image

    from .images.load import load_rgba

    if isinstance(source, (bytes, bytearray)):
        data, label = bytes(source), "image data"
    else:
        path = Path(source)
        label = path.name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BadInputError(f"{path} does not exist", hint="check the file name") from None
        except OSError as exc:
            raise BadInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    rgba = load_rgba(data, name=label)  # refuses non-images and bombs, applies EXIF
    fmt = None
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            rotated = dict(probe.getexif()).get(0x0112, 1) not in (None, 1)
    except Exception:  # noqa: BLE001 - load_rgba already accepted it; re-encode below
        rotated = True
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}.get(fmt or "")
    if mime and not rotated and len(data) <= MAX_INPUT_BYTES:
        return data, mime
    import numpy as np

    arr = np.round(rgba * 255).astype(np.uint8)
    img: Image.Image = Image.fromarray(arr, "RGBA")
    if arr[..., 3].min() == 255:
        img = img.convert("RGB")
    while True:
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        if buf.tell() <= MAX_INPUT_BYTES or max(img.size) <= 512:
            return buf.getvalue(), "image/png"
        img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)), Image.Resampling.LANCZOS)


def edit_image(image: str | os.PathLike | bytes | None, prompt: str, *,
               references: list[str | os.PathLike | bytes] | tuple = (),
               settings: GeminiSettings | None = None, api_key: str | None = None,
               online: bool = True, progress: Callable[[str], None] | None = None,
               sleep: Callable[[float], None] = time.sleep) -> EditResult:
    """Send ``image`` (or none, to create from the prompt alone) and the prompt; return the
    image the model made. ``online`` is the caller's permission to use the network
    (Blender's online access, the CLI's --online)."""
    settings = settings or GeminiSettings()
    settings.validate()
    if not prompt or not prompt.strip():
        raise BadInputError("the prompt is empty", hint="choose a preset or write a prompt")
    if not online:
        raise RemoteError("network access is not allowed, so Gemini cannot be asked",
                          hint="allow online access (Blender: Preferences > System > Network; CLI: --online)")
    key = resolve_api_key(api_key)
    images = ([image] if image is not None else []) + list(references)
    limit = MAX_REFERENCES.get(settings.model, 14)
    if len(images) > limit:
        raise BadInputError(f"{settings.model} takes at most {limit} input images, {len(images)} given",
                            hint="give fewer reference images or choose another model")
    parts_data = [image_part_bytes(src) for src in images]

    from google import genai
    from google.genai import errors as genai_errors
    from google.genai import types

    from .providers.http import call_with_deadline

    http_options = types.HttpOptions(
        base_url=_base_url(settings),
        timeout=int(settings.timeout_s * 1000),  # milliseconds
        # our own loop below retries (with messages and a bounded wait); the SDK must not
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    image_config = None
    if settings.aspect_ratio or settings.image_size:
        image_config = types.ImageConfig(aspect_ratio=settings.aspect_ratio, image_size=settings.image_size)
    config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"], image_config=image_config)
    contents: list = [prompt.strip()] + [types.Part.from_bytes(data=d, mime_type=m) for d, m in parts_data]

    # the client stays referenced for the whole call: a temporary one is closed before the
    # request is sent ("client has been closed")
    client = genai.Client(api_key=key, http_options=http_options)
    started = time.monotonic()
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                # The SDK's timeout is per read; the whole answer must arrive within timeout_s too.
                response = call_with_deadline(
                    lambda: client.models.generate_content(model=settings.model, contents=contents, config=config),
                    time.monotonic() + settings.timeout_s, lambda: TimeoutError("the whole answer took too long"))
                break
            except genai_errors.APIError as exc:
                code = int(getattr(exc, "code", 0) or 0)
                if code in RETRY_STATUS and attempt <= settings.retries:
                    wait = min(settings.max_backoff_s, settings.backoff_s * 2 ** (attempt - 1))
                    if progress:
                        progress(f"Gemini answered {code}; trying again in {wait:g} s "
                                 f"({attempt}/{settings.retries})")
                    sleep(wait)
                    continue
                raise _api_error(exc, key, attempt) from None
            except Exception as exc:  # noqa: BLE001 - sorted into timeout / network below
                raise _transport_error(exc, key, settings) from None
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - closing must not hide the real outcome
            pass
    result = _read_response(response, settings.model, key)
    result.attempts = attempt
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _api_error(exc, key: str, attempts: int) -> RemoteError:
    code = int(getattr(exc, "code", 0) or 0)
    status = str(getattr(exc, "status", "") or "")
    detail = _redact(getattr(exc, "message", "") or "", key)
    tail = f" ({detail})" if detail else ""
    if code in (401, 403):
        return RemoteError(f"Gemini refused the API key (HTTP {code}{', ' + status if status else ''}){tail}",
                           hint="check the key in the add-on preferences or GEMINI_API_KEY, and that the "
                                "Generative Language API is enabled for it")
    if code == 429:
        return RemoteError(f"Gemini's rate limit or quota is exhausted (HTTP 429) after {attempts} attempt(s){tail}",
                           hint="wait a minute and try again, or check the quota and billing of the key")
    if code >= 500:
        return RemoteError(f"Gemini had a server error (HTTP {code}) after {attempts} attempt(s){tail}",
                           hint="the service is having trouble; try again later")
    if code == 404:
        return RemoteError(f"Gemini does not know this model (HTTP 404){tail}",
                           hint=f"check the model name, e.g. {DEFAULT_MODEL}")
    if code == 400:
        return RemoteError(f"Gemini rejected the request (HTTP 400){tail}",
                           hint="check the model, aspect ratio, image size and input images")
    return RemoteError(f"Gemini answered HTTP {code}{tail}", hint="try again later")


def _transport_error(exc: Exception, key: str, settings: GeminiSettings) -> RemoteError:
    # The SDK talks through httpx or its fork httpx2 (separate classes with the same names),
    # so sort by the class names along the hierarchy rather than by importing either.
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"TimeoutException", "TimeoutError", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}:
        return RemoteError(f"Gemini did not answer within {settings.timeout_s:g} s",
                           hint="try again, or allow a longer timeout")
    if names & {"ConnectError", "NetworkError", "ConnectionError", "OSError"}:
        return RemoteError("cannot reach Gemini (no network connection, or the host refused)",
                           hint="check the internet connection and any proxy settings")
    if "HTTPError" in names or "TransportError" in names:
        return RemoteError(f"the connection to Gemini failed ({type(exc).__name__})",
                           hint="check the internet connection and try again")
    return RemoteError(f"Gemini's answer could not be read ({type(exc).__name__}: {_redact(str(exc), key)[:120]})",
                       hint="try again; if it keeps failing, update Figurine Forge")


def _enum_name(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "name", value)).split(".")[-1]


def _read_response(response, model: str, key: str) -> EditResult:
    feedback = getattr(response, "prompt_feedback", None)
    block = _enum_name(getattr(feedback, "block_reason", None)) if feedback else ""
    candidates = list(getattr(response, "candidates", None) or [])
    if block and block != "BLOCKED_REASON_UNSPECIFIED":
        detail = _redact(getattr(feedback, "block_reason_message", "") or "", key)
        return_msg = f"Gemini blocked the prompt ({block}{': ' + detail if detail else ''})"
        raise RemoteError(return_msg, hint="reword the prompt or use other input images")
    if not candidates:
        raise RemoteError("Gemini returned no answer (no candidates)", hint="try again, or reword the prompt")
    cand = candidates[0]
    reason = _enum_name(getattr(cand, "finish_reason", None))
    texts, image, mime = [], None, ""
    content = getattr(cand, "content", None)
    for part in (getattr(content, "parts", None) or []):
        if getattr(part, "thought", False):
            continue  # the model's scratch work, not its answer
        blob = getattr(part, "inline_data", None)
        if blob is not None and getattr(blob, "data", None):
            if image is None:
                image, mime = blob.data, blob.mime_type or ""
        elif getattr(part, "text", None):
            texts.append(part.text.strip())
    text = _redact(" ".join(t for t in texts if t), key)
    if image is None:
        if reason in _OUTPUT_BLOCKS and reason not in ("STOP",):
            said = f" It said: {text[:200]}" if text else ""
            raise RemoteError(f"Gemini made no image: {_OUTPUT_BLOCKS[reason]} (finishReason {reason}).{said}",
                              hint="change the prompt or the input image and try again")
        if text:
            raise RemoteError(f"Gemini answered with text but no image: \"{text[:240]}\"",
                              hint="make the prompt ask for an image, or try again")
        raise RemoteError(f"Gemini's answer holds no image (finishReason {reason or 'none'})",
                          hint="try again, or reword the prompt")
    from .images.load import load_rgba

    try:
        load_rgba(image, name="Gemini's image")  # it must decode before we store it as a version
    except BadInputError as exc:
        raise RemoteError(f"Gemini sent an image that cannot be read ({exc.message})",
                          hint="try again") from None
    usage = getattr(response, "usage_metadata", None)
    usage_dict = {}
    if usage is not None:
        for name in ("prompt_token_count", "candidates_token_count", "total_token_count"):
            value = getattr(usage, name, None)
            if value is not None:
                usage_dict[name.replace("_token_count", "")] = int(value)
    return EditResult(bytes(image), mime or "image/png", getattr(response, "model_version", None) or model,
                      text, reason, usage=usage_dict)


# -- versions in the job folder -------------------------------------------------------------

EDIT_STEP = "ai-edit"


@dataclass
class EditVersion:
    step_index: int
    slot: str
    image: Path  # what the model returned, unchanged
    prepared: Path  # after local preparation: exact gray, framed
    matte: Path
    result: EditResult
    warnings: list[str]


def edit_into_job(job, parent: str | os.PathLike | None, prompt: str, *, slot: str = "front",
                  parent_slot: str | None = None, preset: str | None = None, references: list[str | os.PathLike] | tuple = (),
                  settings: GeminiSettings | None = None, api_key: str | None = None, online: bool = True,
                  size: int = 1024, progress: Callable[[str], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> EditVersion:
    """Run one AI edit and keep it as a new version (step folder) of ``job``.

    The step's parameters record the provenance: model, prompt, preset, parent image and
    references (paths inside the job; files from outside are copied into ``inputs/`` first)
    and the time. Nothing earlier is overwritten. The result is then prepared locally
    (exact #BEBEBE, framing) next to the untouched original. ``parent_slot`` is the view the
    parent image shows (default: ``slot``); a parent from outside the job is filed under it, so a
    front image turned into a side view is kept as the front input, not as the side's."""
    from . import atomic
    from .images import ALL_VIEW_SLOTS as VIEW_SLOTS  # the diagonals too
    from .images.load import load_rgba
    from .images.prepare import prepare_single
    from .jobstore import now_iso

    settings = settings or GeminiSettings()
    settings.validate()
    if slot not in VIEW_SLOTS:
        raise BadInputError(f"unknown view slot '{slot}'", hint=f"use {', '.join(VIEW_SLOTS)}")

    def in_job(path, role: str) -> str:
        path = Path(path).absolute()
        try:
            return path.resolve().relative_to(job.root.resolve()).as_posix()
        except ValueError:
            copied = job.add_input(role, path)
            return copied.relative_to(job.root).as_posix()

    if (parent_slot or slot) not in VIEW_SLOTS:
        raise BadInputError(f"unknown view slot '{parent_slot}'", hint=f"use {', '.join(VIEW_SLOTS)}")
    parent_rel = in_job(parent, parent_slot or slot) if parent is not None else None
    ref_rels = [in_job(r, f"reference{i + 1}") for i, r in enumerate(references)]
    params = {"slot": slot, "preset": preset, "model": settings.model, "prompt": prompt,
              "parent": parent_rel, "references": ref_rels, "aspect_ratio": settings.aspect_ratio,
              "image_size": settings.image_size, "requested": now_iso()}
    step = job.begin_step(EDIT_STEP, params)
    try:
        result = edit_image(job.root / parent_rel if parent_rel else None, prompt,
                            references=[job.root / r for r in ref_rels], settings=settings,
                            api_key=api_key, online=online, progress=progress, sleep=sleep)
        ext = {"image/jpeg": ".jpg", "image/webp": ".webp"}.get(result.mime_type, ".png")
        raw = atomic.write_bytes(step.path(f"result{ext}"), result.image)
        prepared_set = prepare_single(load_rgba(result.image, name="Gemini's image"), slot, size)
        files = prepared_set.save(step.folder)
    except BaseException as exc:
        message = exc.one_line() if hasattr(exc, "one_line") else f"{type(exc).__name__}"
        job.fail_step(step, message, status="cancelled" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    warnings = list(prepared_set.warnings)
    job.finish_step(step, {"image": raw, "prepared": files[slot], "matte": files[f"{slot}_matte"]}, {
        "model": result.model, "finished": now_iso(), "text": result.text,
        "finish_reason": result.finish_reason, "attempts": result.attempts, "seconds": result.seconds,
        "usage": result.usage, "warnings": warnings,
    })
    return EditVersion(step.index, slot, raw, files[slot], files[f"{slot}_matte"], result, warnings)


def list_versions(job, slot: str | None = None) -> list[dict]:
    """The finished AI edits of a job (oldest first), each with its step entry's provenance."""
    out = []
    for entry in job.steps:
        if entry.get("name") == EDIT_STEP and entry.get("status") == "done":
            if slot is None or entry.get("params", {}).get("slot") == slot:
                out.append(entry)
    return out
