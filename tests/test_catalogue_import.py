"""Catalogue import from CSV and JSON files, its rejections, the swap, and `kiosk catalogue`."""

import json
from decimal import Decimal

import pytest

from kiosk import cli
from kiosk.checkout import catalogue_import
from kiosk.checkout.catalogue import Catalogue
from kiosk.checkout.catalogue_import import CatalogueImportError, import_products

TAX = {"standard", "reduced", "zero"}
HEADER = "sku,barcode,name,price,category,taxClass\n"


def _csv(tmp_path, *lines, name="products.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), "utf-8")
    return path


def _skus(path):
    with Catalogue.open(path) as catalogue:
        return sorted(p.sku for p in catalogue.search("it", limit=100))


def test_csv_import_stores_every_field(tmp_path):
    source = _csv(tmp_path, "A-1,4006381333931,Item One,7.99,Snacks,reduced",
                  "A-2,,Item Two,12,Home,standard", "A-3,036000291452,Item Three,0.5,Home,zero")
    report = import_products(source, tmp_path / "c.sqlite3", TAX)
    assert (report.imported, report.rejected, report.replaced) == (3, [], True)
    with Catalogue.open(tmp_path / "c.sqlite3") as catalogue:
        one = catalogue.by_barcode("4006381333931")
        assert (one.sku, one.name, one.price, one.category, one.tax_class) == \
            ("A-1", "Item One", Decimal("7.99"), "Snacks", "reduced")
        assert catalogue.by_sku("A-2").price == Decimal("12.00") and catalogue.by_sku("A-2").barcode is None
        assert catalogue.by_barcode("036000291452").price == Decimal("0.50")


def test_json_import_keeps_prices_exact(tmp_path):
    source = tmp_path / "products.json"
    source.write_text(json.dumps({"products": [
        {"sku": "J-1", "barcode": "96385074", "name": "Item Json", "price": 0.1, "category": "X",
         "taxClass": "zero"},
        {"sku": "J-2", "barcode": "4006381333931", "name": "Item Two", "price": "19.99", "category": "X",
         "taxClass": "standard"}]}), "utf-8")
    report = import_products(source, tmp_path / "c.sqlite3", TAX)
    assert report.imported == 2 and report.rejected == []
    with Catalogue.open(tmp_path / "c.sqlite3") as catalogue:
        assert catalogue.by_barcode("96385074").price == Decimal("0.10")  # EAN-8
        assert catalogue.by_sku("J-2").price == Decimal("19.99")


def test_the_shipped_demo_json_matches_the_demo_csv(tmp_path):
    from importlib import resources

    demo = resources.files("kiosk_resources").joinpath("demo")
    with resources.as_file(demo.joinpath("products.json")) as js, resources.as_file(demo.joinpath("products.csv")) as cs:
        assert import_products(js, tmp_path / "j.sqlite3", TAX).imported == 16
        assert import_products(cs, tmp_path / "c.sqlite3", TAX).imported == 16
    with Catalogue.open(tmp_path / "j.sqlite3") as j, Catalogue.open(tmp_path / "c.sqlite3") as c:
        assert j.search("co", limit=50) == c.search("co", limit=50)


def test_each_bad_row_is_reported_with_its_line_and_the_good_ones_imported(tmp_path):
    source = _csv(
        tmp_path,
        "A-1,4006381333931,Item One,7.99,Snacks,reduced",           # line 2: good
        "A-2,4006381333932,Item Two,1.00,Snacks,reduced",           # 3
        "A-3,,Item Three,-1.00,Snacks,reduced",                     # 4
        "A-4,,   ,1.00,Snacks,reduced",                             # 5
        "A-1,,Item Dup,1.00,Snacks,reduced",                        # 6
        "A-6,4006381333931,Item Dup Code,1.00,Snacks,reduced",      # 7
        "A-7,,Item Tax,1.00,Snacks,luxury",                         # 8
        "A-8,,Item Cents,1.999,Snacks,reduced",                     # 9
        "A-9,,Item Nan,abc,Snacks,reduced",                         # 10
        "A-10,0036000291452,Item Upc,2.00,Snacks,reduced",          # 11: good
        "A-11,036000291452,Item Upc Again,2.00,Snacks,reduced",     # 12: the same code as UPC-A
        "a-10,,Item Case,1.00,Snacks,reduced",                      # 13: same sku, other case
        "A-12,,Item Extra,1.00,Snacks,reduced,surprise",            # 14
    )
    report = import_products(source, tmp_path / "c.sqlite3", TAX)
    assert report.imported == 2 and report.replaced
    assert report.rejected == [
        ("line 3", "barcode 4006381333932 has a wrong check digit (expected 1)"),
        ("line 4", "price -1.00 is negative"),
        ("line 5", "product A-4 has an empty name"),
        ("line 6", "sku A-1 is already used on line 2"),
        ("line 7", "barcode 4006381333931 is already used on line 2"),
        ("line 8", "tax class 'luxury' is not in the settings' tax rates (reduced, standard, zero)"),
        ("line 9", "price 1.999 has more than 2 decimals"),
        ("line 10", "price 'abc' is not a number"),
        ("line 12", "barcode 0036000291452 is already used on line 11"),
        ("line 13", "sku a-10 is already used on line 11"),
        ("line 14", "has 1 more field(s) than the header"),
    ]
    assert report.lines()[0] == "line 3: barcode 4006381333932 has a wrong check digit (expected 1)"
    assert _skus(tmp_path / "c.sqlite3") == ["A-1", "A-10"]


def test_json_rejections_name_the_item(tmp_path):
    source = tmp_path / "p.json"
    source.write_text(json.dumps([{"sku": "J-1", "name": "Item", "price": "1", "taxClass": "zero"},
                                  {"sku": "J-2", "name": "Item", "price": "1"}, "not an object"]), "utf-8")
    report = import_products(source, tmp_path / "c.sqlite3", TAX)
    assert report.imported == 1
    assert [where for where, _ in report.rejected] == ["item 2", "item 3"]
    assert report.rejected[0][1] == "has no tax class"


def test_several_problems_in_one_row_are_all_named(tmp_path):
    report = import_products(_csv(tmp_path, "A-1,123,,-5,X,standard"), tmp_path / "c.sqlite3", TAX)
    assert report.rejected == [("line 2", "product A-1 has an empty name; barcode 123 has 3 digits; an EAN-13 has "
                                          "13, a UPC-A 12 and an EAN-8 8; price -5 is negative")]
    assert not report.replaced and not (tmp_path / "c.sqlite3").exists()


def test_strict_mode_imports_nothing_when_a_row_is_bad(tmp_path):
    target = tmp_path / "c.sqlite3"
    import_products(_csv(tmp_path, "OLD-1,,Item Old,1.00,X,zero"), target, TAX)
    source = _csv(tmp_path, "A-1,,Item Good,1.00,X,zero", "A-2,,Item Bad,-1,X,zero", name="new.csv")
    report = import_products(source, target, TAX, strict=True)
    assert (report.imported, report.replaced, len(report.rejected)) == (0, False, 1)
    assert _skus(target) == ["OLD-1"]
    assert import_products(source, target, TAX).imported == 1  # without --strict the good row goes in


def test_semicolon_csv_from_a_spreadsheet_with_a_bom(tmp_path):
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffSKU;EAN;Name;Price;Category;Tax class\nS-1;4006381333931;Item Semi;3.20;X;zero\n"
                       .encode("utf-8"))
    assert import_products(source, tmp_path / "c.sqlite3", TAX).imported == 1


@pytest.mark.parametrize("content, message", [
    ("sku,name,price\nA,Item,1\n", "no tax_class column"),
    ("", "is empty"),
    ("[{\"sku\": ", "not valid JSON"),
    ("{\"items\": 3}", "must hold a list"),
])
def test_an_unusable_file_raises_and_keeps_the_old_catalogue(tmp_path, content, message):
    target = tmp_path / "c.sqlite3"
    import_products(_csv(tmp_path, "OLD-1,,Item Old,1.00,X,zero"), target, TAX)
    source = tmp_path / "bad.csv"
    source.write_text(content, "utf-8")
    with pytest.raises(CatalogueImportError, match=message):
        import_products(source, target, TAX)
    assert _skus(target) == ["OLD-1"]


def test_a_failure_while_building_leaves_the_old_catalogue_whole_and_no_debris(tmp_path, monkeypatch):
    target = tmp_path / "c.sqlite3"
    import_products(_csv(tmp_path, "OLD-1,,Item Old,1.00,X,zero"), target, TAX)
    old = Catalogue.open(target)

    def broken(conn, expected):
        raise CatalogueImportError("simulated: the new file did not check out")

    monkeypatch.setattr(catalogue_import, "_validate", broken)
    with pytest.raises(CatalogueImportError, match="simulated"):
        import_products(_csv(tmp_path, "NEW-1,,Item New,1.00,X,zero", name="new.csv"), target, TAX)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite3", "new.csv", "products.csv"]
    assert old.reload() is False and old.by_sku("OLD-1") is not None
    old.close()
    assert _skus(target) == ["OLD-1"]


def test_a_file_with_no_good_rows_does_not_replace_the_catalogue(tmp_path):
    target = tmp_path / "c.sqlite3"
    import_products(_csv(tmp_path, "OLD-1,,Item Old,1.00,X,zero"), target, TAX)
    report = import_products(_csv(tmp_path, name="empty.csv"), target, TAX)
    assert (report.imported, report.replaced) == (0, False)
    assert _skus(target) == ["OLD-1"]


# -- the command line ------------------------------------------------------------------------------

@pytest.fixture
def kiosk_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "kiosk" / "demo" / "catalogue.sqlite3"  # no backend: the demo's catalogue


def test_cli_import_find_info(tmp_path, kiosk_env, capsys):
    assert cli.main(["catalogue", "info"]) == 1
    assert "no catalogue" in capsys.readouterr().err
    source = _csv(tmp_path, "A-1,4006381333931,House Blend Coffee,7.99,Coffee,reduced",
                  "A-2,,Hot Chocolate,2.50,Drinks,standard")
    assert cli.main(["catalogue", "import", str(source)]) == 0
    assert "2 products imported" in capsys.readouterr().out
    assert kiosk_env.exists()

    assert cli.main(["catalogue", "find", "hou", "ble"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["sku", "barcode", "name", "price", "category", "tax"]
    assert out[2].split() == ["A-1", "4006381333931", "House", "Blend", "Coffee", "7.99", "Coffee", "reduced"]
    assert cli.main(["catalogue", "find", "4006381333931"]) == 0
    assert "House Blend Coffee" in capsys.readouterr().out
    assert cli.main(["catalogue", "find", "a-2"]) == 0
    assert "Hot Chocolate" in capsys.readouterr().out
    assert cli.main(["catalogue", "find", "4006381333932"]) == 1
    assert "wrong check digit (expected 1)" in capsys.readouterr().err

    assert cli.main(["catalogue", "info"]) == 0
    info = capsys.readouterr().out
    assert str(kiosk_env) in info and "products:   2" in info and "from products.csv" in info
    # A small catalogue is tens of kB: the size says so, not "0.0 MB".
    size = kiosk_env.stat().st_size
    assert size < 1_000_000 and f"({round(size / 1000)} kB)" in info, info


def test_cli_import_reports_rejections_and_strict_exit_codes(tmp_path, kiosk_env, capsys):
    source = _csv(tmp_path, "A-1,,Item Good,1.00,X,zero", "A-2,4006381333932,Item Bad,1.00,X,zero")
    assert cli.main(["catalogue", "import", "--strict", str(source)]) == 1
    captured = capsys.readouterr()
    assert "rejected line 3: barcode 4006381333932 has a wrong check digit (expected 1)" in captured.err
    assert "nothing imported" in captured.out and not kiosk_env.exists()
    assert cli.main(["catalogue", "import", str(source)]) == 1  # imported, but not everything
    assert "1 products imported" in capsys.readouterr().out


def test_cli_uses_the_configured_path_and_tax_classes(tmp_path, kiosk_env, monkeypatch, capsys):
    target = tmp_path / "elsewhere.sqlite3"
    monkeypatch.setenv("KIOSK_CATALOGUE__DB_PATH", str(target))
    monkeypatch.setenv("KIOSK_TAX__RATES", '{"food": "5"}')
    source = _csv(tmp_path, "A-1,,Item Food,1.00,X,food", "A-2,,Item Std,1.00,X,standard")
    assert cli.main(["catalogue", "import", str(source)]) == 1
    assert "tax class 'standard' is not in the settings' tax rates (food)" in capsys.readouterr().err
    assert target.exists() and not kiosk_env.exists()


def test_cli_unreadable_source(tmp_path, kiosk_env, capsys):
    assert cli.main(["catalogue", "import", str(tmp_path / "nope.csv")]) == 1
    assert "can't be read" in capsys.readouterr().err


def test_an_old_half_built_file_from_a_killed_import_is_cleared(tmp_path):
    import os
    import time

    target = tmp_path / "c.sqlite3"
    stale, fresh = tmp_path / "c.sqlite3.importing-99999", tmp_path / "c.sqlite3.importing-99998"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"another import, still running")
    old = time.time() - 2 * catalogue_import.DEBRIS_AGE_S
    os.utime(stale, (old, old))
    import_products(_csv(tmp_path, "A-1,,Item,1.00,X,zero"), target, TAX)
    assert not stale.exists() and fresh.exists()
