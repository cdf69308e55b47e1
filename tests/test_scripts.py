"""The scripts a person runs first, run as they would run them on a fresh clone."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_run_sh_installs_what_running_needs_and_no_test_tools(tmp_path):
    clone = tmp_path / "clone"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes((ROOT / name).read_bytes())
    # The shell a person has, without this test run's virtual environment on it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
    result = subprocess.run(["bash", "scripts/run.sh", "--version"], cwd=clone, capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("kiosk ")
    installed = subprocess.run([str(clone / ".venv/bin/python"), "-m", "pip", "list", "--format=freeze"],
                               capture_output=True, text=True, check=True).stdout.lower()

    def name(line: str) -> str:  # PEP 503: pip writes PySide6_Essentials, the lock pyside6-essentials
        return re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()

    runtime = {name(line) for req in ("runtime.txt", "build.txt")
               for line in (clone / "requirements" / req).read_text().lower().splitlines()
               if "==" in line and not line.startswith((" ", "#"))}
    names = {name(line) for line in installed.splitlines() if "==" in line}
    assert "pyside6-essentials" in names and "httpx" in names
    assert not names & {"pytest", "hypothesis", "ruff", "respx", "import-linter", "pytest-qt"}, names
    extra = names - runtime - {"kiosk", "pip", "setuptools", "wheel"}
    assert extra == set(), extra
