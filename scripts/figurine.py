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
import sys

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
