"""Vendor JSON examples kept verbatim as fixtures (see fixtures/seeds/INDEX.md).

The files are byte-for-byte copies of the vendor documents so that a diff
against a newer revision of those documents stays meaningful; the few that are
not valid JSON are repaired at load time instead of being edited on disk.
"""

import json
import re
from pathlib import Path

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "seeds"

# Only these files go through repair(); the test suite checks that each of them
# fails plain json.loads and that every other file passes it, so this list
# cannot hide a broken example or collect unneeded entries.
REPAIRS = {
    "002_get_user_details": (
        'array written with key/value pairs: "extendedAttribute": '
        '["KEY1": "VALUE1", "KEY2": "VALUE2"] is read as an object'
    ),
    "002_points_debit_request": (
        'missing comma after "orderId": "1234356778" at the end of its line'
    ),
}

# A "[" whose first element is `"key":` cannot be a JSON array, so the vendor
# meant an object. Excludes nested brackets so it never spans two arrays.
_PAIRS_IN_BRACKETS = re.compile(r'\[(\s*"[^"\n]*"\s*:[^\[\]]*)\]')
# Strings cannot hold a raw newline, so a value ending a line followed by a
# line that opens a string is always a member missing its separator.
_MISSING_COMMA = re.compile(r'("|\d|true|false|null)([ \t]*\n[ \t]*")')


def repair(text: str) -> str:
    """Fix the two documented vendor typos; a no-op on valid JSON text."""
    text = _PAIRS_IN_BRACKETS.sub(r"{\1}", text)
    return _MISSING_COMMA.sub(r"\1,\2", text)


def load_seed(name: str) -> dict | list:
    """Parse fixture `name` (with or without .json), repairing it only if listed."""
    name = name.removesuffix(".json")
    text = (FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8")
    if name in REPAIRS:
        text = repair(text)
    return json.loads(text)
