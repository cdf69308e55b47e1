#!/usr/bin/env bash
# Runs tests/benchmarks/, prints a table and writes .bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen LANG=C.UTF-8
exec .venv/bin/python -m tests.benchmarks "$@"
