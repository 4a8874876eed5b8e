# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place the version lives; the build checks blender_manifest.toml agrees."""

VERSION = "0.1.0"
