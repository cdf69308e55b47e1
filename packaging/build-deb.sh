#!/usr/bin/env bash
# Makes dist/kiosk_<version>_amd64.deb from the bundle (built first if dist/kiosk is
# missing or older than the sources): /opt/kiosk, /usr/bin/kiosk, the desktop entry and
# icon, the systemd units, the udev rule and /etc/kiosk/settings.toml as a conffile.
# KIOSK_VERSION=1.2.3 sets the package's version (default: kiosk.__version__).
set -euo pipefail
umask 022  # a package's folders are 0755 whatever umask the caller has (the suite runs under 077)
cd "$(dirname "$0")/.."
DIST=${KIOSK_DIST:-dist}
if [ ! -x "$DIST/kiosk/kiosk" ] || [ -n "$(find kiosk ui resources packaging -newer "$DIST/kiosk/kiosk" -name '*.py' -print -quit)" ]; then
  bash packaging/build.sh
fi
if ! command -v dpkg-shlibdeps >/dev/null || ! command -v fakeroot >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-deb: dpkg-shlibdeps or fakeroot is missing: apt-get install dpkg-dev fakeroot" >&2; exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev fakeroot >/dev/null
fi
VERSION=${KIOSK_VERSION:-$(.venv/bin/python -c 'import kiosk; print(kiosk.__version__)')}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
export SOURCE_DATE_EPOCH
ARCH=amd64
STAGE=build/deb/kiosk_${VERSION}_${ARCH}
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/etc/kiosk" \
  "$STAGE/usr/share/applications" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
  "$STAGE/usr/lib/systemd/system" "$STAGE/usr/lib/systemd/user" "$STAGE/usr/lib/udev/rules.d" \
  "$STAGE/usr/share/doc/kiosk"
cp -a "$DIST/kiosk" "$STAGE/opt/kiosk"
# The bundle says which version it is; a KIOSK_VERSION build says the package's.
ln -s /opt/kiosk/kiosk "$STAGE/usr/bin/kiosk"
install -m 0644 packaging/etc/settings.toml "$STAGE/etc/kiosk/settings.toml"
install -m 0644 packaging/deb/kiosk.desktop "$STAGE/usr/share/applications/kiosk.desktop"
install -m 0644 packaging/deb/kiosk.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/kiosk.svg"
install -m 0644 packaging/deb/systemd/kiosk.service "$STAGE/usr/lib/systemd/user/kiosk.service"
install -m 0644 packaging/deb/systemd/kiosk-selfservice@.service packaging/deb/systemd/kiosk-service-screen@.service \
  "$STAGE/usr/lib/systemd/system/"
install -m 0644 packaging/deb/70-kiosk.rules "$STAGE/usr/lib/udev/rules.d/70-kiosk.rules"
install -m 0644 README.md "$STAGE/usr/share/doc/kiosk/README.md"
install -m 0755 packaging/deb/maintainer/postinst packaging/deb/maintainer/prerm packaging/deb/maintainer/postrm \
  "$STAGE/DEBIAN/"
echo /etc/kiosk/settings.toml > "$STAGE/DEBIAN/conffiles"

# Depends: what the bundle's binaries link to outside it (dpkg-shlibdeps reads the ELF
# files; it needs a debian/control to run in), plus what no binary names: libzbar is opened
# with ctypes, OpenGL and fonts through Qt's plugins.
work=build/deb/shlibdeps
rm -rf "$work" && mkdir -p "$work/debian"
printf 'Source: kiosk\n\nPackage: kiosk\nArchitecture: any\n' > "$work/debian/control"
mapfile -t elves < <(find "$STAGE/opt/kiosk" -type f \( -name '*.so' -o -name '*.so.*' -o -name kiosk \) \
  -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \;)
args=(-O --ignore-missing-info)
while IFS= read -r dir; do args+=("-l$PWD/$dir"); done < <(printf '%s\n' "${elves[@]}" | xargs -n1 dirname | sort -u)
for elf in "${elves[@]}"; do args+=("-e$PWD/$elf"); done
# Libraries the bundle carries itself are found through -l and name no package.
shlibs=$(cd "$work" && dpkg-shlibdeps "${args[@]}" 2>"$PWD/../shlibdeps.log" | sed -n 's/^shlibs:Depends=//p') || {
  echo "build-deb: dpkg-shlibdeps failed (build/deb/shlibdeps.log)" >&2; exit 1; }
EXTRA="libzbar0, libgl1, libegl1, libusb-1.0-0, libxkbcommon-x11-0, libxcb-cursor0, fontconfig-config, fonts-dejavu-core, fonts-noto-ui-core, adduser"
DEPENDS=$(printf '%s\n' "$shlibs" "$EXTRA" | tr ',' '\n' | sed 's/^ *//; /^$/d' \
  | awk '{name=$1} !(name in seen) {seen[name]=1; out = out (out ? ", " : "") $0} END {print out}')
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: kiosk
Version: $VERSION
Architecture: $ARCH
Maintainer: Kiosk <support@kiosk.invalid>
Installed-Size: $SIZE
Depends: $DEPENDS
Recommends: cage, speech-dispatcher, espeak-ng
Section: misc
Priority: optional
Description: loyalty terminal for a store's checkout counter and self-service kiosk
 Scans a member's card or QR code, shows points, tier and rewards, applies rewards,
 coupons and gift cards, and sends each sale or return to the loyalty backend through
 a durable offline queue. Includes the cashier window (a user unit) and the shoppers'
 kiosk under cage (a system unit for the user kiosk).
CONTROL
# Every file dated to the commit, so two builds of one commit give the same package.
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$DIST"
OUT="$DIST/kiosk_${VERSION}_${ARCH}.deb"
fakeroot dpkg-deb --root-owner-group -Zxz -z6 --build "$STAGE" "$OUT" >/dev/null
echo "$OUT: $(( $(stat -c %s "$OUT") / 1000000 )) MB (target 100 MB), unpacked $(( SIZE / 1000 )) MB"
