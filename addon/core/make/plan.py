# SPDX-License-Identifier: GPL-3.0-or-later
"""What ``figurine make`` was asked to do, kept in the job so ``resume`` can finish it.

The plan is written into ``job.json`` (``make.plan``) before anything is paid for; a resumed
make reads it back instead of the command line, so it finishes the same figure."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import BadInputError

# The AI steps on the front image, in the workflow's order (preset names in presets_builtin.json).
AI_STEPS = ("cinematic", "simplify-pose", "gray-background", "round-base")
CREATE_PRESET = "create-character"
# The preset that draws each missing view from the front.
VIEW_PRESETS = {"back": "rear-view", "left": "left-view", "right": "right-view"}
DEFAULT_PROVIDER = "3daistudio"
# The workflow's 3D model: 3D AI Studio's "Hunyuan 3.0 (Multi-view)".
DEFAULT_OPTIONS = {"3daistudio": {"model": "3.0"}}
PROVIDER_MODEL_NAMES = {("3daistudio", "3.0"): "Hunyuan 3.0 (Multi-view)",
                        ("3daistudio", "3.1"): "Hunyuan 3.1 (Multi-view)"}


@dataclass
class MakePlan:
    prompt: str | None = None  # describe a character: Gemini creates the front view
    photo: str | None = None  # job-relative path of the photo or image to start from
    views: dict[str, str] = field(default_factory=dict)  # job-relative given views by slot
    ai_steps: list[str] = field(default_factory=list)  # presets applied to the front, in order
    provider: str = DEFAULT_PROVIDER
    options: dict[str, str] = field(default_factory=dict)
    attempts: int = 1  # paid generations at most
    max_credits: float | None = None
    view_tries: int = 3  # Gemini calls per missing view at most (the first and the retries)
    height_mm: float = 32.0
    base: str | None = "round25"
    digital: bool = False  # also a textured GLB
    size: int = 1024
    gemini_model: str | None = None

    def __post_init__(self) -> None:
        starts = [x for x in (self.prompt, self.photo, self.views.get("front")) if x]
        if len(starts) != 1:
            raise BadInputError("make starts from exactly one of --prompt, --photo or --front",
                                hint="give one of them (the other views are drawn from the front)")
        if self.attempts < 1:
            raise BadInputError(f"--attempts {self.attempts} is less than one", hint="use 1 or more")
        if self.max_credits is not None and self.max_credits <= 0:
            raise BadInputError(f"--max-credits {self.max_credits:g} allows nothing", hint="give a positive number")
        if self.view_tries < 1:
            raise BadInputError(f"--view-tries {self.view_tries} is less than one", hint="use 1 or more")
        if not 5.0 <= self.height_mm <= 1000.0:
            raise BadInputError(f"--height {self.height_mm:g} mm is not a figurine height", hint="use 5 to 1000 mm")
        unknown = [s for s in self.ai_steps if s not in AI_STEPS]
        if unknown:
            raise BadInputError(f"unknown AI step(s) {', '.join(unknown)}", hint=f"use {', '.join(AI_STEPS)}")

    @property
    def model_name(self) -> str:
        """The 3D model in the workflow's words ("3D AI Studio, Hunyuan 3.0 (Multi-view)")."""
        version = self.options.get("model", "")
        named = PROVIDER_MODEL_NAMES.get((self.provider, version))
        return named or (f"{self.provider} model {version}" if version else self.provider)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MakePlan":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def default_ai_steps(start: str) -> list[str]:
    """The workflow's AI steps for a start: all of them from a prompt or a photo; none for views
    the user drew or prepared already."""
    return list(AI_STEPS) if start in ("prompt", "photo") else []
