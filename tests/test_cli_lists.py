"""`kiosk queue list` and `kiosk audit` with nothing to show say so, run as store IT runs them."""

import subprocess

from tests.test_cli import KIOSK, _env


def _kiosk(tmp_path, *argv, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([KIOSK, *argv], capture_output=True, text=True, input=stdin, env=_env(tmp_path),
                          timeout=60)


def test_an_empty_queue_and_an_empty_audit_log_say_nothing_to_list(tmp_path):
    for argv in (("queue", "list"), ("queue", "list", "--state", "dead"), ("audit",)):
        done = _kiosk(tmp_path, *argv)
        assert (done.returncode, done.stdout, done.stderr) == (0, "nothing to list\n", ""), argv


def test_an_audit_filter_that_matches_nothing_says_so_and_one_that_matches_lists(tmp_path):
    added = _kiosk(tmp_path, "operators", "add", "M01", "Morgan", "--role", "manager", "--pin-stdin",
                   stdin="4826\n")
    assert added.returncode == 0, added.stderr
    everything = _kiosk(tmp_path, "audit")
    assert everything.returncode == 0 and "operator_added" in everything.stdout
    assert "nothing to list" not in everything.stdout
    voids = _kiosk(tmp_path, "audit", "--action", "void")
    assert (voids.returncode, voids.stdout) == (0, "nothing to list\n")
