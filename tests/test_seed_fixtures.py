"""The seed fixtures' loader: the index lists every file, and the repairs fix exactly the
invalid examples. What the examples say is tested where the app parses them (test_models.py)."""

import json
import re

import pytest

from tests.seed_fixtures import FIXTURE_DIR, REPAIRS, load_seed, repair

FILES = sorted(p.name for p in FIXTURE_DIR.iterdir() if p.name != "INDEX.md")


def raw(name):
    return (FIXTURE_DIR / name).read_text(encoding="utf-8")


def test_index_lists_exactly_the_fixture_files():
    # An empty glob would silently turn every parametrized test into a skip.
    assert FILES
    listed = set(re.findall(r"`(\d{3}_\w+\.json)`", (FIXTURE_DIR / "INDEX.md").read_text(encoding="utf-8")))
    assert listed == set(FILES)


def test_repairs_name_existing_files():
    assert {f"{name}.json" for name in REPAIRS} <= set(FILES)


def test_identical_examples_are_kept_once():
    contents = [raw(name) for name in FILES]
    assert len(set(contents)) == len(contents)


@pytest.mark.parametrize("name", FILES)
def test_fixture_parses(name):
    assert isinstance(load_seed(name), (dict, list))


@pytest.mark.parametrize("name", FILES)
def test_repair_list_is_exactly_the_invalid_files(name):
    if name.removesuffix(".json") in REPAIRS:
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw(name))
    else:
        json.loads(raw(name))
        # The repair must not be able to alter a valid example.
        assert repair(raw(name)) == raw(name)


def test_repaired_values():
    assert load_seed("002_get_user_details")["extendedAttribute"] == {"KEY1": "VALUE1", "KEY2": "VALUE2"}
    debit = load_seed("002_points_debit_request")
    assert (debit["orderId"], debit["actionId"], debit["debit"]) == ("1234356778", "100", "30")
    # Only a comma was missing; nothing else may change.
    assert len(repair(raw("002_points_debit_request.json"))) == len(raw("002_points_debit_request.json")) + 1
