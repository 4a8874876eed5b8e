#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Make one venv per Blender version of the test matrix (scripts/blender_matrix.txt): Blender as
# a Python module (bpy) with the numpy that Blender version ships, nothing else: the add-on's
# own packages come from the wheels bundled in its zip, as in a user's Blender.
#
#   scripts/setup_matrix.sh            # every venv of the matrix; prints the folder of each
#   scripts/setup_matrix.sh bpy-4.2.23 # only those named
#
# The venvs live in a cache outside the clone ($FIGURINE_CACHE, default ~/.cache/figurine-forge),
# so a fresh clone reuses them; a stamp per venv (its matrix line) makes a second run a no-op.
# Prints "NAME SECONDS" timings on stderr. Needs python3.11 and python3.13 (pyenv works too).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${FIGURINE_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/figurine-forge}
mkdir -p "$CACHE/venvs"

interpreter() {  # interpreter 3.13 -> a command that runs that Python, or nothing
  local want=$1 cand
  if command -v pyenv >/dev/null; then
    local v
    v=$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -V | tail -1 || true)
    if [[ -n $v ]]; then echo "env PYENV_VERSION=$v $(pyenv root)/versions/$v/bin/python$want"; return; fi
  fi
  for cand in "python$want" python3; do
    if command -v "$cand" >/dev/null &&
       "$cand" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$want')"; then
      echo "$cand"; return
    fi
  done
}

make_venv() {  # make_venv NAME BPY PYTHON NUMPY
  local name=$1 bpy=$2 py=$3 numpy=$4
  local dir=$CACHE/venvs/$name stamp want start py_cmd
  stamp=$dir/.figurine-matrix
  want="$name $bpy $py $numpy"
  exec 8>"$CACHE/venvs/.$name.lock"
  flock 8  # two test runs at once: the second waits, then finds the venv ready
  if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $dir/bin/python ]]; then
    echo "setup_matrix: $name ready (cached) in $dir" >&2
    exec 8>&-
    return 0
  fi
  py_cmd=$(interpreter "$py")
  if [[ -z $py_cmd ]]; then
    echo "setup_matrix: $name needs Python $py (bpy $bpy is built for it): install python$py or pyenv install $py" >&2
    exit 2
  fi
  start=$(date +%s)
  echo "setup_matrix: creating $name (bpy $bpy, Python $py) in $dir" >&2
  rm -rf "$dir"
  $py_cmd -m venv "$dir"
  local pins=("bpy==$bpy")
  [[ $numpy != - ]] && pins+=("numpy==$numpy")
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
  "$dir/bin/python" -c 'import bpy, numpy; print("setup_matrix:", bpy.app.version_string, "numpy", numpy.__version__)' >&2
  echo "$want" > "$stamp"
  echo "$(( $(date +%s) - start ))" > "$dir/.figurine-install-seconds"  # for docs/compatibility.md
  echo "setup_matrix: $name installed in $(( $(date +%s) - start )) s" >&2
  exec 8>&-
}

names=("$@")
while read -r name bpy py numpy; do
  [[ -z $name || $name == \#* ]] && continue
  if (( ${#names[@]} )) && [[ ! " ${names[*]} " == *" $name "* ]]; then continue; fi
  make_venv "$name" "$bpy" "$py" "$numpy"
  echo "$CACHE/venvs/$name"
done < scripts/blender_matrix.txt
