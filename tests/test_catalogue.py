"""The product catalogue: barcodes, lookups and search on real SQLite files."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.checkout import barcodes, catalogue as catalogue_module
from kiosk.checkout.catalogue import Catalogue, CatalogueError, Product
from kiosk.checkout.catalogue_import import ensure_demo_catalogue, import_products

TAX = {"standard", "reduced", "zero"}


def _row(sku, name, barcode="", price="1.00", category="Misc", tax="standard"):
    return {"sku": sku, "barcode": barcode, "name": name, "price": price, "category": category, "taxClass": tax}


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "catalogue.sqlite3"
    ensure_demo_catalogue(path, TAX)
    with Catalogue.open(path) as catalogue:
        yield catalogue


# -- barcodes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, normal", [
    ("4006381333931", "4006381333931"),  # EAN-13
    ("036000291452", "0036000291452"),  # UPC-A gets its leading 0
    ("0036000291452", "0036000291452"),
    ("96385074", "0000096385074"),  # EAN-8
    ("4 006381 333931", "4006381333931"),  # as printed under the bars
    ("00036000291452", "0036000291452"),  # GTIN-14, indicator 0
])
def test_good_codes_normalise_to_13_digits(code, normal):
    assert barcodes.normalise(code) == normal


@pytest.mark.parametrize("code, sentence", [
    ("4006381333932", "barcode 4006381333932 has a wrong check digit (expected 1)"),
    ("036000291453", "barcode 036000291453 has a wrong check digit (expected 2)"),
    ("12345", "barcode 12345 has 5 digits; an EAN-13 has 13, a UPC-A 12 and an EAN-8 8"),
    ("40063813339A1", "barcode 40063813339A1 has characters other than digits"),
    ("", "the barcode is empty"),
    ("14006381333938", "is a case code"),
])
def test_bad_codes_say_what_is_wrong(code, sentence):
    with pytest.raises(ValueError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        barcodes.normalise(code)


@given(st.sampled_from([7, 11, 12]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
       st.data())
def test_appending_the_check_digit_makes_a_code_and_any_one_changed_digit_breaks_it(body, data):
    code = body + str(barcodes.check_digit(body))
    assert barcodes.normalise(code).endswith(code.lstrip("0") or "0")
    position = data.draw(st.integers(0, len(code) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    changed = code[:position] + digit + code[position + 1:]
    with pytest.raises(ValueError, match="wrong check digit"):
        barcodes.normalise(changed)


# -- lookups ---------------------------------------------------------------------------------------

def test_demo_catalogue_ships_and_imports_once(tmp_path):
    path = tmp_path / "catalogue.sqlite3"
    report = ensure_demo_catalogue(path)
    assert report.imported == 16 and report.rejected == [] and report.replaced
    assert ensure_demo_catalogue(path) is None  # an existing catalogue is never overwritten
    with Catalogue.open(path) as catalogue:
        assert catalogue.count() == 16
        assert catalogue.info()["source"] == "products.csv"


def test_lookup_by_barcode_returns_a_product_with_a_decimal_price(demo):
    product = demo.by_barcode("2004242000017")
    assert product == Product("COF-001", "2004242000017", "House Blend Coffee Beans 250 g", Decimal("7.99"),
                              "Coffee", "reduced")
    assert isinstance(product.price, Decimal) and str(product.price) == "7.99"
    assert demo.by_barcode("4006381333931") is None  # valid, but not sold here


def test_upc_a_and_its_ean_13_form_find_the_same_product(demo):
    upc = demo.by_barcode("442420000039")
    assert upc is not None and upc.sku == "COF-003"
    assert demo.by_barcode("0442420000039") == upc


def test_a_misread_barcode_is_an_error_not_a_miss(demo):
    with pytest.raises(ValueError, match="wrong check digit"):
        demo.by_barcode("2004242000018")


def test_lookup_by_sku_ignores_case_and_spaces(demo):
    assert demo.by_sku(" cof-002 ").name == "Espresso To Go"
    assert demo.by_sku("NOPE-1") is None and demo.by_sku("") is None


def test_what_is_typed_in_the_product_field_is_a_barcode_a_sku_or_a_name(demo):
    assert demo.find("2004242000017")[0].sku == "COF-001"
    assert demo.find(" 2004-2420-00017 ")[0].sku == "COF-001"  # a barcode typed with separators
    assert demo.find("cof-002") == (demo.by_sku("COF-002"), [])
    product, matches = demo.find("hou ble")
    assert product is None and [p.sku for p in matches] == ["COF-001"]
    # A barcode's length of digits with a wrong check digit is no error here: nothing matches it.
    assert demo.find("2004242000018") == (None, [])
    assert demo.find("nothing like it") == (None, [])


def test_search_finds_the_start_of_each_typed_word(demo):
    assert [p.sku for p in demo.search("hou ble")] == ["COF-001"]
    assert [p.sku for p in demo.search("HOU   BLE")] == ["COF-001"]
    assert demo.search("ouse") == []  # prefixes, not substrings
    assert demo.search("b") == []  # one letter matches too much to help


def test_search_ranks_names_starting_with_the_word_first(demo):
    names = [p.name for p in demo.search("co")]
    # Cold Brew starts with it; House Blend and The Little Book have it later; Espresso only by sku COF-002.
    assert names[0] == "Cold Brew Coffee Can 250 ml"
    assert names[-1] == "Espresso To Go"
    assert set(names[1:3]) == {"House Blend Coffee Beans 250 g", "The Little Book of Coffee (paperback)"}


def test_search_matches_sku_and_barcode_prefixes_with_exact_hits_first(demo):
    assert demo.search("COF-002")[0].sku == "COF-002"
    assert {p.sku for p in demo.search("44242")} == {"COF-003", "ELE-001", "ELE-002"}  # UPC-A as typed
    assert demo.search("2004242000628")[0].sku == "BOK-002"
    assert len(demo.search("2004242", limit=5)) == 5


def test_search_ignores_accents_and_case(tmp_path):
    path = tmp_path / "c.sqlite3"
    import_products([_row("A1", "Crème Brûlée Café"), _row("A2", "CAFE NOIR"), _row("A3", "Jalapeño Crisps")],
                    path, TAX)
    with Catalogue.open(path) as catalogue:
        assert {p.sku for p in catalogue.search("cafe")} == {"A1", "A2"}
        assert {p.sku for p in catalogue.search("CAFÉ")} == {"A1", "A2"}
        assert [p.sku for p in catalogue.search("creme bru")] == ["A1"]
        assert [p.sku for p in catalogue.search("jalapeno")] == ["A3"]
        assert catalogue.search('"); DROP TABLE products; --') == []  # typed text is never query syntax
        assert catalogue.count() == 3


def test_products_without_a_barcode_are_found_by_sku_and_name(tmp_path):
    path = tmp_path / "c.sqlite3"
    import_products([_row("LOOSE-1", "Loose Apples per kg")], path, TAX)
    with Catalogue.open(path) as catalogue:
        apples = catalogue.by_sku("LOOSE-1")
        assert apples.barcode is None and catalogue.search("app")[0] == apples


def test_opening_a_missing_or_foreign_file_says_so(tmp_path):
    with pytest.raises(CatalogueError, match="no catalogue"):
        Catalogue.open(tmp_path / "missing.sqlite3")
    other = tmp_path / "other.sqlite3"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CatalogueError, match="not a Kiosk catalogue"):
        Catalogue.open(other)


def test_an_open_catalogue_picks_up_a_new_import(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite3"
    import_products([_row("A1", "Old Name", price="1.00")], path, TAX)
    catalogue = Catalogue.open(path)
    try:
        assert catalogue.by_sku("A1").name == "Old Name"
        import_products([_row("A1", "New Name", price="2.50"), _row("B2", "Brand New")], path, TAX)
        # Within the second the old file still answers (its connection keeps reading it whole).
        assert catalogue.by_sku("A1").name == "Old Name"
        monkeypatch.setattr(catalogue_module, "SWAP_CHECK_S", 0.0)
        assert catalogue.by_sku("A1").price == Decimal("2.50")
        assert catalogue.count() == 2
        assert catalogue.reload() is False  # nothing new since
    finally:
        catalogue.close()


def test_explicit_reload(tmp_path):
    path = tmp_path / "c.sqlite3"
    import_products([_row("A1", "Old Name")], path, TAX)
    with Catalogue.open(path) as catalogue:
        import_products([_row("A1", "New Name")], path, TAX)
        assert catalogue.reload() is True
        assert catalogue.by_sku("A1").name == "New Name"


def test_lookups_from_many_threads_at_once(demo):
    codes = ["2004242000017", "442420000039", "2004242000413", "4006381333931"]
    start = threading.Barrier(8)

    def work(n):
        start.wait()
        for i in range(200):
            demo.by_barcode(codes[(n + i) % 4])
            demo.search("co")
            demo.by_sku("COF-001")
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))
