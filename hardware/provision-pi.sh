#!/usr/bin/env bash
# Install a field node on a Raspberry Pi (run as root, from this folder):
#   sudo ./provision-pi.sh NODE_ID [SOURCE]
# NODE_ID's folder (node.toml and password, written by `lalert-sim provision`)
# must be in the current directory or under ~pi/; SOURCE is what pip installs
# (default: lalert-sim[pi] from the package index; a path to a checkout works).
set -euo pipefail
node_id=${1:?usage: provision-pi.sh NODE_ID [SOURCE]}
source=${2:-lalert-sim[pi]}
here=$(cd "$(dirname "$0")" && pwd)
from=$(ls -d "./$node_id" "/home/pi/$node_id" 2>/dev/null | head -1 || true)
[ -n "$from" ] && [ -f "$from/node.toml" ] || { echo "no $node_id/node.toml here or in /home/pi" >&2; exit 2; }

apt-get update -qq
apt-get install -y -qq python3-venv python3-lgpio chrony >/dev/null
id lalert >/dev/null 2>&1 || useradd --system --no-create-home --groups gpio lalert

python3 -m venv --system-site-packages /opt/lalert-node/venv   # python3-lgpio comes from Debian
/opt/lalert-node/venv/bin/pip install -q --upgrade pip
/opt/lalert-node/venv/bin/pip install -q "$source"

install -d -m 750 -o root -g lalert /etc/lalert-node
install -m 640 -o root -g lalert "$from/node.toml" /etc/lalert-node/node.toml
install -m 640 -o root -g lalert "$from/password" /etc/lalert-node/password
sed -i 's|^state_dir = .*|state_dir = "/var/lib/lalert-node"|' /etc/lalert-node/node.toml

install -m 644 "$here/lalert-node.service" /etc/systemd/system/lalert-node.service
systemctl daemon-reload
systemctl enable --now chrony lalert-node
echo "field node $node_id installed: journalctl -u lalert-node -f"
chronyc tracking | grep -E "System time|Leap status" || true
