"""`kiosk catalogue import FILE [--strict] | find TEXT | info`: the product catalogue for store IT."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk import config
from kiosk.sizes import readable_size


def add_parser(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalogue", help="the product catalogue: import, find, info")
    actions = cat.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="replace the catalogue with a CSV or JSON file "
                                            "(exit 1 if any row was rejected)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is rejected")
    find = actions.add_parser("find", help="look up a barcode or sku, or search names as a cashier types")
    find.add_argument("text", nargs="+")
    find.add_argument("--limit", type=int, default=20)
    actions.add_parser("info", help="where the catalogue is, how many products, when it was imported")


def run(args: argparse.Namespace) -> int:
    from kiosk.checkout.catalogue import default_path

    settings = config.load_settings()
    path = default_path(settings)
    if args.action == "import":
        return _import(args.file, path, set(settings.tax.rates), args.strict)
    if args.action == "find":
        return _find(path, " ".join(args.text), args.limit)
    return _info(path)


def _import(source: Path, path: Path, tax_classes: set[str], strict: bool) -> int:
    from kiosk.checkout.catalogue_import import CatalogueImportError, import_products

    try:
        report = import_products(source, path, tax_classes, strict=strict)
    except CatalogueImportError as exc:
        print(f"kiosk catalogue: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"kiosk catalogue: can't write {path}: {exc.strerror}; the old catalogue is still in use.",
              file=sys.stderr)
        return 1
    for line in report.lines():
        print(f"rejected {line}", file=sys.stderr)
    if report.replaced:
        print(f"{report.imported} products imported into {path} in {report.seconds:.1f} s"
              + (f"; {len(report.rejected)} rows rejected (listed above)" if report.rejected else ""))
    elif report.rejected:
        print(f"nothing imported: {len(report.rejected)} rows rejected"
              + (" and --strict was given" if strict else "") + "; the old catalogue is still in use.")
    else:
        print(f"nothing imported: {source} holds no products; the old catalogue is still in use.")
    return 0 if report.replaced and not report.rejected else 1


def _open(path: Path):
    from kiosk.checkout.catalogue import Catalogue, CatalogueError

    try:
        return Catalogue.open(path)
    except CatalogueError as exc:
        print(f"kiosk catalogue: {exc}", file=sys.stderr)
        return None


def _find(path: Path, text: str, limit: int) -> int:
    from kiosk.checkout import barcodes

    catalogue = _open(path)
    if catalogue is None:
        return 1
    with catalogue:
        if barcodes.looks_like_barcode(text):
            try:
                barcodes.normalise(text)
            except ValueError as exc:
                print(f"note: {exc}; searching for it as typed", file=sys.stderr)
        found = catalogue.search(text, limit=limit)
    if not found:
        print(f"nothing found for {text!r}", file=sys.stderr)
        return 1
    rows = [("sku", "barcode", "name", "price", "category", "tax")]
    rows += [(p.sku, p.barcode or "-", p.name, f"{p.price:.2f}", p.category, p.tax_class) for p in found]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.rjust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def _info(path: Path) -> int:
    catalogue = _open(path)
    if catalogue is None:
        return 1
    with catalogue:
        info = catalogue.info()
    print(f"catalogue:  {path} ({readable_size(path.stat().st_size)})")
    print(f"products:   {info.get('count', '?')}")
    print(f"imported:   {info.get('imported_at', '?')} from {info.get('source', '?')}")
    return 0
