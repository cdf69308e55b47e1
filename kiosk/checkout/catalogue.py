"""The product catalogue: a read-only SQLite file of its own, looked up by barcode, sku or name.

Its own file, not the terminal database: a 300,000-product import then never
holds the write lock that sales need, and an import can build a whole new file
and swap it in (kiosk/checkout/catalogue_import.py) so a failed one leaves the
old catalogue as it was. Opening loads nothing: every lookup is one indexed
query, so start-up does not grow with the catalogue.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kiosk.checkout import barcodes

log = logging.getLogger(__name__)

APPLICATION_ID = 0x4B434154  # "KCAT": tells a catalogue from any other SQLite file
SCHEMA_VERSION = 1
FILE_NAME = "catalogue.sqlite3"

SCHEMA = """
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL COLLATE NOCASE,
    barcode TEXT,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    category TEXT NOT NULL,
    tax_class TEXT NOT NULL
);
CREATE TABLE catalogue_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE product_words USING fts5(
    name, codes, content='', detail=none, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
)
"""
# Built after the rows are in: one sort is much faster than 300,000 random inserts.
INDEXES = """
CREATE UNIQUE INDEX products_sku ON products (sku);
CREATE UNIQUE INDEX products_barcode ON products (barcode) WHERE barcode IS NOT NULL
"""

# Fewer letters than this match most of a large catalogue, which helps nobody and costs the most.
MIN_SEARCH_CHARS = 2
# Matches read before ranking: bounds the cost of a vague query like "co" on 300,000 products.
SEARCH_CANDIDATES = 300
MAX_SEARCH_WORDS = 8  # a pasted paragraph must not become a huge index query
SWAP_CHECK_S = 1.0


class CatalogueError(Exception):
    """The catalogue can't be used; the message says what to do."""


@dataclass(frozen=True)
class Product:
    sku: str
    barcode: str | None  # 13 digits (see barcodes.normalise), or None for a product without one
    name: str
    price: Decimal
    category: str
    tax_class: str


def fold(text: str) -> str:
    """Lower case without accents or compatibility forms, as the search index stores words."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    """Folded words: runs of letters and digits, as FTS5's unicode61 tokenizer cuts them."""
    out, current = [], []
    for ch in fold(text):
        if ch.isalnum() or unicodedata.category(ch) == "Co":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def code_words(sku: str, barcode: str | None) -> str:
    """What the index holds for a product's codes: a UPC-A also under its 12-digit form."""
    parts = [fold(sku)]
    if barcode:
        parts.append(barcode)
        if barcode.startswith("0"):
            parts.append(barcode[1:])
    return " ".join(parts)


def default_path(settings) -> Path:
    from kiosk import config

    if settings.catalogue.db_path:
        return Path(settings.catalogue.db_path)
    return config.data_dir() / FILE_NAME


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise CatalogueError(f"There is no catalogue at {path}; import one with `kiosk catalogue import FILE`.")
    try:
        # Read-only: the file is never changed in place, only replaced whole by an import.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None)
        app_id, version = (conn.execute("PRAGMA application_id").fetchone()[0],
                           conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise CatalogueError(f"The catalogue {path} can't be read ({exc}); import it again.") from None
    if app_id != APPLICATION_ID:
        conn.close()
        raise CatalogueError(f"{path} is not a Kiosk catalogue; import one with `kiosk catalogue import FILE`.")
    if version != SCHEMA_VERSION:
        conn.close()
        raise CatalogueError(f"The catalogue {path} has format {version}, this Kiosk reads {SCHEMA_VERSION}; "
                             "import it again with this version.")
    return conn


_COLUMNS = "sku, barcode, name, price_cents, category, tax_class"


def _product(row: tuple) -> Product:
    sku, barcode, name, cents, category, tax_class = row
    return Product(sku, barcode, name, Decimal(cents).scaleb(-2), category, tax_class)


class Catalogue:
    """Lookups from any thread (one connection behind a lock: each is well under a millisecond).

    A running till picks up a newly imported catalogue by itself: at most once
    a second a lookup compares the file's identity with the one it opened.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        self._identity = _file_identity(path)
        self._checked = time.monotonic()
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str) -> "Catalogue":
        path = Path(path)
        return cls(path, _connect(path))

    def __enter__(self) -> "Catalogue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def reload(self) -> bool:
        """Switch to the file now at `path` if an import replaced it; True if it did."""
        with self._lock:
            self._checked = time.monotonic()
            identity = _file_identity(self.path)
            if identity is None or identity == self._identity:
                return False
            try:
                conn = _connect(self.path)
            except CatalogueError as exc:
                # Keep serving the old one: a till that can't sell is worse than an old price list.
                log.warning("catalogue swap not taken: %s", exc)
                self._identity = identity
                return False
            self._conn.close()
            self._conn, self._identity = conn, identity
            log.info("catalogue %s reloaded after an import", self.path)
            return True

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            if time.monotonic() - self._checked >= SWAP_CHECK_S:
                self.reload()
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise CatalogueError(f"The catalogue {self.path} can't be read ({exc}); import it again.") from None

    def by_barcode(self, text: str) -> Product | None:
        """The product with this barcode; ValueError (a sentence) if the code itself is wrong."""
        rows = self._query(f"SELECT {_COLUMNS} FROM products WHERE barcode = ?", (barcodes.normalise(text),))
        return _product(rows[0]) if rows else None

    def by_sku(self, text: str) -> Product | None:
        sku = text.strip()
        if not sku:
            return None
        rows = self._query(f"SELECT {_COLUMNS} FROM products WHERE sku = ?", (sku,))
        return _product(rows[0]) if rows else None

    def find(self, text: str, limit: int = 20) -> tuple[Product | None, list[Product]]:
        """What a cashier typed or scanned in the product field: the product its barcode or
        sku names, else the products whose names match (none found: both empty)."""
        text = text.strip()
        if barcodes.looks_like_barcode(text):
            try:
                found = self.by_barcode(text)
            except ValueError:  # digits of a barcode's length with a wrong check digit: maybe a sku
                found = None
            if found is not None:
                return found, []
        found = self.by_sku(text) or self.by_sku(text.upper())
        return found, ([] if found else self.search(text, limit))

    def search(self, text: str, limit: int = 20) -> list[Product]:
        """Products whose name (or sku, or barcode) has a word starting with each typed word.

        "hou ble" finds "House Blend Coffee Beans"; case and accents don't
        matter. An exact sku or barcode comes first, then names starting with
        the first word, then names with the words in the typed order.
        """
        terms = words(text)[:MAX_SEARCH_WORDS]
        if not terms or sum(map(len, terms)) < MIN_SEARCH_CHARS or limit <= 0:
            return []
        exact = self._exact(text)
        match = " AND ".join(f'"{term}"*' for term in terms)
        try:
            rows = self._query(f"SELECT {_COLUMNS} FROM products WHERE id IN "
                               "(SELECT rowid FROM product_words WHERE product_words MATCH ? LIMIT ?)",
                               (match, SEARCH_CANDIDATES))
        except CatalogueError:
            # A word the index tokenizes differently (an exotic script); a search is allowed to find nothing.
            log.debug("search query not understood by the index", exc_info=True)
            rows = []
        found = sorted((_product(r) for r in rows), key=lambda p: _rank(p, terms))
        return (exact + [p for p in found if p not in exact])[:limit]

    def _exact(self, text: str) -> list[Product]:
        hits = []
        if barcodes.looks_like_barcode(text):
            try:
                product = self.by_barcode(text)
            except ValueError:
                product = None
            if product:
                hits.append(product)
        product = self.by_sku(text)
        if product and product not in hits:
            hits.append(product)
        return hits

    def info(self) -> dict[str, str]:
        """What the import recorded: count, imported_at, source."""
        return dict(self._query("SELECT key, value FROM catalogue_info"))

    def count(self) -> int:
        # Recorded by the import, so this never scans 300,000 rows.
        return int(self.info().get("count", 0))


def _rank(product: Product, terms: list[str]) -> tuple:
    name = words(product.name)
    positions = []
    for term in terms:
        at = next((i for i, w in enumerate(name) if w.startswith(term)), None)
        positions.append(at)
    if None in positions:
        tier = 3  # matched through the sku or barcode only
    elif positions[0] == 0 and positions == sorted(positions):
        tier = 0
    elif positions == sorted(positions):
        tier = 1
    else:
        tier = 2
    return (tier, positions[0] if positions[0] is not None else len(name), len(product.name), product.name.lower())
