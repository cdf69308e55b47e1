#!/usr/bin/env bash
# The whole test suite, headless. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The quick lane (-m "not slow") tries fewer random examples per property test (the dev
# profile, tests/conftest.py) and spreads its files over both cores; CI and the plain
# command run the full ci profile in one process (its timing tests want a quiet machine).
profile=ci
lanes=()
for arg in "$@"; do
  if [[ "$arg" == *"not slow"* ]]; then profile=dev; lanes=(-n 2 --dist loadfile); fi
done
export QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-$profile}
exec .venv/bin/python -m pytest "${lanes[@]}" "$@"
