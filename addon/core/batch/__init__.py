# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch conversion (``figurine batch``): no Blender in here.

``characters`` finds the characters of an input folder or manifest; ``state`` keeps
``batch.json``; ``runner`` starts each character in its own process (here or on Dask) and
records how it ended; ``ratelimit`` shares a provider's request budget between processes;
``credits`` keeps the spending cap; ``index`` writes the summary and ``index.html``;
``progress`` draws the progress line. The per-character work (bpy) is ``cli/batch_worker.py``.
"""

from .characters import Character, discover
from .progress import ProgressBar
from .runner import BatchRunner, BatchSettings
from .state import BatchState

__all__ = ["BatchRunner", "BatchSettings", "BatchState", "Character", "ProgressBar", "discover"]
