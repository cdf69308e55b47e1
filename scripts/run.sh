#!/usr/bin/env bash
# Starts Kiosk. With no backend configured it runs on the embedded sandbox with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what running needs (requirements/runtime.txt), not the test tools of requirements/dev.txt.
KIOSK_REQUIREMENTS=requirements/runtime.txt bash scripts/setup.sh
export LANG=${LANG:-C.UTF-8}
exec .venv/bin/kiosk "$@"
