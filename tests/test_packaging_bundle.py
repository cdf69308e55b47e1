"""The installer for real: packaging/build-deb.sh makes the PyInstaller bundle and the .deb
from this tree (a few minutes), then the bundle runs as a store's terminal would run it, the
package is read back with dpkg-deb, and packaging/test-deb.sh installs it in a clean Debian 12
chroot and sells with it (as root, with the Debian mirror; about ten minutes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import kiosk
from tests.test_watchdog import FakeSystemd

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "KIOSK_DIST": str(dist)}
    result = subprocess.run(["bash", "packaging/build-deb.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(result.stdout[-1500:])  # the size report and the package's size, for the CI log
    return dist


def _home(tmp_path: Path) -> dict:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d"),
            "XDG_STATE_HOME": str(tmp_path / "s"), "QT_QPA_PLATFORM": "offscreen", "KIOSK_SCANNER__CAMERA": ""}


def test_the_bundle_says_its_version_and_its_doctor_finds_nothing_wrong(built, tmp_path):
    exe = built / "kiosk" / "kiosk"
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"kiosk {kiosk.__version__}"
    doctor = subprocess.run([str(exe), "doctor", "--json"], capture_output=True, text=True, timeout=180,
                            env=_home(tmp_path))
    results = [json.loads(line) for line in doctor.stdout.splitlines() if line.startswith("{")]
    by_check = {(r["check"], r["message"]): r["state"] for r in results}
    assert results and not [r for r in results if r["state"] == "fail"], doctor.stdout + doctor.stderr
    # What only a bundle can get wrong: its libraries and data found where they were put.
    assert any(check == "decoders" and "zbar loads" in message for check, message in by_check)
    assert any(check == "qt" and state == "ok" for (check, _), state in by_check.items())
    assert any(check == "backend" and state == "ok" for (check, _), state in by_check.items())


def test_the_bundles_window_starts_tells_systemd_and_stops_on_sigterm(built, tmp_path):
    systemd = FakeSystemd(tmp_path / "notify")
    env = {**_home(tmp_path), "NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "1000000"}
    proc = subprocess.Popen([str(built / "kiosk" / "kiosk")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready = systemd.wait_for("READY=1", 90)
        time.sleep(8)  # the embedded sandbox and the till start behind the first frame
        assert len([at for at in systemd.said("WATCHDOG=1") if at > ready]) >= 8
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        systemd.close()
    assert "Traceback" not in proc.stderr.read()
    assert systemd.said("STOPPING=1")


def test_the_deb_holds_the_bundle_the_units_and_a_conffile_and_names_its_dependencies(built, tmp_path):
    deb = built / f"kiosk_{kiosk.__version__}_amd64.deb"
    assert deb.is_file()
    field = lambda name: subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True,  # noqa: E731
                                        text=True, check=True).stdout.strip()
    assert field("Package") == "kiosk" and field("Version") == kiosk.__version__
    depends = {d.split()[0] for d in field("Depends").split(", ")}
    assert {"libzbar0", "libgl1", "libegl1", "fonts-dejavu-core", "fontconfig-config", "libc6"} <= depends
    assert {"libxcb-cursor0", "libwayland-client0"} <= depends  # found by dpkg-shlibdeps in Qt's plugins
    assert {"cage", "espeak-ng", "speech-dispatcher"} <= {r.split()[0] for r in field("Recommends").split(", ")}
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ("./opt/kiosk/kiosk", "./etc/kiosk/settings.toml", "./usr/share/applications/kiosk.desktop",
                 "./usr/lib/systemd/user/kiosk.service", "./usr/lib/systemd/system/kiosk-selfservice@.service",
                 "./usr/lib/systemd/system/kiosk-service-screen@.service", "./usr/lib/udev/rules.d/70-kiosk.rules",
                 "./opt/kiosk/_internal/kiosk_resources/locale/ar/LC_MESSAGES/kiosk.mo"):
        assert f" {path}" in listing, path
    assert "./usr/bin/kiosk -> /opt/kiosk/kiosk" in listing
    assert "root/root" in listing.splitlines()[0]
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/kiosk/settings.toml"]
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(control / script, os.X_OK)
    size_mb = deb.stat().st_size / 1e6
    print(f"{deb.name}: {size_mb:.1f} MB")


def test_the_deb_installs_sells_and_upgrades_over_waiting_sales_in_a_clean_debian(built):
    if os.geteuid() != 0:
        pytest.skip("packaging/test-deb.sh needs root (debootstrap, chroot)")
    # The suite's environment stays on this side: the chroot's programs start from an empty one.
    env = {**os.environ, "KIOSK_DIST": str(built)}
    result = subprocess.run(["bash", "packaging/test-deb.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1500)
    said = [line for line in result.stdout.splitlines() if line.startswith("test-deb:")]
    print("\n".join(said))
    if result.returncode == 3:
        pytest.skip(result.stderr.strip())  # the Debian mirror can't be reached from here
    assert result.returncode == 0, "\n".join(said) + result.stderr[-4000:]
    assert said[-1].startswith("test-deb: PASSED")
