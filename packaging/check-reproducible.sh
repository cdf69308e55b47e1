#!/usr/bin/env bash
# Builds the bundle and the .deb twice from this commit and compares them file by file:
# exit 0 when both builds are byte for byte the same, 1 with the files that differ.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
OUT=build/reproducible
rm -rf "$OUT"
for n in 1 2; do
  echo "check-reproducible: build $n"
  KIOSK_DIST=$OUT/$n bash packaging/build-deb.sh | tail -1
  (cd "$OUT/$n/kiosk" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "$OUT/$n.sums"
done
if diff -q "$OUT/1.sums" "$OUT/2.sums" >/dev/null && cmp -s "$OUT"/1/kiosk_*.deb "$OUT"/2/kiosk_*.deb; then
  echo "check-reproducible: the two builds are identical ($(wc -l < "$OUT/1.sums") files, and the .deb)"
  exit 0
fi
echo "check-reproducible: the builds differ:" >&2
diff "$OUT/1.sums" "$OUT/2.sums" | grep '^[<>]' | awk '{print $3}' | sort -u | head -40 >&2
cmp -s "$OUT"/1/kiosk_*.deb "$OUT"/2/kiosk_*.deb || echo "  and the .deb" >&2
exit 1
