# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake 3D generation services on 127.0.0.1 for the provider tests."""
