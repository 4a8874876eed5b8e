#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# System packages the test suite needs beyond the Python venv: Debian's Chromium, which the
# review tests use to render report.html headless and keep a screenshot. Idempotent: does
# nothing when Chromium is already installed. Needs root (apt-get), as CI has.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "install_test_deps: chromium already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_test_deps: need root to apt-get install chromium — run with sudo" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
