"""Everything a field deployment needs from a scenario's bindings: the signing key, the broker's
configuration with per-node credentials and ACL, and one node.toml per field node."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lalert_sim.hil.broker import BRIDGE_USER, write_mosquitto_files, write_private
from lalert_sim.hil.protocol import Signer, generate_key


@dataclass(frozen=True)
class Provisioned:
    """Where provisioning put things."""

    key: Path
    public_key: Path
    broker_config: Path
    node_dirs: dict[str, Path]
    bridge_password: str


def node_toml(
    node_id: str,
    broker_url: str,
    key_id: str,
    public_key: str,
    mock: bool = False,
    password_file: str = "password",
    state_dir: str = "state",
) -> str:
    """A node.toml with the defaults spelled out, ready to edit (pins, safety limits)."""
    return f"""# lalert-sim field node {node_id}
node_id = "{node_id}"
state_dir = "{state_dir}"          # replay cache and event log (events.jsonl)

[broker]
url = "{broker_url}"
username = "{node_id}"
password_file = "{password_file}"  # mode 600; generated with the broker's password file
keepalive_s = 10

[keys]                             # signing keys this node trusts: key id = base64 public key
"{key_id}" = "{public_key}"

[outputs]                          # BCM pin numbers; see hardware/WIRING.md
mock = {str(mock).lower()}                       # true: gpiozero mock pins (a virtual node on any PC)
siren = 17                         # relay driving the siren
light = 27                         # LED / beacon
buzzer = 22
active_high = true                 # false for relay boards that switch on a low input

[safety]
accept_modes = ["actual", "exercise", "test"]   # e.g. drop "actual" on a test bench
max_actuation_s = 120              # no pattern runs longer
siren_max_on_s = 60                # longest continuous siren (motor duty limit)
max_validity_s = 3600
clock_tolerance_s = 30

[speech]
enabled = false                    # speak the headline through espeak-ng when installed
voice = "ja"
"""


def provision(
    node_ids: list[str], out: Path, broker_host: str, port: int = 1883, key_id: str = "drill", mock: bool = False
) -> Provisioned:
    """Write keys/, broker/ and nodes/<id>/ under ``out``; existing keys and passwords are kept."""
    out.mkdir(parents=True, exist_ok=True)
    key_path, pub_path = out / "keys" / f"{key_id}.key", out / "keys" / f"{key_id}.pub"
    if not key_path.exists():
        key_path, pub_path = generate_key(out / "keys", key_id)
    public = Signer.from_file(key_path, key_id).public_key_text()
    credentials_path = out / "broker" / "credentials.json"
    known = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
    files = write_mosquitto_files(out / "broker", node_ids, port, bind="0.0.0.0", persistence=True, passwords=known)
    write_private(credentials_path, json.dumps(files.passwords, indent=2) + "\n")
    node_dirs = {}
    for node_id in node_ids:
        directory = out / "nodes" / node_id
        directory.mkdir(parents=True, exist_ok=True)
        write_private(directory / "password", files.passwords[node_id] + "\n")
        (directory / "node.toml").write_text(node_toml(node_id, f"mqtt://{broker_host}:{port}", key_id, public, mock))
        node_dirs[node_id] = directory
    return Provisioned(key_path, pub_path, files.config, node_dirs, files.passwords[BRIDGE_USER])
