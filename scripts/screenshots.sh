#!/usr/bin/env bash
# Screenshots of the cashier window's main states under Xvfb (installed if missing,
# as root), into OUT (default: screenshots/): OUT/1366x768 and OUT/1920x1080-200 (the
# same screen at QT_SCALE_FACTOR=2, what a store that wants it bigger sets). Not part
# of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-screenshots}
bash scripts/setup.sh >/dev/null
if ! command -v xvfb-run >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "xvfb-run is missing: sudo apt-get install xvfb xauth" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
fi
unset QT_QPA_PLATFORM
xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m ui.screenshots "$OUT/1366x768"
QT_SCALE_FACTOR=2 xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m ui.screenshots "$OUT/1920x1080-200"
# The self-service kiosk (kiosk --mode selfservice), full screen, and at 1366x768.
xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m ui.screenshots "$OUT/kiosk-1920x1080" selfservice
xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m ui.screenshots "$OUT/kiosk-1366x768" selfservice
