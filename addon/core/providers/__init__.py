# SPDX-License-Identifier: GPL-3.0-or-later
"""3D generation providers behind one interface, and the job lifecycle that drives them.

What callers (CLI commands, Blender operators through a worker thread) use::

    from figurine_forge.core import providers
    providers.list_providers()                       # capabilities of every provider
    cfg = providers.ProviderConfig(online=True, api_key=key_from_preferences)
    result = providers.generate(job, "3daistudio", viewset, options={...}, config=cfg,
                                progress=callback, cancel=event)
    result = providers.resume(job, config=cfg, progress=callback, cancel=event)
    providers.pending_tasks(job); providers.cancel_task(job, config=cfg)
    providers.account_balance("3daistudio", config=cfg)   # credits left and one job's cost

See ``lifecycle.py`` for the threading, progress and cancel contract.
"""

from .base import Capabilities, OptionSpec, PollStatus, Provider, ProviderConfig, Submission
from .lifecycle import GenerateResult, account_balance, cancel_task, generate, pending_tasks, resume
from .registry import DEFAULT_PROVIDER, get_provider, list_providers, provider_names

__all__ = [
    "Capabilities", "OptionSpec", "PollStatus", "Provider", "ProviderConfig", "Submission",
    "GenerateResult", "account_balance", "cancel_task", "generate", "pending_tasks", "resume",
    "DEFAULT_PROVIDER", "get_provider", "list_providers", "provider_names",
]
