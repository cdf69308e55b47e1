#!/usr/bin/env bash
# Installs everything Kiosk needs on a Debian machine: system libraries (as
# root), a virtual environment in .venv, and the exact Python versions that CI
# tested (requirements/*.txt). Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  python3 python3-venv
  # pyzbar loads the system zbar library.
  libzbar0
  # Qt offscreen and xcb platforms (measured on a clean Debian 12; docs/architecture.md).
  libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1
  fonts-dejavu-core
  # Arabic: DejaVu has the letters, Noto's UI faces shape and space them properly.
  fonts-noto-ui-core
)
REQ=${KIOSK_REQUIREMENTS:-requirements/dev.txt}
if [ "$REQ" != requirements/runtime.txt ]; then
  # The tests also run the window on a real X server, with and without a window
  # manager, typing as a USB hand scanner does (tests/test_ui_x11.py).
  DEBS+=(xvfb xauth openbox xdotool x11-xkb-utils)
  # The catalogue checks run GNU msgfmt --check (tests/test_catalogues.py).
  DEBS+=(gettext)
  # The speech checks render every announcement to a WAV (tests/test_speech.py); the .deb
  # only Recommends it (and speech-dispatcher), as a kiosk without speech still works.
  DEBS+=(espeak-ng)
  # The installer's checks: systemd-analyze for the units, and what packaging/build.sh and
  # build-deb.sh need (strip, dpkg-shlibdeps, fakeroot, the Wayland libraries Qt links to).
  DEBS+=(systemd binutils dpkg-dev fakeroot libwayland-client0 libwayland-cursor0 libwayland-egl1)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}. Run this script as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.kiosk-installed
want="$(cat "$REQ" requirements/runtime.txt requirements/build.txt requirements/packaging.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/build.txt
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
  if [ "$REQ" != requirements/runtime.txt ]; then  # the suite builds the bundle (tests/test_packaging_bundle.py)
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/packaging.txt
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
# The catalogues' .po files are the source; the screens read compiled .mo files.
.venv/bin/python -m kiosk.catalogues compile
