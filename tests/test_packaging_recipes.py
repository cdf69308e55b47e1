"""The installers' recipes, checked for form without building: the systemd units (by
systemd-analyze), the udev rule, the desktop entry, the maintainer scripts (sh -n), the
Windows installer script and Shell Launcher XML, the macOS property lists, and what the
bundle keeps (packaging/packaging_rules.py)."""

from __future__ import annotations

import configparser
import plistlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kiosk.app.exits import EXIT_OK, EXIT_RESTART

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
UNITS = PACKAGING / "deb" / "systemd"
sys.path.insert(0, str(PACKAGING))
import packaging_rules  # noqa: E402


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / name)
    return parser


def test_systemd_analyze_verifies_every_unit_without_a_warning(tmp_path):
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing (Debian package systemd)"
    # verify wants the programs to exist: the units are checked as written, with their
    # two programs pointed at stand-ins.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("kiosk", "cage"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    system, user = tmp_path / "system", tmp_path / "user"
    system.mkdir(), user.mkdir()
    for path in UNITS.glob("*.service"):
        text = path.read_text().replace("/usr/bin/cage", str(bin_dir / "cage")).replace(
            "/usr/bin/kiosk", str(bin_dir / "kiosk"))
        (user if path.name == "kiosk.service" else system).joinpath(path.name).write_text(text)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    checks = [
        ([tool, "verify", "--man=no", str(system / "kiosk-selfservice@.service"),
          str(system / "kiosk-service-screen@.service")], system),
        ([tool, "verify", "--man=no", "--user", str(user / "kiosk.service")], user),
    ]
    for command, cwd in checks:
        result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60,
                                env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime)})
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_systemd_analyze_would_catch_a_misspelt_key(tmp_path):
    tool = shutil.which("systemd-analyze")
    assert tool
    (tmp_path / "bad.service").write_text("[Service]\nExecStart=/bin/true\nWatchdogSecs=30\n")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    result = subprocess.run([tool, "verify", "--man=no", "--user", str(tmp_path / "bad.service")],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime)})
    assert "WatchdogSecs" in result.stderr


def test_the_units_restart_on_failure_feed_a_watchdog_and_fall_back_on_the_service_screen():
    cashier = unit("kiosk.service")["Service"]
    assert cashier["Type"] == "notify" and cashier["Restart"] == "on-failure" and int(cashier["WatchdogSec"]) > 0
    assert cashier["ExecStart"].split()[1:] == ["--mode", "cashier"]

    kiosk = unit("kiosk-selfservice@.service")
    service = kiosk["Service"]
    assert service["ExecStart"].split()[-3:] == ["/usr/bin/kiosk", "--mode", "selfservice"]
    assert service["ExecStart"].startswith("/usr/bin/cage ")
    assert service["User"] == "kiosk" and service["StateDirectory"] == "kiosk"
    assert service["NotifyAccess"] == "all"  # the app is cage's child
    assert service["Restart"] == "on-failure" and int(service["WatchdogSec"]) > 0
    fallback = kiosk["Unit"]["OnFailure"].replace("%i", "")
    assert (UNITS / fallback).is_file()
    assert int(kiosk["Unit"]["StartLimitBurst"]) >= 3
    screen = unit(fallback)["Service"]
    assert screen["ExecStart"].endswith("/usr/bin/kiosk --service-screen")


def test_the_udev_rule_gives_the_kiosk_group_printers_and_scanners():
    lines = [line for line in (PACKAGING / "deb" / "70-kiosk.rules").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    subsystems = set()
    for line in lines:
        pairs = [part.strip() for part in line.split(",")]
        match = {p.split("==")[0]: p.split("==")[1].strip('"') for p in pairs if "==" in p}
        assigned = {p.split("=")[0]: p.split("=")[1].strip('"') for p in pairs if "==" not in p}
        assert assigned == {"MODE": "0660", "GROUP": "kiosk"}, line
        vendor = match.get("ATTR{idVendor}") or match.get("ATTRS{idVendor}")
        assert vendor and re.fullmatch(r"[0-9a-f]{4}", vendor), line
        subsystems.add(match["SUBSYSTEM"])
    assert subsystems == {"usb", "hidraw"}


def test_the_desktop_entry_starts_the_installed_command():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "deb" / "kiosk.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "/usr/bin/kiosk" and desktop["Type"] == "Application"
    assert (PACKAGING / "deb" / f"{desktop['Icon']}.svg").is_file()
    ET.parse(PACKAGING / "deb" / "kiosk.svg")


@pytest.mark.parametrize("script", ["postinst", "prerm", "postrm"])
def test_the_maintainer_scripts_are_valid_posix_shell(script):
    path = PACKAGING / "deb" / "maintainer" / script
    assert path.stat().st_mode & 0o111
    result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert path.read_text().startswith("#!/bin/sh\n")


def test_the_shell_launcher_xml_maps_the_apps_exit_codes():
    ns = {"s": "http://schemas.microsoft.com/ShellLauncher/2018/Configuration"}
    root = ET.parse(PACKAGING / "windows" / "shell-launcher.xml").getroot()
    assert root.tag == "{%s}ShellLauncherConfiguration" % ns["s"]
    profiles = root.findall("s:Profiles/s:Profile", ns)
    assert len(profiles) == 1
    shell = profiles[0].find("s:Shell", ns)
    assert shell.get("Shell").endswith("kiosk.exe --mode selfservice")
    actions = {int(a.get("ReturnCode")): a.get("Action")
               for a in shell.findall("s:ReturnCodeActions/s:ReturnCodeAction", ns)}
    assert actions == {EXIT_OK: "DoNothing", EXIT_RESTART: "RestartShell"}
    assert shell.find("s:DefaultAction", ns).get("Action") == "RestartShell"  # a crash
    assigned = root.find("s:Configs/s:Config/s:Profile", ns).get("Id")
    assert assigned == profiles[0].get("Id")


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("#"):
            word = line.split()[0]
            depth += word in ("#ifdef", "#ifndef", "#if")
            depth -= word == "#endif"
            assert depth >= 0, raw
            continue
        if re.fullmatch(r"\[\w+\]", line):
            current = line[1:-1]
            sections[current] = []
            continue
        assert current, f"a line outside any section: {raw}"
        sections[current].append(line)
    assert depth == 0, "an #if without its #endif"
    return sections


def test_the_inno_setup_script_is_well_formed_and_installs_the_bundle_and_the_runtime():
    sections = _iss_sections((PACKAGING / "windows" / "kiosk.iss").read_text())
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["AppVersion"] == "{#AppVersion}" and setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    for name in ("Files", "Icons", "Run", "Dirs", "Tasks"):
        for line in sections[name]:
            params = dict(p.strip().split(": ", 1) for p in line.split(";") if p.strip())
            assert {"Source", "Name", "Filename"} & params.keys(), line
    sources = [dict(p.strip().split(": ", 1) for p in line.split(";"))["Source"] for line in sections["Files"]]
    assert '"..\\..\\dist\\kiosk\\*"' in sources and '"vc_redist.x64.exe"' in sources
    code = "\n".join(sections["Code"]).lower()
    assert code.count("begin") == code.count("end;") and "function vcruntimemissing" in code


def test_the_macos_property_lists_parse_and_ask_for_the_camera():
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["NSCameraUsageDescription"].strip() and info["CFBundleExecutable"] == "kiosk"
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements["com.apple.security.device.camera"] is True
    agent = plistlib.loads((PACKAGING / "macos" / "app.kiosk.selfservice.plist").read_bytes())
    assert agent["ProgramArguments"][1:] == ["--mode", "selfservice"]
    assert agent["KeepAlive"] == {"SuccessfulExit": False}  # 0 stays stopped; 75 and crashes restart


@pytest.mark.parametrize("dest, kept", [
    ("PySide6/Qt/translations/qtbase_es.qm", True),
    ("PySide6/Qt/translations/qtbase_ar.qm", True),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/translations/designer_es.qm", False),
    ("babel/locale-data/fr_CA.dat", True),
    ("babel/locale-data/root.dat", True),
    ("babel/locale-data/de_DE.dat", False),
    ("babel/global.dat", True),
    ("kiosk_resources/locale/es/LC_MESSAGES/kiosk.mo", True),
    ("kiosk_resources/locale/es/LC_MESSAGES/kiosk.po", False),
])
def test_the_bundle_keeps_only_the_shipped_languages_data(dest, kept):
    assert packaging_rules.keep_data(dest) is kept


@pytest.mark.parametrize("dest, kept", [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
    ("PySide6/Qt/lib/libQt6Quick.so.6", False),
    ("libzbar.so.0", True),
])
def test_the_bundle_leaves_out_qt_parts_the_screens_never_load(dest, kept):
    assert packaging_rules.keep_binary(dest) is kept


def test_the_shipped_languages_are_the_apps():
    from kiosk import i18n

    assert set(packaging_rules.LANGUAGES) == set(i18n.LANGUAGES)


def test_on_linux_debians_own_libraries_come_from_the_system_not_the_bundle():
    assert packaging_rules.from_the_system("/usr/lib/x86_64-linux-gnu/libxcb-cursor.so.0")
    assert packaging_rules.from_the_system("/lib/x86_64-linux-gnu/libssl.so.3")
    assert not packaging_rules.from_the_system("/work/.venv/lib/python3.11/site-packages/PySide6/Qt/lib/libQt6Gui.so.6")
    assert not packaging_rules.from_the_system("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0")
