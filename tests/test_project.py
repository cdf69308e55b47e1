"""Project rules that a reviewer would otherwise have to remember."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _source_files():
    for top in ("kiosk", "ui", "tests", "resources", "scripts", "docs", "packaging", "requirements", ".ci"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json", ".csv", ".md", ".toml", ".txt", ".sh", ""):
                yield path
    yield from (ROOT / "pyproject.toml", ROOT / "README.md")


def test_nothing_reads_or_cites_what_a_clone_does_not_have():
    # Built here so this file does not match itself: the shared folder, and a design
    # document that lives outside the repository.
    needles = ("/".join(["..", "shared"]), "DESIGN" + ".md")
    offenders = [str(p.relative_to(ROOT)) for p in _source_files()
                 if any(n in p.read_text(errors="replace") for n in needles)]
    assert offenders == []


def test_the_paths_the_architecture_page_names_exist():
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`((?:kiosk|ui|tests|scripts|docs)/[\w/.\-]*)`", page))
    # The page also names the core's files from inside kiosk/ ("checkout/pay.py").
    named |= {f"kiosk/{p}" for p in re.findall(r"`((?:checkout|outbox|loyalty|scanner|sandbox)/[\w/.\-]*)`", page)}
    assert len(named) > 20
    assert sorted(p for p in named if not (ROOT / p).exists()) == []


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_core_never_imports_qt_or_ui():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_the_contract_does_catch_a_violation(tmp_path):
    for name in ("kiosk", "ui"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "kiosk" / "sneaky.py").write_text("from PySide6 import QtCore\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout


def test_non_gui_commands_load_no_qt():
    code = ("import sys, kiosk.cli, kiosk.walkthrough, kiosk.connect, kiosk.sandbox.app, ui.app, kiosk.app.cashier, "
            "kiosk.app.sale, kiosk.app.shopper, kiosk.app.queue, kiosk.app.terminal; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync', 'cv2')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_is_in_the_wheel_list():
    declared = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in (("kiosk", "kiosk"), ("ui", "ui"), ("resources", "kiosk_resources")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found == declared


def test_pins_follow_the_known_traps():
    lock = (ROOT / "requirements" / "runtime.txt").read_text().lower()
    assert "pyside6-essentials==6.11." in lock  # 6.12.0 on Python 3.11 corrupts None's refcount
    assert "opencv-python-headless==" in lock
    assert "\nopencv-python==" not in lock  # it bundles Qt 5 and breaks next to PySide6
    deps = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    assert "opencv-python-headless" in deps and "opencv-python>" not in deps and "opencv-python=" not in deps
    # httpcore imports sniffio on every lock it makes; missing, each is a failed search of sys.path.
    assert "\nsniffio==" in lock


def test_the_http_stack_finds_what_it_looks_up_per_request():
    import importlib.util

    from httpcore._synchronization import current_async_library

    assert importlib.util.find_spec("sniffio") is not None
    import asyncio

    assert asyncio.run(_library(current_async_library)) == "asyncio"


async def _library(current_async_library) -> str:
    return current_async_library()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme and "bash scripts/run.sh" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("name", ["members.json", "codes.json", "rewards.json", "site.json", "products.json"])
def test_demo_data_loads_through_importlib_resources(name):
    from importlib import resources

    assert resources.files("kiosk_resources").joinpath("demo", name).read_text("utf-8").strip()


def test_no_undefined_names_or_unused_imports():
    exe = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(exe), "check", "--no-cache", "kiosk", "ui", "tests"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_name_check_does_catch_a_missing_helper(tmp_path):
    (tmp_path / "sales.py").write_text("def begin(state):\n    raise ValueError(_not_payable(state))\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    exe = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(exe), "check", "--no-cache", "sales.py"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "F821" in result.stdout
