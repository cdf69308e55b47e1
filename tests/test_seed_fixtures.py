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


def test_error_bodies():
    assert load_seed("002_error_ac1002") == {"errorCode": "AC1002", "errorMessage": "Request Not Authorized"}
    assert load_seed("002_error_ac1005") == {"errorCode": "AC1005", "errorMessage": "No data found"}


def test_available_rewards():
    rewards = load_seed("002_available_rewards")["rewardDetail"]
    assert [r["displayText"] for r in rewards] == ["10off", "25off", "50off"]
    assert [r["creditRequired"] for r in rewards] == ["250", "500", "1000"]


def test_place_order_response():
    order = load_seed("002_place_order_response")
    assert order["orderDetail"][0]["points"] == 20
    assert order["pointsAwarded"] == 20


def test_updatecodedetails_response():
    body = load_seed("001_updatecodedetails_response")
    assert body["balanceCodeValue"] == 8
    assert body["referenceId"] == "xyz01"


def test_points_balance_types_differ_between_documents():
    # The two vendor documents disagree on siteId's type; a parser must accept both.
    assert load_seed("002_get_user_points")["siteId"] == "105860280"
    assert load_seed("000_points_get_response")["siteId"] == 146031180
    assert load_seed("002_get_user_points")["availablePoints"] == 50
