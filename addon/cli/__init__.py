# SPDX-License-Identifier: GPL-3.0-or-later
"""The headless companion: ``figurine <command> ...``.

``scripts/figurine.py`` loads this package and calls :func:`main`, both under
``blender -b -P scripts/figurine.py -- ARGS`` and as ``python scripts/figurine.py ARGS`` with
the bpy module. Each command lives in its own module (``cmd_*.py``) with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``execute(args, out) -> int``; adding a command is adding a module
and one line in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..core.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_INTERNAL, FigurineError
from .output import Output

COMMAND_MODULES = [
    "cmd_run",
    "cmd_check",
    "cmd_export",
    "cmd_sample",
    "cmd_prepare", "cmd_edit",
    "cmd_generate", "cmd_resume", "cmd_providers",
    "cmd_review",
    "cmd_repair",
    "cmd_batch",
    "cmd_make",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 already; keep our one-line style
        self.print_usage(sys.stderr)
        sys.stderr.write(f"figurine: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = _Parser(
        prog="figurine",
        description="Figurine Forge headless companion: character views to a printable miniature.",
        epilog="Run as `python scripts/figurine.py ...` (bpy module) or "
               "`blender -b -P scripts/figurine.py -- ...`. Exit codes: 0 ok, 1 print check failed, "
               "2 bad input, 3 internal error, 4 remote service error, 5 cancelled.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = {}
    for name in COMMAND_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.add_argument("--json", action="store_true", help="print one machine-readable JSON object on stdout")
        sub.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        modules[module.NAME] = module
    return parser, modules


def main(argv: list[str]) -> int:
    parser, modules = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    out = Output(json_mode=args.json, quiet=args.quiet)
    from ..core import jobstore

    was_locking = jobstore.enable_locking()  # one command, one writer per job folder
    try:
        return _execute(modules[args.command], args, out)
    finally:  # the command is over: its job folders are free (also when main runs in-process)
        jobstore.release_locks()
        jobstore.enable_locking(was_locking)


def _execute(module, args, out: Output) -> int:
    try:
        code = module.execute(args, out)
    except FigurineError as exc:
        out.error(exc.one_line())
        out.finish({"ok": False, "error": exc.one_line(), "exit_code": exc.exit_code})
        return exc.exit_code
    except KeyboardInterrupt:
        out.error("cancelled by Ctrl-C")
        out.finish({"ok": False, "error": "cancelled", "exit_code": EXIT_CANCELLED})
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: say so plainly, keep the traceback on stderr
        import traceback

        traceback.print_exc()
        out.error(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        out.finish({"ok": False, "error": f"internal error: {type(exc).__name__}", "exit_code": EXIT_INTERNAL})
        return EXIT_INTERNAL
    return code
