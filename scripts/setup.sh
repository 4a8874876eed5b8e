#!/usr/bin/env bash
# Create or refresh .venv (Python 3.11) with everything the demo and the tests need.
# Idempotent: a second run with unchanged requirements only checks a stamp and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [[ -z $PY ]]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
if [[ -z $PY ]]; then
  echo "setup: Python 3.11 is required (bpy 5.0 is built for it). On Debian/Ubuntu: apt-get install python3.11 python3.11-venv" >&2
  exit 2
fi
stamp=.venv/.figurine-setup
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -x .venv/bin/python ]]; then
  exit 0
fi
echo "setup: creating .venv with $PY (one time, a few minutes)" >&2
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -c 'import bpy, numpy, PIL, httpx, google.genai' 
echo "$want" > "$stamp"
echo "setup: .venv ready" >&2
