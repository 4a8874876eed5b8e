# SPDX-License-Identifier: GPL-3.0-or-later
"""What every operator shares: turning core errors into Blender reports."""

from __future__ import annotations

import functools
import traceback

from ...core.errors import FigurineError


def reports_errors(execute):
    """Wrap ``execute`` so a FigurineError becomes an error report and CANCELLED, and an
    unexpected exception is reported (with its traceback on the console) instead of
    escaping into Blender."""

    @functools.wraps(execute)
    def wrapper(self, context):
        try:
            return execute(self, context)
        except FigurineError as exc:
            self.report({"ERROR"}, exc.one_line())
            return {"CANCELLED"}
        except Exception as exc:  # keep Blender running; the console has the details
            traceback.print_exc()
            self.report({"ERROR"}, f"Figurine Forge internal error: {type(exc).__name__}: {exc}")
            return {"CANCELLED"}

    return wrapper


def abspath(path: str) -> str:
    import bpy

    return bpy.path.abspath(path) if path else ""
