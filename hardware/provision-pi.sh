#!/usr/bin/env bash
# Install a field node on a Raspberry Pi (run as root, from this folder):
#   sudo ./provision-pi.sh NODE_ID [SOURCE]
# NODE_ID's folder (node.toml, and password or ca.pem/client.crt/client.key, written by
# `lalert-sim provision [--tls|--mutual]`) must be in the current directory or under ~pi/;
# SOURCE is what pip installs (default: lalert-sim[pi] from the package index; a path to a
# checkout works).
#
# The service runs as user lalert with group lalert (which may read /etc/lalert-node) and the
# supplementary group gpio (the GPIO character devices): see lalert-node.service.
#
# Test installs: ROOT=DIR installs under DIR instead of / (the paths written into node.toml and
# the unit carry the prefix, so the node runs there as installed) and leaves packages, chrony and
# systemctl alone; VENV=DIR links an existing environment that has lalert-sim instead of creating
# one and running pip. Users and groups are the running system's: created when run as root;
# when not run as root nothing is chown'ed.
set -euo pipefail
node_id=${1:?usage: provision-pi.sh NODE_ID [SOURCE]}
source=${2:-lalert-sim[pi]}
root=${ROOT:-}
here=$(cd "$(dirname "$0")" && pwd)
from=$(ls -d "./$node_id" "/home/pi/$node_id" 2>/dev/null | head -1 || true)
[ -n "$from" ] && [ -f "$from/node.toml" ] || { echo "no $node_id/node.toml here or in /home/pi" >&2; exit 2; }

if [ -z "$root" ]; then
  apt-get update -qq
  apt-get install -y -qq python3-venv python3-lgpio chrony >/dev/null
fi

owner=() service_owner=()
if [ "$(id -u)" = 0 ]; then
  getent group gpio >/dev/null || groupadd --system gpio    # Raspberry Pi OS has it; other images may not
  getent group lalert >/dev/null || groupadd --system lalert
  id lalert >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --gid lalert lalert
  usermod --append --groups gpio lalert                     # also for users made by older versions of this script
  owner=(-o root -g lalert) service_owner=(-o lalert -g lalert)
fi

venv=$root/opt/lalert-node/venv
if [ -n "${VENV:-}" ]; then
  install -d -m 755 "$root/opt/lalert-node"
  ln -sfn "$VENV" "$venv"
else
  python3 -m venv --system-site-packages "$venv"   # python3-lgpio comes from Debian
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "$source"
fi

etc=$root/etc/lalert-node state=$root/var/lib/lalert-node
install -d -m 750 "${owner[@]}" "$etc"
for file in node.toml password ca.pem client.crt client.key; do   # those the node's folder has
  if [ -f "$from/$file" ]; then install -m 640 "${owner[@]}" "$from/$file" "$etc/$file"; fi
done
sed -i "s|^state_dir = .*|state_dir = \"$state\"|" "$etc/node.toml"
install -d -m 750 "${service_owner[@]}" "$state"   # the unit's StateDirectory (systemd keeps it so)

install -d -m 755 "$root/etc/systemd/system"
sed -e "s|/opt/lalert-node|$root/opt/lalert-node|g" -e "s|/etc/lalert-node|$etc|g" -e "s|/var/lib/lalert-node|$state|g" \
  "$here/lalert-node.service" > "$root/etc/systemd/system/lalert-node.service"
chmod 644 "$root/etc/systemd/system/lalert-node.service"
if [ -n "$root" ]; then
  echo "field node $node_id installed under $root"
  exit 0
fi
systemctl daemon-reload
systemctl enable --now chrony lalert-node
echo "field node $node_id installed: journalctl -u lalert-node -f"
chronyc tracking | grep -E "System time|Leap status" || true
