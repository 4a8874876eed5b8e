# SPDX-License-Identifier: GPL-3.0-or-later
"""A zip holding a model and its textures (as services deliver them) opened like the model.

The archive is unpacked with the providers' safe extraction (``providers.results``): every
entry checked before anything is written (no absolute path, no ``..``, no link), a cap on the
entry count and on the unpacked bytes enforced while reading. The richest mesh inside is
picked the same way as for a downloaded result; its textures stay beside it in the folder.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import BadInputError, RemoteError

MAX_UNPACKED_BYTES = 2 << 30  # 2 GB: far above any figure with its textures
MAX_ENTRIES = 5000


def extract_model(archive: Path, folder: Path) -> tuple[Path, str]:
    """Unpack ``archive`` into ``folder`` (which the caller owns and removes) and return the
    model file inside and its format. Raises BadInputError for an unsafe or modelless zip."""
    from ..providers.results import pick_mesh, safe_extract

    label = archive.name
    try:
        extracted = safe_extract(archive, folder, label=label, max_bytes=MAX_UNPACKED_BYTES,
                                 max_entries=MAX_ENTRIES)
        return pick_mesh(extracted, label=label)
    except RemoteError as exc:  # the same checks, but the user gave this file: bad input (exit 2)
        raise BadInputError(f"{label}: {exc.message}",
                            hint="unpack it yourself and give the model file inside") from None
