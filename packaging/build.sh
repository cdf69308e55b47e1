#!/usr/bin/env bash
# Builds the one-folder bundle dist/kiosk/ (the `kiosk` executable and _internal/) with
# PyInstaller, installed into the project's own .venv, and writes dist/kiosk-size.txt.
# SOURCE_DATE_EPOCH (default: the last commit's time) and a fixed hash seed make two builds
# of one commit byte for byte the same (packaging/check-reproducible.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || bash scripts/setup.sh
# What the build itself needs from Debian: strip (binutils), the .deb's tools, and the
# Wayland client libraries Qt's Wayland plugins link to (the kiosk runs under cage), so
# that dpkg-shlibdeps can name their packages.
BUILD_DEBS=(binutils dpkg-dev fakeroot libwayland-client0 libwayland-cursor0 libwayland-egl1)
missing=()
for pkg in "${BUILD_DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2; exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/packaging.txt
if [ -f kiosk/catalogues.py ]; then  # trees from before the languages have none
  .venv/bin/python -m kiosk.catalogues compile
fi

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
export SOURCE_DATE_EPOCH PYTHONHASHSEED=0
# resources/ is the package kiosk_resources (pyproject.toml maps it); PyInstaller's import
# scan reads folders, not that mapping, so it gets a folder of that name.
mkdir -p build/pyi-src
ln -sfn ../../resources build/pyi-src/kiosk_resources
DIST=${KIOSK_DIST:-dist}
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath build/pyinstaller packaging/kiosk.spec
# Debug symbols off, but not in the *.libs folders: auditwheel's patchelf-ed libraries
# (OpenBLAS among them) stop loading when stripped ("ELF load command ... not page-aligned").
if command -v strip >/dev/null 2>&1; then
  find "$DIST/kiosk" -type f \( -name '*.so' -o -name '*.so.*' -o -name kiosk \) -not -path '*.libs/*' \
    -exec strip --strip-unneeded {} + 2>/dev/null || true
fi
.venv/bin/python packaging/size_report.py "$DIST/kiosk" | tee "$DIST/kiosk-size.txt"
