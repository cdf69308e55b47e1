"""`kiosk operators ...` and `kiosk audit`, as a store's IT person runs them."""

from __future__ import annotations

import io

import pytest

from kiosk import cli
from kiosk.checkout.operators import Operators
from kiosk.outbox.store import open_database


@pytest.fixture
def terminal(tmp_path, monkeypatch):
    db = tmp_path / "terminal.sqlite3"
    monkeypatch.setenv("KIOSK_OUTBOX__DB_PATH", str(db))
    monkeypatch.setenv("KIOSK_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("KIOSK_STORE__TERMINAL_ID", "T07")
    return db


def _run(monkeypatch, capsys, *argv, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_new_terminal_says_how_to_add_the_first_manager(terminal, monkeypatch, capsys):
    code, out, _ = _run(monkeypatch, capsys, "operators", "list")
    assert code == 0 and "kiosk operators add M01 NAME --role manager" in out


def test_add_list_set_pin_disable_and_read_the_audit(terminal, monkeypatch, capsys):
    assert _run(monkeypatch, capsys, "operators", "add", "M01", "Morgan Lee", "--role", "manager",
                "--pin-stdin", stdin="4826\n")[0] == 0
    code, out, _ = _run(monkeypatch, capsys, "operators", "add", "C02", "Ann", "--role", "cashier",
                        "--pin-stdin", stdin="1111\n")
    assert code == 0 and "added C02 Ann (cashier)" in out
    code, out, _ = _run(monkeypatch, capsys, "operators", "list")
    assert out.splitlines() == ["C02      Ann                      cashier  active",
                                "M01      Morgan Lee               manager  active"]

    assert _run(monkeypatch, capsys, "operators", "set-pin", "C02", "--pin-stdin", stdin="7391\n")[0] == 0
    db = open_database(terminal)
    assert Operators(db, terminal_id="T07").sign_in("C02", "7391").id == "C02"
    db.close()
    assert _run(monkeypatch, capsys, "operators", "disable", "C02")[0] == 0
    assert "C02      Ann                      cashier  disabled" in _run(monkeypatch, capsys, "operators", "list")[1]

    code, out, _ = _run(monkeypatch, capsys, "audit")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5
    assert "  T07  store IT  operator_added  operator M01  role=manager" in lines[0]
    assert "  T07  Ann (cashier C02)  sign_in  role=cashier" in lines[3]
    assert lines[4].endswith("store IT  operator_disabled  operator C02")
    assert "4826" not in out and "7391" not in out
    code, out, _ = _run(monkeypatch, capsys, "audit", "--operator", "C02", "--action", "sign_in", "--limit", "5")
    assert len(out.splitlines()) == 1
    code, out, _ = _run(monkeypatch, capsys, "audit", "--since", "2999-01-01")
    assert (code, out) == (0, "nothing to list\n")


def test_the_pin_is_asked_twice_and_must_match(terminal, monkeypatch, capsys):
    answers = iter(["4826", "4862"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = _run(monkeypatch, capsys, "operators", "add", "M01", "Morgan", "--role", "manager")
    assert code == 1 and "The two PINs differ; nothing was changed" in err
    answers = iter(["4826", "4826"])
    assert _run(monkeypatch, capsys, "operators", "add", "M01", "Morgan", "--role", "manager")[0] == 0


@pytest.mark.parametrize("argv, stdin, message", [
    (("operators", "add", "M01", "Morgan", "--role", "manager", "--pin-stdin"), "1234\n", "straight run"),
    (("operators", "add", "C01", "Casey", "--role", "cashier", "--pin-stdin"), "12\n", "4 to 8 digits"),
    (("operators", "set-pin", "C99", "--pin-stdin"), "4826\n", "no operator 'C99'"),
    (("operators", "disable", "C99"), "", "no operator 'C99'"),
])
def test_refusals_are_one_clear_line(terminal, monkeypatch, capsys, argv, stdin, message):
    code, _, err = _run(monkeypatch, capsys, *argv, stdin=stdin)
    assert code == 1 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_id_already_taken_is_refused_before_any_pin_is_asked(terminal, monkeypatch, capsys):
    _run(monkeypatch, capsys, "operators", "add", "M01", "Morgan", "--role", "manager", "--pin-stdin",
         stdin="4826\n")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("asked for a PIN"))
    code, _, err = _run(monkeypatch, capsys, "operators", "add", "M01", "Other", "--role", "cashier")
    assert code == 1 and "already exists" in err


def test_a_bad_day_is_an_argument_error(terminal, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        cli.main(["audit", "--since", "yesterday"])
    assert "is not a day like 2026-12-01" in capsys.readouterr().err
