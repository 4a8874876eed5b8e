#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Figurine Forge headless companion.

    python scripts/figurine.py COMMAND ...                 (Python 3.11 with the bpy module)
    blender -b -P scripts/figurine.py -- COMMAND ...       (any Blender 4.2+)

Both forms run the same code: the extension's package in ../addon, loaded as
``figurine_forge``. ``--help`` lists the commands.
"""

import importlib.util
import os
import signal
import sys


# -- Ctrl-C and SIGTERM: exit 5 with one line, at any moment ---------------------------------
# Installed first, before the package or Blender loads: a KeyboardInterrupt raised inside
# Blender's start-up or an operator is printed and swallowed there (the run went on), or
# leaves Blender half-initialised (it crashed on exit). Instead the process stops at once:
# temporary files being written are removed, job locks released, and os._exit skips
# Blender's teardown. Files already finished stay; a step left "running" in job.json is
# marked interrupted the next time the job is opened.
_SIGNALS = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}
try:
    _STDOUT_FD: int | None = os.dup(1)  # the real stdout, even while Blender's chatter goes to stderr
except OSError:  # started with stdout closed
    _STDOUT_FD = None


def _stop(signum, _frame) -> None:
    for module, cleanup in (("figurine_forge.core.atomic", "discard_pending"),
                            ("figurine_forge.core.jobstore", "release_locks")):
        try:
            getattr(sys.modules[module], cleanup)()
        except Exception:  # not loaded yet, or already gone: nothing to clean
            pass
    argv = _argv()
    command = next((a for a in argv if not a.startswith("-")), "")
    if command in ("generate", "resume"):  # a paid task may be running remotely: say how to get it
        hint = (f"; a generation already sent stays in the job: `figurine resume {_job_folder(argv, command)} "
                f"--online` finishes it")
    else:
        hint = "; finished files are kept, nothing half-written"
    os.write(2, f"figurine: cancelled by {_SIGNALS.get(signum, signum)}{hint}\n".encode())
    if "--json" in argv and _STDOUT_FD is not None:
        os.write(_STDOUT_FD, b'{"ok": false, "error": "cancelled", "exit_code": 5}\n')
    os._exit(5)


def _job_folder(argv: list, command: str) -> str:
    if command == "generate" and "--out" in argv[:-1]:
        return argv[argv.index("--out") + 1]
    rest = [a for a in argv[argv.index(command) + 1:] if not a.startswith("-")]
    return rest[0] if command == "resume" and rest else "JOB_DIR"


def install_interrupt_handlers() -> None:
    for signum in _SIGNALS:
        signal.signal(signum, _stop)

ADDON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "addon")


def load_package():
    if "figurine_forge" in sys.modules:
        return sys.modules["figurine_forge"]
    init = os.path.join(ADDON_DIR, "__init__.py")
    spec = importlib.util.spec_from_file_location("figurine_forge", init,
                                                  submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["figurine_forge"] = module
    spec.loader.exec_module(module)
    return module


def _argv() -> list:
    # Under Blender, sys.argv is Blender's own command line; ours follows "--".
    inside_blender = "bpy" in sys.modules and not sys.argv[0].endswith("figurine.py")
    if "--" in sys.argv:
        return sys.argv[sys.argv.index("--") + 1:]
    return [] if inside_blender else sys.argv[1:]


if __name__ == "__main__":  # before anything slow loads (the package, then bpy)
    install_interrupt_handlers()


def main() -> int:
    try:
        load_package()
        from figurine_forge.cli import main as cli_main
    except Exception as exc:  # a broken install: say so, and never exit 0 (Blender would)
        import traceback

        traceback.print_exc()
        sys.stderr.write(f"figurine: error: cannot load Figurine Forge from {ADDON_DIR}: {exc}\n")
        return 3
    return cli_main(_argv())


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # In Blender, sys.exit ends the process with this code (see tests/test_cli_real_blender.py).
    sys.exit(code)
