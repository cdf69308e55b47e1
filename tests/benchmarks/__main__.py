"""Run the benchmarks, print a table, write .bench/results.json.

Usage: python -m tests.benchmarks [FILTER ...]  (a module runs if its name contains any FILTER)

The exit code is non-zero only when a benchmark crashed: a missed target is
something to read in the report, not a build failure.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import tests.benchmarks as package

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".bench" / "results.json"
COLUMNS = ("module", "name", "value", "unit", "target", "ok", "detail")


def discover(filters: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_"))
    return [n for n in names if not filters or any(f in n for f in filters)]


def _cell(key: str, value: object) -> str:
    if value is None:
        return "-"
    if key == "ok":
        return "yes" if value else "MISS"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(rows: list[dict]) -> str:
    cells = [[_cell(k, row.get(k)) for k in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    # Numbers right-aligned so their decimal points line up.
    def line(values):
        return "  ".join(v.rjust(w) if COLUMNS[i] == "value" else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()
    return "\n".join([line(COLUMNS), line(["-" * w for w in widths]), *map(line, cells)])


def main(argv: list[str]) -> int:
    modules = discover(argv)
    if not modules:
        print(f"no benchmark module matches {argv}", file=sys.stderr)
        return 2
    rows, crashes = [], []
    for name in modules:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results = importlib.import_module(f"{package.__name__}.{name}").run()
        except Exception:
            traceback.print_exc()
            crashes.append({"module": name, "error": traceback.format_exc(limit=5)})
            continue
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        rows += [{"module": name, **result} for result in results]

    print(table(rows))
    for crash in crashes:
        print(f"CRASHED: {crash['module']} (traceback above)")

    RESULTS.parent.mkdir(exist_ok=True)
    report = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "implementation": platform.python_implementation(),
                    "cpu_count": os.cpu_count(), "platform": platform.platform()},
        "modules": modules, "results": rows, "crashes": crashes,
    }
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
