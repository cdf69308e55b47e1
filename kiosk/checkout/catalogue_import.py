"""Importing a catalogue from CSV or JSON: every row checked, a whole new file built, then swapped in.

The new file is built next to the old one with SQLite's safety off (nothing
else reads it yet), checked, and put in place with os.replace, which is atomic:
an import that fails or is killed half-way leaves the old catalogue whole, and
a till that has the old one open keeps reading it until it notices the swap.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from kiosk import private
from kiosk.checkout import barcodes
from kiosk.checkout.catalogue import (APPLICATION_ID, INDEXES, SCHEMA, SCHEMA_VERSION, code_words, fold)

log = logging.getLogger(__name__)

MAX_PRICE = Decimal("999999.99")
_ALIASES = {"sku": "sku", "barcode": "barcode", "ean": "barcode", "gtin": "barcode", "name": "name",
            "price": "price", "category": "category", "taxclass": "tax_class"}
REQUIRED = ("sku", "name", "price", "tax_class")


class CatalogueImportError(Exception):
    """The whole file can't be imported (unreadable, wrong shape, missing columns); nothing was changed."""


@dataclass
class ImportReport:
    imported: int
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, reason): ("line 17", "barcode ...")
    seconds: float = 0.0
    replaced: bool = False  # False: the old catalogue (if any) is still the one in use

    def lines(self) -> list[str]:
        return [f"{where}: {reason}" for where, reason in self.rejected]


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _read_rows(source: Path) -> Iterator[tuple[str, Mapping]]:
    try:
        text = source.read_text("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise CatalogueImportError(f"{source} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None
    except OSError as exc:
        raise CatalogueImportError(f"{source} can't be read: {exc.strerror}.") from None
    if source.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
        yield from _json_rows(source, text)
    else:
        yield from _csv_rows(source, text)


def _json_rows(source: Path, text: str) -> Iterator[tuple[str, Mapping]]:
    try:
        data = json.loads(text, parse_float=Decimal)  # 7.99 stays 7.99, never a float
    except json.JSONDecodeError as exc:
        raise CatalogueImportError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    if isinstance(data, dict) and isinstance(data.get("products"), list):
        data = data["products"]
    if not isinstance(data, list):
        raise CatalogueImportError(f"{source} must hold a list of products (or {{\"products\": [...]}}).")
    for number, item in enumerate(data, 1):
        yield f"item {number}", item


def _csv_rows(source: Path, text: str) -> Iterator[tuple[str, Mapping]]:
    header = text.split("\n", 1)[0]
    # Spreadsheets set to a European locale write semicolons.
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise CatalogueImportError(f"{source} is empty.")
    present = set(_columns({name: "" for name in reader.fieldnames}))
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise CatalogueImportError(f"{source} has no {', '.join(missing)} column (line 1 must name the columns: "
                                   "sku, barcode, name, price, category, taxClass); nothing was imported.")
    try:
        for row in reader:
            if None in row:
                yield f"line {reader.line_num}", {"_extra": row[None]}
            elif any((v or "").strip() for v in row.values()):
                yield f"line {reader.line_num}", row
    except csv.Error as exc:
        raise CatalogueImportError(f"{source} line {reader.line_num}: {exc}.") from None


def _columns(row: Mapping) -> dict[str, object]:
    out = {}
    for name, value in row.items():
        canonical = _ALIASES.get(_key(str(name)))
        if canonical:
            out[canonical] = value
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _price(value: object) -> tuple[int | None, str | None]:
    if isinstance(value, float):
        value = repr(value)  # only from rows passed in by code; JSON files parse to Decimal
    text = _text(value)
    if not text:
        return None, "has no price"
    try:
        price = Decimal(text)
    except InvalidOperation:
        return None, f"price {text!r} is not a number"
    if not price.is_finite():
        return None, f"price {text!r} is not a number"
    if price < 0:
        return None, f"price {text} is negative"
    if price.as_tuple().exponent < -2 and price != price.quantize(Decimal("0.01")):
        return None, f"price {text} has more than 2 decimals"
    if price > MAX_PRICE:
        return None, f"price {text} is more than {MAX_PRICE}"
    return int(price.scaleb(2)), None


def check_row(raw: Mapping, allowed_tax_classes: set[str]) -> tuple[tuple | None, list[str]]:
    """(sku, barcode, name, cents, category, tax_class) or None, and the reasons it was rejected."""
    if not isinstance(raw, Mapping):
        return None, ["is not a product (expected an object with sku, name, price, taxClass)"]
    if "_extra" in raw:
        return None, [f"has {len(raw['_extra'])} more field(s) than the header"]
    row = _columns(raw)
    problems = []
    sku, name, category = _text(row.get("sku")), _text(row.get("name")), _text(row.get("category"))
    tax_class = _text(row.get("tax_class"))
    if not sku:
        problems.append("has no sku")
    if not name:
        problems.append(f"product {sku or '(no sku)'} has an empty name")
    barcode = _text(row.get("barcode")) or None
    if barcode is not None:
        try:
            barcode = barcodes.normalise(barcode)
        except ValueError as exc:
            problems.append(str(exc))
    cents, problem = _price(row.get("price"))
    if problem:
        problems.append(problem)
    if not tax_class:
        problems.append("has no tax class")
    elif tax_class not in allowed_tax_classes:
        known = ", ".join(sorted(allowed_tax_classes)) or "none"
        problems.append(f"tax class {tax_class!r} is not in the settings' tax rates ({known})")
    if problems:
        return None, problems
    return (sku, barcode, name, cents, category, tax_class), []


def _rows(source) -> Iterator[tuple[str, Mapping]]:
    if isinstance(source, (str, os.PathLike)):
        yield from _read_rows(Path(source))
    else:
        for number, item in enumerate(source, 1):
            yield f"item {number}", item


def import_products(source: str | os.PathLike | Iterable[Mapping], target: str | os.PathLike,
                    allowed_tax_classes: Iterable[str], strict: bool = False) -> ImportReport:
    """Check every row, build a new catalogue file and swap it in at `target`.

    Good rows are imported and bad ones reported, or with `strict` any bad row
    means nothing is imported. Raises CatalogueImportError when the source as a
    whole can't be used; the old catalogue is then untouched too.
    """
    started = time.perf_counter()
    target = Path(target)
    allowed = set(allowed_tax_classes)
    good: list[tuple] = []
    rejected: list[tuple[str, str]] = []
    skus: dict[str, str] = {}
    codes: dict[str, str] = {}
    for where, raw in _rows(source):
        product, problems = check_row(raw, allowed)
        if product:
            sku_key = product[0].upper()  # stricter than the index's NOCASE, so the index never refuses
            if sku_key in skus:
                problems.append(f"sku {product[0]} is already used on {skus[sku_key]}")
            if product[1] and product[1] in codes:
                problems.append(f"barcode {product[1]} is already used on {codes[product[1]]}")
        if problems:
            rejected.append((where, "; ".join(problems)))
            continue
        skus[sku_key] = where
        if product[1]:
            codes[product[1]] = where
        good.append(product)
    report = ImportReport(imported=0, rejected=rejected)
    if (strict and rejected) or not good:
        report.seconds = time.perf_counter() - started
        return report
    source_name = Path(source).name if isinstance(source, (str, os.PathLike)) else "rows"
    _build_and_swap(good, target, source_name)
    report.imported, report.replaced = len(good), True
    report.seconds = time.perf_counter() - started
    log.info("catalogue imported: %d products, %d rejected, %.1f s", len(good), len(rejected), report.seconds)
    return report


def _script(conn: sqlite3.Connection, sql: str) -> None:
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _build_and_swap(products: list[tuple], target: Path, source_name: str) -> None:
    private.make_dir(target.parent)
    _remove_debris(target)
    building = target.with_name(f"{target.name}.importing-{os.getpid()}")
    building.unlink(missing_ok=True)
    try:
        private.create_file(building)
        conn = sqlite3.connect(building, isolation_level=None)
        try:
            # Nobody else sees this file until it is complete, so a crash may lose it: speed wins.
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                           "temp_store=MEMORY", "cache_size=-65536"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute("BEGIN")
            _script(conn, SCHEMA)
            conn.executemany("INSERT INTO products (id, sku, barcode, name, price_cents, category, tax_class) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             ((i, *p) for i, p in enumerate(products, 1)))
            conn.executemany("INSERT INTO product_words (rowid, name, codes) VALUES (?, ?, ?)",
                             ((i, fold(p[2]), code_words(p[0], p[1])) for i, p in enumerate(products, 1)))
            _script(conn, INDEXES)
            conn.execute("INSERT INTO product_words (product_words) VALUES ('optimize')")
            conn.executemany("INSERT INTO catalogue_info (key, value) VALUES (?, ?)", [
                ("count", str(len(products))), ("source", source_name),
                ("imported_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))])
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
            _validate(conn, len(products))
            # DELETE, not WAL: a -wal file left beside the old catalogue must never meet the new one.
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        with open(building, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(building, target)
        _sync_dir(target.parent)
    except BaseException:
        building.unlink(missing_ok=True)
        raise


DEBRIS_AGE_S = 3600


def _remove_debris(target: Path) -> None:
    # A killed import leaves its half-built file; an hour old, no import is still writing it.
    for stale in target.parent.glob(f"{target.name}.importing-*"):
        try:
            if time.time() - stale.stat().st_mtime > DEBRIS_AGE_S:
                stale.unlink()
        except OSError:
            pass


def _validate(conn: sqlite3.Connection, expected: int) -> None:
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    count = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    if check != "ok" or count != expected:
        raise CatalogueImportError(f"The new catalogue did not check out ({check}, {count} of {expected} "
                                   "products); the old one is still in use.")


def _sync_dir(folder: Path) -> None:
    # The rename itself must reach the disk, or a power cut could bring the old file back.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


DEMO_FILE = "products.csv"


def ensure_demo_catalogue(path: str | os.PathLike,
                          allowed_tax_classes: Iterable[str] | None = None) -> ImportReport | None:
    """Import the demo catalogue that ships with Kiosk if there is no catalogue at `path` yet."""
    path = Path(path)
    if path.exists():
        return None
    if allowed_tax_classes is None:
        from kiosk.config import TaxSettings

        allowed_tax_classes = TaxSettings().rates.keys()
    demo = resources.files("kiosk_resources").joinpath("demo", DEMO_FILE)
    with resources.as_file(demo) as demo_path:
        return import_products(demo_path, path, allowed_tax_classes)
