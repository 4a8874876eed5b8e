# SPDX-License-Identifier: GPL-3.0-or-later
"""Test set-up shared by every test.

* Blender's user folders point into a private temporary folder *before* bpy is imported, so
  no test ever reads or writes the real ~/.config/blender.
* ``figurine_forge`` is importable from the source tree (``addon/``) for core tests; the
  end-to-end tests install the built zip instead (see tests/blender_env.py).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "addon"
OUTPUT = REPO / "test-output"  # screenshots and reports tests keep for people to look at

_USER_ROOT = Path(tempfile.mkdtemp(prefix="figurine-blender-user-"))
for var, sub in (("BLENDER_USER_RESOURCES", "resources"), ("BLENDER_USER_CONFIG", "config"),
                 ("BLENDER_USER_SCRIPTS", "scripts"), ("BLENDER_USER_EXTENSIONS", "extensions"),
                 ("BLENDER_USER_DATAFILES", "datafiles")):
    os.environ[var] = str(_USER_ROOT / sub)
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]
for secret in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "FIGURINE_3DAISTUDIO_KEY", "FAL_KEY", "TRIPO_API_KEY",
               "MESHY_API_KEY", "RODIN_API_KEY"):
    os.environ.pop(secret, None)  # tests set the keys they need, explicitly


def _load_source_package() -> None:
    if "figurine_forge" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "figurine_forge", ADDON / "__init__.py", submodule_search_locations=[str(ADDON)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["figurine_forge"] = module
    spec.loader.exec_module(module)


_load_source_package()
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def blender_user_root() -> Path:
    return _USER_ROOT


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
