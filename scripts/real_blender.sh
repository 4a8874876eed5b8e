#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A real Blender binary for the tests when the machine has none: Debian trixie's Blender
# package (4.3, Python 3.13) installed in a chroot kept in a cache folder, made on first use.
#
#   scripts/real_blender.sh [BLENDER ARGS...]     # e.g. -b --factory-startup -P x.py -- ...
#   scripts/real_blender.sh --xvfb [BLENDER ARGS...]  # the GUI on a virtual 1600x900 screen
#   scripts/real_blender.sh --shell CMD...        # any command inside the chroot
#   scripts/real_blender.sh --provision           # only make the chroot (a few minutes, ~1.5 GB)
#
# Tests find a Blender in this order (tests/blender_env.py): $BLENDER, `blender` on PATH, this
# script. Inside, the current folder, the clone and the folder holding it, /tmp and $HOME have
# the same paths as outside, so file arguments work unchanged. Under --xvfb, ImageMagick's
# `import -window root FILE.png` takes a screenshot (Blender's own is black there).
# Needs root (debootstrap, chroot, mounts) and Debian's package mirror; only one provisioning
# runs at a time (flock), later callers wait for it and reuse the result.
# $FIGURINE_BLENDER_CHROOT overrides the folder (default /var/cache/figurine-forge/blender-trixie).
set -euo pipefail
CHROOT=${FIGURINE_BLENDER_CHROOT:-/var/cache/figurine-forge/blender-trixie}
MIRROR=${FIGURINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CLONE=$(cd "$(dirname "$0")/.." && pwd -P)
# Blender and numpy (official Blender builds bundle numpy; Debian's package only recommends
# it), a virtual screen and a screenshot tool, Mesa for software GL (EGL: background renders),
# pytest for pytest-blender (tests/in_blender inside Blender's own Python), and Pillow for the
# headless CLI run from the source tree (`blender -b -P scripts/figurine.py`), which has no zip
# and its wheels (the installed add-on's own wheels come first on sys.path).
PACKAGES=(blender python3-numpy python3-pil xvfb xauth imagemagick libgl1-mesa-dri libegl1 libegl-mesa0
          python3-pytest ca-certificates)

# Ready when Blender is there and the marker names this package list (a changed list installs again).
ready() { [[ -x $CHROOT/usr/bin/blender && $(cat "$CHROOT/.figurine-ready" 2>/dev/null) == "${PACKAGES[*]}" ]]; }

provision() {
  ready && return 0
  mkdir -p "$(dirname "$CHROOT")"
  exec 7>"$CHROOT.lock"
  flock 7  # another caller may be provisioning: wait, then find it ready
  if ready; then exec 7>&-; return 0; fi
  local start=$SECONDS
  echo "real_blender: making $CHROOT with Debian's Blender (one time, a few minutes)" >&2
  if ! command -v debootstrap >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap >/dev/null
  fi
  if [[ ! -x $CHROOT/usr/bin/apt-get ]]; then
    rm -rf "$CHROOT"
    debootstrap --variant=minbase trixie "$CHROOT" "$MIRROR" >/dev/null
  fi
  chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES[*]} >/dev/null"
  echo "${PACKAGES[*]}" > "$CHROOT/.figurine-ready"
  echo "real_blender: $CHROOT ready in $((SECONDS - start)) s" >&2
  exec 7>&-
}

enter() {  # enter USE_XVFB CMD...: run CMD in the chroot, in a private mount namespace
  local xvfb=$1; shift
  local here; here=$(pwd -P)
  local shared=(/proc /dev /sys /tmp "$CLONE" "$(dirname "$CLONE")" "$here" "$(dirname "$here")")
  [[ -n ${HOME:-} && -d $HOME ]] && shared+=("$HOME")
  unshare --mount --propagation private bash -s "$CHROOT" "$here" "$xvfb" "${HOME:-/root}" "${shared[@]}" -- "$@" <<'INSIDE'
set -e
root=$1 here=$2 xvfb=$3 home=$4; shift 4
while [[ $1 != -- ]]; do
  d=$1; shift
  [[ $d == / || -z $d ]] && continue  # never bind the whole machine into itself
  if ! mountpoint -q "$root$d"; then mkdir -p "$root$d" && mount --rbind "$d" "$root$d"; fi
done
shift
exec chroot "$root" /usr/bin/env HOME="$home" LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
  bash -c 'cd "$1"; shift; if [[ $1 == 1 ]]; then shift; exec xvfb-run -a -s "-screen 0 1600x900x24" "$@"; fi; shift; exec "$@"' \
  inside "$here" "$xvfb" "$@"
INSIDE
}

if [[ $(id -u) != 0 ]]; then
  echo "real_blender: needs root to make and enter the chroot; or point \$BLENDER at a Blender binary" >&2
  exit 2
fi
case "${1:-}" in
  --provision) provision ;;
  --shell) shift; provision; enter 0 "$@" ;;
  --xvfb) shift; provision; enter 1 blender "$@" ;;
  *) provision; enter 0 blender "$@" ;;
esac
