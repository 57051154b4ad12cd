#!/usr/bin/env bash
# System packages the test suite uses: Chromium (the report is checked in a real
# browser), a Japanese font (municipality names in plots) and Mosquitto (the
# field-node tests start their own broker). Installed from Debian's packages when
# we may; otherwise the tests that need them say what is missing (under CI=true
# they fail).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
else
  echo "note: install ${need[*]} (Debian packages) for the browser and field-node tests" >&2
fi
