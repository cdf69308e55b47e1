"""Prints a bundle's size in all and per top-level part, largest first.

`python packaging/size_report.py dist/kiosk`: the parts are the folders under _internal/
(PySide6, cv2, numpy.libs, ...) and the single files beside them, grouped as "files".
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET_MB = 250


def sizes(bundle: Path) -> dict[str, int]:
    inner = bundle / "_internal"
    parts: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(inner) if inner in path.parents else path.relative_to(bundle)
        key = rel.parts[0] if len(rel.parts) > 1 else "files"
        parts[key] = parts.get(key, 0) + path.stat().st_size
    return parts


def main(argv: list[str]) -> int:
    bundle = Path(argv[0])
    parts = sizes(bundle)
    total = sum(parts.values())
    print(f"{bundle}: {total / 1e6:.1f} MB unpacked (target {TARGET_MB} MB)")
    for name, size in sorted(parts.items(), key=lambda item: -item[1]):
        if size >= 500_000:
            print(f"  {size / 1e6:8.1f} MB  {name}")
    small = sum(size for size in parts.values() if size < 500_000)
    print(f"  {small / 1e6:8.1f} MB  (the rest, each under 0.5 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
