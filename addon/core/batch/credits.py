# SPDX-License-Identifier: GPL-3.0-or-later
"""The spending cap of a batch (``--max-credits``), applied to all its characters together.

The batch process reserves a character's estimated cost before it starts the character, and
only when the character's job folder holds no submitted task (a task already paid for is
resumed, not paid again). A reservation that would pass the cap is refused: that character
is recorded as failed ("not started"). A reservation whose character never submitted (it
failed before paying) is released. The ledger lives in ``batch.json`` (``credits``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import BadInputError


def estimate_credits(provider_name: str, views: list[str], options: dict) -> float | None:
    """The provider's own price estimate for one generation, or None when it has no figure."""
    from ..providers import registry
    from ..providers.base import ProviderConfig
    from ..providers.lifecycle import check_request

    provider = registry.get_provider(provider_name, ProviderConfig())
    if not provider.remote:
        return 0.0
    send, parsed, _ = check_request(provider, views, options)
    m = re.search(r"(\d+(?:\.\d+)?)\s*credits", provider.cost_hint({s: None for s in send}, parsed))
    return float(m.group(1)) if m else None


def job_has_task(job_dir: Path) -> bool:
    """True when the job folder records a generation task (pending or finished): no new payment."""
    try:
        manifest = json.loads((job_dir / "job.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    tasks = manifest.get("tasks") or {}
    return any(t.get("state") in ("submitted", "interrupted", "finished") for t in tasks.values())


class CreditLedger:
    def __init__(self, state: dict, cap: float | None):
        self.cap = cap
        self.book: dict[str, float] = state.setdefault("credits", {})

    @property
    def committed(self) -> float:
        return float(sum(self.book.values()))

    def reserve(self, name: str, amount: float | None, provider: str) -> None:
        """Book ``amount`` for ``name``; BadInputError when it would pass the cap."""
        if name in self.book:
            return  # booked by an earlier run (its task is being resumed)
        if self.cap is None:
            self.book[name] = float(amount or 0.0)
            return
        if amount is None:
            raise BadInputError(f"the cost of {provider} is unknown, so --max-credits cannot be kept",
                                hint="run without --max-credits, or choose a provider with a price estimate")
        if self.committed + amount > self.cap + 1e-9:
            raise BadInputError(
                f"not started: {amount:g} more credits would pass --max-credits {self.cap:g} "
                f"({self.committed:g} already committed)", hint="raise --max-credits to convert it")
        self.book[name] = float(amount)

    def release(self, name: str) -> None:
        self.book.pop(name, None)
