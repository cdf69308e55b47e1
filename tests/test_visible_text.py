"""No text a person sees skips the catalogue: a check over the screens' code.

Every call that puts words on a widget (setText, setPlaceholderText, setToolTip,
setWindowTitle, setAccessibleName, setAccessibleDescription, addItem, header labels, and a
widget made with its text) must be given a translated string: a `tr()`/gettext call, or
something made from one (`.format`, `.replace`, `.arg`, joined with another). A literal with
letters in it, or an f-string with words of its own, is English for everyone and fails here.
What a name or an attribute holds can't be known from the code; the screens in the
pseudo-language (tests/test_ui_languages.py) catch those.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTERS = {"setText", "setPlaceholderText", "setToolTip", "setWindowTitle", "setAccessibleName",
           "setAccessibleDescription", "setStatusTip", "setWhatsThis", "addItem", "setTitle", "setFormat",
           "setHorizontalHeaderLabels", "setVerticalHeaderLabels", "setHeaderLabels", "setLabelText",
           "setWindowIconText", "setSpecialValueText", "setSuffix", "setPrefix"}
WIDGETS = {"QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QToolButton", "QGroupBox", "QAction",
           "QCommandLinkButton", "QMenu"}
TRANSLATORS = {"tr", "_", "ngettext", "pgettext", "translate", "N_"}
# Not words for a person: a name, a key cap.
ALLOWED = {"Kiosk", "abc"}  # the product; the on-screen keyboard's key back to its letters
# Made-up sample data the screenshot tool fills the screens with (a member, products): not sentences.
SKIP_FILES = {"ui/screenshots.py"}


def translated(node: ast.AST) -> bool:
    """Is `node` a translation, or text made from one?"""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in TRANSLATORS:
            return True
        if isinstance(func, ast.Attribute) and name in ("format", "replace", "arg", "strip", "upper", "join"):
            return translated(func.value) or (name == "join" and plain(func.value))
    return False


def plain(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and not re.search(r"[A-Za-z]{2}", node.value)


def problems(node: ast.AST) -> list[ast.AST]:
    """The parts of a text argument that are English of their own."""
    if translated(node) or plain(node):
        return []
    if isinstance(node, ast.Constant):
        return [] if not isinstance(node.value, str) or node.value in ALLOWED else [node]
    if isinstance(node, ast.JoinedStr):
        return [part for part in node.values if isinstance(part, ast.Constant) and not plain(part)]
    if isinstance(node, ast.BinOp):
        return problems(node.left) + problems(node.right)
    if isinstance(node, ast.IfExp):
        return problems(node.body) + problems(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [p for element in node.elts for p in problems(element)]
    if isinstance(node, ast.BoolOp):
        return [p for value in node.values for p in problems(value)]
    return []  # a name, an attribute, a call: what it holds is known only when it runs


def text_arguments(call: ast.Call) -> list[ast.AST]:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in SETTERS:
        return call.args[-1:] if func.attr == "addItem" else call.args[:1]
    if isinstance(func, ast.Name) and func.id in WIDGETS and call.args:
        return call.args[:1]
    return []


def findings(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in text_arguments(node):
                for bad in problems(argument):
                    found.append(f"{path.relative_to(root)}:{bad.lineno}: {ast.unparse(argument)[:90]}")
    return found


def screen_files() -> list[Path]:
    return sorted(p for p in (ROOT / "ui").rglob("*.py") if str(p.relative_to(ROOT)) not in SKIP_FILES)


def test_every_visible_text_goes_through_the_catalogue():
    found = [line for path in screen_files() for line in findings(path)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("code, bad", [
    ('label.setText("Hello there")', True),
    ('label.setText(self.tr("Hello there"))', False),
    ('label.setText(self.tr("Hi {0}").format(name))', False),
    ('label.setText(f"Total: {amount}")', True),
    ('label.setText(f"{a} · {b}")', False),
    ('QPushButton("Pay", self)', True),
    ('QPushButton(self.tr("Pay"), self)', False),
    ('box.addItem(icon, "Cash")', True),
    ('table.setHorizontalHeaderLabels([self.tr("Qty"), "Price"])', True),
    ('label.setText(self.tr("A") + " " + self.tr("B"))', False),
    ('label.setText(self.tr("A") if ok else "Nope")', True),
    ('label.setToolTip(detail)', False),
])
def test_the_check_tells_english_from_translated(tmp_path, code, bad):
    sample = tmp_path / "sample.py"
    sample.write_text(code + "\n", encoding="utf-8")
    assert bool(findings(sample, tmp_path)) is bad
