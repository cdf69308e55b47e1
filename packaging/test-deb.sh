#!/usr/bin/env bash
# Proves the .deb on a clean Debian 12: a debootstrap chroot (kept in build/test-deb/root
# for the next run), a sandbox run from this tree on loopback as the store's backend.
#   1. apt-get install of version N (built from the commit before the last terminal-database
#      migration) resolves every dependency; `kiosk setup --from` sets a live terminal;
#   2. the installed window, under Xvfb and driven by xdotool (sign in, scan a product and a
#      member, cash, Pay), makes a sale that reaches the sandbox's ledger;
#   3. the sandbox stops, two more sales wait in the queue; version N+1 (this tree) is
#      installed over N; `kiosk --version`, `kiosk doctor --json`; the sandbox starts, the
#      window opens (the database is migrated) and the waiting sales are delivered, then a
#      fourth sale on N+1;
#   4. `dpkg -r` keeps the store's data; `dpkg --purge` removes /etc/kiosk and keeps it too.
# Run as root. DEBIAN_MIRROR picks the mirror; KIOSK_OLD_REV the commit of version N.
# Exit status 0: proven; 1: a step failed; 3: the Debian mirror can't be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD
[ "$(id -u)" -eq 0 ] || { echo "test-deb: run as root (debootstrap and chroot need it)" >&2; exit 1; }
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=$ROOT_DIR/build/test-deb
R=$WORK/root
PORT=${KIOSK_TEST_PORT:-8791}
SANDBOX_DB=$WORK/sandbox.sqlite3
PY=$ROOT_DIR/.venv/bin/python
mkdir -p "$WORK"
say() { echo "test-deb: $*"; }
fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

if ! "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/dists/bookworm/Release', timeout=20)" "$MIRROR" 2>/dev/null; then
  echo "test-deb: the Debian mirror $MIRROR can't be reached; set DEBIAN_MIRROR to one that can." >&2
  exit 3
fi
command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

# --- the two packages ---------------------------------------------------------------------
OLD_REV=${KIOSK_OLD_REV:-$(git log -1 --format=%H -S_v7_selfservice -- kiosk/outbox/store.py 2>/dev/null || true)^}
if ! git rev-parse -q --verify "$OLD_REV^{commit}" >/dev/null; then
  # A shallow clone has no older commit: N is this tree under a lower version, so the
  # upgrade is still proven, without a migration between the two.
  say "no commit $OLD_REV here (a shallow clone?): version N is this tree, without a migration"
  OLD_REV=HEAD
fi
NEW_VERSION=$("$PY" -c 'import kiosk; print(kiosk.__version__)')
OLD_VERSION=0.0.1~$(git rev-parse --short=10 "$OLD_REV")
say "version N: $OLD_VERSION from $(git rev-parse --short "$OLD_REV"); version N+1: $NEW_VERSION from this tree"
bash packaging/build-deb.sh | tail -1
NEW_DEB=$(realpath "${KIOSK_DIST:-dist}")/kiosk_${NEW_VERSION}_amd64.deb
OLD_TREE=$WORK/old-tree
OLD_DEB=$WORK/old-dist/kiosk_${OLD_VERSION}_amd64.deb
if [ ! -f "$OLD_DEB" ]; then  # one build per old commit: its name carries the commit
  rm -rf "$OLD_TREE" && git worktree prune && git worktree add -f --detach "$OLD_TREE" "$OLD_REV" >/dev/null
  # The old tree gets today's packaging recipe and this tree's environment.
  rm -rf "$OLD_TREE/packaging" && cp -r packaging "$OLD_TREE/packaging" && cp requirements/packaging.txt "$OLD_TREE/requirements/"
  ln -sfn "$ROOT_DIR/.venv" "$OLD_TREE/.venv"
  (cd "$OLD_TREE" && unset KIOSK_DIST && KIOSK_VERSION=$OLD_VERSION KIOSK_DIST=$WORK/old-dist bash packaging/build-deb.sh | tail -1)
fi

# --- a clean Debian 12 ----------------------------------------------------------------------
if [ ! -f "$R/etc/debian_version" ]; then
  say "debootstrap bookworm (minbase) into $R"
  debootstrap --variant=minbase bookworm "$R" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || fail "debootstrap (see $WORK/debootstrap.log)"
fi
mounted=()
cleanup() {
  [ -n "${SANDBOX_PID:-}" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  chroot "$R" pkill -f Xvfb 2>/dev/null || true
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  git -C "$ROOT_DIR" worktree remove --force "$OLD_TREE" 2>/dev/null || true
}
trap cleanup EXIT
for fs in proc sys dev dev/pts; do
  mkdir -p "$R/$fs"
  mount --bind "/$fs" "$R/$fs" && mounted+=("$R/$fs")
done
cp /etc/resolv.conf "$R/etc/resolv.conf"
echo "deb $MIRROR bookworm main" > "$R/etc/apt/sources.list"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
if in_root dpkg -s kiosk >/dev/null 2>&1; then in_root dpkg --purge kiosk >/dev/null; fi
rm -rf "$R/home/till" "$R/var/lib/kiosk"
in_root apt-get update -qq
# The test's own tools, not the package's: a screen and a keyboard.
in_root apt-get install -y -qq --no-install-recommends xvfb xauth xdotool procps >/dev/null
in_root id till >/dev/null 2>&1 || in_root useradd -m -s /bin/bash till
in_root install -d -m 0755 -o till -g till /home/till  # emptied above: a till used for the first time
cp "$OLD_DEB" "$NEW_DEB" "$R/tmp/"

as_till() { chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/till LANG=C.UTF-8 \
  /usr/sbin/runuser -u till -- /usr/bin/env HOME=/home/till DISPLAY=:95 "$@"; }

sandbox_start() {
  "$PY" -m kiosk.cli sandbox --port "$PORT" --db "$SANDBOX_DB" > "$WORK/sandbox.log" 2>&1 &
  SANDBOX_PID=$!
  for _ in $(seq 100); do
    "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && return 0
    sleep 0.2
  done
  fail "the sandbox did not start ($WORK/sandbox.log)"
}
sandbox_stop() { kill "$SANDBOX_PID"; wait "$SANDBOX_PID" 2>/dev/null || true; SANDBOX_PID=; }
orders() { "$PY" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from orders').fetchone()[0])" "$SANDBOX_DB"; }
queue_line() { as_till kiosk queue status | sed -n "s/^$1: *\([0-9]*\).*/\1/p"; }
schema() { "$PY" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('pragma user_version').fetchone()[0])" \
  "$R/home/till/.local/share/kiosk/terminal.sqlite3"; }

window_start() {
  in_root pkill -f "Xvfb :95" 2>/dev/null || true
  in_root sh -c 'Xvfb :95 -screen 0 1366x768x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &'
  sleep 1.5
  as_till sh -c 'kiosk > /tmp/kiosk-window.log 2>&1 & echo $! > /tmp/kiosk-window.pid'
  for _ in $(seq 120); do
    as_till xdotool search --name Kiosk >/dev/null 2>&1 && { sleep 6; return 0; }
    sleep 0.5
  done
  cat "$R/tmp/kiosk-window.log" >&2
  fail "the installed window did not open"
}
window_stop() {
  in_root sh -c 'kill -TERM "$(cat /tmp/kiosk-window.pid)"; for i in $(seq 60); do kill -0 "$(cat /tmp/kiosk-window.pid)" 2>/dev/null || exit 0; sleep 0.5; done; exit 1' \
    || fail "the window did not end on SIGTERM"
  in_root pkill -f "Xvfb :95" || true
}
key() { as_till xdotool key --delay 60 "$@"; sleep 0.8; }
typed() { as_till xdotool type --delay 60 "$1"; sleep 0.3; }
scan() { as_till xdotool type --delay 20 "$1"; as_till xdotool key Return; sleep 2; }
sale() {  # a person at the till: the product, the member, cash for what is due, Pay, the receipt closed
  scan 2004242000017
  scan M100003
  key F8
  key F9
  sleep 4
  key Escape
}
sign_in() { typed M1; key Tab; typed 2580; key Return; sleep 3; }
wait_orders() {
  for _ in $(seq 90); do [ "$(orders)" -ge "$1" ] && return 0; sleep 1; done
  cat "$R/tmp/kiosk-window.log" >&2
  fail "the sandbox's ledger has $(orders) orders, wanted $1"
}

# --- 1. version N --------------------------------------------------------------------------
say "apt-get install version N"
in_root apt-get install -y -qq /tmp/$(basename "$OLD_DEB") > "$WORK/apt-old.log" 2>&1 || { tail -20 "$WORK/apt-old.log"; fail "apt-get install N"; }
printf '2580\n' > "$R/home/till/pin" && printf 'kiosk-sandbox-demo-secret-not-for-production\n' > "$R/home/till/secret"
cat > "$R/home/till/rollout.toml" <<TOML
environment = "live"
secret_file = "/home/till/secret"
manager_id = "M1"
manager_name = "Store manager"
manager_pin_file = "/home/till/pin"
[backend]
url = "http://127.0.0.1:$PORT/api/3.0/"
site_id = "900100"
site_name = "kiosk-sandbox"
[store]
store_id = "S-1"
terminal_id = "T01"
name = "Test store"
[scanner]
camera = ""
TOML
chroot "$R" chown -R till:till /home/till
rm -f "$SANDBOX_DB"
sandbox_start
as_till kiosk setup --from /home/till/rollout.toml || fail "kiosk setup"
as_till kiosk catalogue import /opt/kiosk/_internal/kiosk_resources/demo/products.csv >/dev/null || fail "catalogue import"

# --- 2. a sale on N reaches the ledger -----------------------------------------------------
before=$(orders)
window_start
sign_in
sale
wait_orders $((before + 1))
say "sale 1 (version N) is in the sandbox's ledger"

# --- 3. offline sales, the upgrade, delivery ------------------------------------------------
sandbox_stop
sale
sale
window_stop
pending=$(queue_line pending)
[ "${pending:-0}" -ge 2 ] || fail "expected 2 sales waiting offline, the queue says ${pending:-nothing}"
old_schema=$(schema)
say "$pending writes wait offline (terminal database schema $old_schema); installing N+1 over N"
in_root apt-get install -y -qq /tmp/$(basename "$NEW_DEB") > "$WORK/apt-new.log" 2>&1 || { tail -20 "$WORK/apt-new.log"; fail "apt-get install N+1"; }
in_root kiosk --version
[ "$(in_root dpkg-query -W -f='${Version}' kiosk)" = "$NEW_VERSION" ] || fail "dpkg does not list version $NEW_VERSION"
sandbox_start
as_till env QT_QPA_PLATFORM=offscreen kiosk doctor --json > "$WORK/doctor.json" || true
if grep -q '"state": "fail"' "$WORK/doctor.json"; then cat "$WORK/doctor.json" >&2; fail "kiosk doctor found a failure"; fi
say "kiosk doctor --json: $(grep -c '"ok"' "$WORK/doctor.json") ok, $(grep -c '"warn"' "$WORK/doctor.json") warnings"
window_start
wait_orders $((before + 3))
new_schema=$(schema)
[ "$new_schema" -gt "$old_schema" ] || say "note: no terminal-database migration between N and N+1 ($old_schema -> $new_schema)"
say "after the upgrade the 2 waiting sales were delivered (schema $old_schema -> $new_schema)"
sign_in
sale
wait_orders $((before + 4))
window_stop
[ "$(queue_line pending)" = 0 ] || fail "writes still pending after the upgrade: $(queue_line pending)"
[ "$(queue_line dead)" = 0 ] || fail "dead letters after the upgrade: $(queue_line dead)"
say "sale 4 (version N+1) is in the ledger; nothing pending, nothing dead"

# --- 4. removal and purge -------------------------------------------------------------------
in_root dpkg -r kiosk >/dev/null
[ -f "$R/home/till/.local/share/kiosk/terminal.sqlite3" ] || fail "dpkg -r lost the terminal database"
[ -f "$R/etc/kiosk/settings.toml" ] || fail "dpkg -r removed the configuration"
in_root dpkg --purge kiosk
[ ! -e "$R/etc/kiosk" ] || fail "dpkg --purge left /etc/kiosk"
[ -f "$R/home/till/.local/share/kiosk/terminal.sqlite3" ] || fail "dpkg --purge lost the terminal database"
[ -d "$R/var/lib/kiosk" ] || fail "dpkg --purge removed /var/lib/kiosk"
say "PASSED: install, setup, 4 sales delivered across an offline upgrade, remove and purge keep the data"
