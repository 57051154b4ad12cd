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
  # Another install may hold the package manager's lock: wait for it (up to
  # 10 minutes) rather than fail, and retry a step that still lost the race.
  apt_wait=(-o DPkg::Lock::Timeout=600)
  retry() {
    local try
    for try in 1 2 3; do
      "$@" && return 0
      echo "note: '$*' failed (try $try of 3); waiting for the package manager" >&2
      sleep 20
    done
    return 1
  }
  retry apt-get "${apt_wait[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive retry apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends \
    "${need[@]}" fontconfig >/dev/null
else
  echo "note: install ${need[*]} (Debian packages) for the browser and field-node tests" >&2
fi
