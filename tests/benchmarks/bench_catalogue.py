"""Product catalogue: import, open, barcode lookup and name search with 300,000 products.

The products are generated (seeded, so every run sees the same catalogue):
names from word lists with some accents, valid EAN-13s and a few UPC-As, a few
products without a barcode. "Cold" opens drop the file from the OS page cache
first (posix_fadvise), so they read the disk as a till does after a reboot.
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.checkout import barcodes
from kiosk.checkout.catalogue import Catalogue, words
from kiosk.checkout.catalogue_import import import_products

BIG, SMALL = 300_000, 1_000
LOOKUPS, SEARCHES, OPENS = 10_000, 2_000, 15
TAX = ("standard", "reduced", "zero")

BRANDS = """Acme Northwind Bellavista Greenfield Sunrise Polar Alpine Riverside Goldleaf Bluebird Oakridge
Harvest Meadow Coastal Summit Evergreen Highland Silverline Redstone Maple Brightway Nordic Urban Velvet
Crescent Lumière Söderberg Île Château Fjord Pioneer Heritage Orchard Willow Falcon Atlas Horizon Zenith
Aurora Beacon Cascade Delta Ember Frontier Glacier Harbor Ivy Juniper Kestrel Lotus Monarch Nova""".split()
ADJECTIVES = """Organic Classic Original Light Extra Dark Smoked Roasted Sweet Salted Spicy Crunchy Creamy Fresh
Frozen Wholegrain Premium Mild Strong Sparkling Still Vanilla Chocolate Strawberry Lemon Honey Garlic Herb
Jalapeño Crème Café Brûlée Mango Coconut Cinnamon Caramel Hazelnut Almond Peppermint Blueberry Raspberry
Cherry Apple Orange Ginger Chili Truffle Basil Paprika Sesame Maple Butter Cheddar Parmesan Tomato""".split()
NOUNS = {
    "Coffee": "Coffee Beans,Ground Coffee,Espresso Pods,Instant Coffee,Cold Brew",
    "Tea": "Green Tea,Black Tea,Herbal Tea,Chai Latte,Iced Tea",
    "Snacks": "Crisps,Pretzels,Popcorn,Crackers,Trail Mix,Rice Cakes,Nuts",
    "Sweets": "Chocolate Bar,Cookies,Biscuits,Gummies,Toffee,Wafers,Brownies",
    "Drinks": "Water,Lemonade,Cola,Juice,Smoothie,Energy Drink,Kombucha",
    "Dairy": "Yogurt,Milk,Cheese,Butter,Cream,Kefir",
    "Bakery": "Bread,Bagels,Croissants,Muffins,Baguette,Tortillas",
    "Pantry": "Pasta,Rice,Olive Oil,Vinegar,Soup,Sauce,Mustard,Ketchup,Jam,Cereal,Granola",
    "Household": "Dish Soap,Sponges,Paper Towels,Trash Bags,Detergent,Candles",
    "Personal care": "Shampoo,Toothpaste,Hand Soap,Deodorant,Lip Balm,Sunscreen",
}
SIZES = "100 g,150 g,200 g,250 g,500 g,1 kg,250 ml,330 ml,500 ml,1 l,1.5 l,6-pack,12-pack,4 x 100 g".split(",")


def generate(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    categories = [(c, nouns.split(",")) for c, nouns in NOUNS.items()]
    rows = []
    for i in range(n):
        category, nouns = rng.choice(categories)
        parts = [rng.choice(BRANDS)] + ([rng.choice(ADJECTIVES)] if rng.random() < 0.8 else [])
        parts += [rng.choice(nouns), rng.choice(SIZES)]
        body = f"40{i:010d}"
        code = body + str(barcodes.check_digit(body))
        kind = rng.random()
        if kind < 0.1:  # a UPC-A, written with 12 digits as US suppliers do
            body = f"0{i:010d}"
            code = body + str(barcodes.check_digit(body))
        elif kind < 0.13:
            code = ""
        rows.append({"sku": f"P{i:07d}", "barcode": code, "name": " ".join(parts),
                     "price": f"{rng.randint(19, 9999) / 100:.2f}", "category": category,
                     "taxClass": rng.choice(TAX)})
    return rows


def _write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _drop_cache(path: Path) -> bool:
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


def _open_times(path: Path, barcode: str, cold: bool) -> list[float]:
    times = []
    for _ in range(OPENS):
        if cold:
            _drop_cache(path)
        started = time.perf_counter()
        # Open and answer a first scan: connect() alone is lazy and would flatter the figure.
        catalogue = Catalogue.open(path)
        catalogue.by_barcode(barcode)
        times.append(time.perf_counter() - started)
        catalogue.close()
    return times


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def _lookups(catalogue: Catalogue, rows: list[dict], rng: random.Random) -> list[float]:
    with_code = [r["barcode"] for r in rows if r["barcode"]]
    codes = [rng.choice(with_code) for _ in range(LOOKUPS)]
    for n in range(0, LOOKUPS, 20):  # 5% misses: valid codes the store doesn't sell
        body = f"41{rng.randrange(10**10):010d}"
        codes[n] = body + str(barcodes.check_digit(body))
    times = []
    for code in codes:
        started = time.perf_counter()
        catalogue.by_barcode(code)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _queries(rows: list[dict], rng: random.Random) -> list[str]:
    queries = []
    for _ in range(SEARCHES):
        # A cashier types the start of a real word, not the "g" of "250 g".
        name = [w for w in words(rng.choice(rows)["name"]) if len(w) >= 2]
        picked = sorted(rng.sample(range(len(name)), k=min(len(name), rng.choice((1, 2)))))
        queries.append(" ".join(name[i][:rng.randint(2, 4)] for i in picked))
    return queries


def _searches(catalogue: Catalogue, queries: list[str]) -> tuple[list[float], float]:
    times, found = [], 0
    for query in queries:
        started = time.perf_counter()
        found += bool(catalogue.search(query))
        times.append((time.perf_counter() - started) * 1000)
    return times, found / len(queries)


def run() -> list[dict]:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        folder = Path(tmp)
        rows = generate(BIG)
        _write_csv(rows, folder / "big.csv")
        _write_csv(rows[:SMALL], folder / "small.csv")
        report = import_products(folder / "big.csv", folder / "big.sqlite3", TAX)
        if report.rejected or report.imported != BIG:
            raise RuntimeError(f"import rejected rows: {report.lines()[:5]}")
        import_products(folder / "small.csv", folder / "small.sqlite3", TAX)
        size_mb = (folder / "big.sqlite3").stat().st_size / 2**20
        probe = rows[0]["barcode"]
        cold = _drop_cache(folder / "big.sqlite3")
        open_small = statistics.median(_open_times(folder / "small.sqlite3", probe, cold))
        open_big = statistics.median(_open_times(folder / "big.sqlite3", probe, cold))
        with Catalogue.open(folder / "big.sqlite3") as catalogue:
            lookups = _lookups(catalogue, rows, rng)
            queries = _queries(rows, rng)
            searches, hit_rate = _searches(catalogue, queries)
            short = [q[:2] for q in queries[:500]]
            short_times, _ = _searches(catalogue, short)
    open_kind = "cold (page cache dropped)" if cold else "warm (no posix_fadvise here)"
    lookup_p99, search_p99 = _pct(lookups, 0.99), _pct(searches, 0.99)
    return [
        {"name": f"import {BIG:,} products from CSV", "value": report.seconds, "unit": "s", "target": None,
         "ok": None, "detail": f"{BIG / report.seconds:,.0f} rows/s, file {size_mb:.0f} MB"},
        {"name": f"open + first scan, {SMALL:,} products", "value": open_small * 1000, "unit": "ms",
         "target": "<= 200", "ok": open_small <= 0.2, "detail": f"median of {OPENS}, {open_kind}"},
        {"name": f"open + first scan, {BIG:,} products", "value": open_big * 1000, "unit": "ms",
         "target": "<= 200", "ok": open_big <= 0.2, "detail": f"median of {OPENS}, {open_kind}"},
        {"name": "open time, big / small", "value": open_big / open_small, "unit": "x", "target": "flat",
         "ok": None, "detail": "start-up must not grow with the catalogue"},
        {"name": "barcode lookup, median", "value": statistics.median(lookups), "unit": "ms", "target": None,
         "ok": None, "detail": f"{LOOKUPS:,} lookups, 5% misses, {BIG:,} products"},
        {"name": "barcode lookup, p99", "value": lookup_p99, "unit": "ms", "target": "<= 1",
         "ok": lookup_p99 <= 1.0, "detail": f"max {max(lookups):.2f} ms"},
        {"name": "name search, median", "value": statistics.median(searches), "unit": "ms", "target": None,
         "ok": None, "detail": f"{SEARCHES:,} queries of 1-2 words, 2-4 letters each; {hit_rate:.0%} found"},
        {"name": "name search, p99", "value": search_p99, "unit": "ms", "target": "<= 20",
         "ok": search_p99 <= 20.0, "detail": f"max {max(searches):.2f} ms"},
        {"name": "name search, 2 letters only, p99", "value": _pct(short_times, 0.99), "unit": "ms",
         "target": "<= 20", "ok": _pct(short_times, 0.99) <= 20.0,
         "detail": f"the vaguest query searched; median {statistics.median(short_times):.2f} ms"},
    ]
