#!/usr/bin/env bash
# System packages the test suite uses: Chromium (the report is checked in a real
# browser), a Japanese font (municipality names in plots and the PDF), pango
# (WeasyPrint lays out report.pdf with it), poppler's tools (the PDF tests render
# and read its pages) and Mosquitto (the field-node tests start their own
# broker). Installed from Debian's packages when we may; otherwise the tests
# that need them say what is missing (under CI=true they fail).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
grep -qi "Noto Sans CJK" <<<"$(fc-list 2>/dev/null || true)" || need+=(fonts-noto-cjk)
# The shared libraries the linker knows (ldconfig is in /sbin, which a user's PATH may lack).
libs=$( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null || true)
grep -q "libpango-1.0.so.0 " <<<"$libs" || need+=(libpango-1.0-0)
grep -q "libpangoft2-1.0.so.0 " <<<"$libs" || need+=(libpangoft2-1.0-0)
command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
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
  echo "note: install ${need[*]} (Debian packages) for the browser, PDF and field-node tests" >&2
fi
