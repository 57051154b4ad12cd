"""Everything a field deployment needs from a scenario's bindings: the signing key, the broker's
configuration with per-node credentials and ACL, and one node.toml per field node."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lalert_sim.hil.broker import BRIDGE_USER, write_mosquitto_files, write_private
from lalert_sim.hil.node_config import BrokerSettings, NodeConfig, OutputPins, Safety, Speech
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
    groups: Sequence[str] = (),
) -> str:
    """A node.toml with every setting and its default spelled out (read from ``NodeConfig``), ready to edit."""
    fields = NodeConfig.model_fields
    lines = [
        f"# lalert-sim field node {node_id}",
        _setting("node_id", node_id, fields["node_id"]),
        _setting("groups", list(groups), fields["groups"]),
        _setting("state_dir", state_dir, fields["state_dir"]),
        "",
        _setting("[keys]", None, fields["keys"]),
        f"{json.dumps(key_id)} = {json.dumps(public_key)}",
    ]
    sections: dict[str, BaseModel] = {
        "broker": BrokerSettings(url=broker_url, username=node_id, password_file=Path(password_file)),
        "outputs": OutputPins(mock=mock),
        "safety": Safety(),
        "speech": Speech(),
    }
    for name, section in sections.items():
        lines += ["", f"[{name}]"]
        for key, info in type(section).model_fields.items():
            value = getattr(section, key)
            if value is not None:
                lines.append(_setting(key, value, info))
    return "\n".join(lines) + "\n"


def _setting(key: str, value: object, info: FieldInfo) -> str:
    """``key = value``, with the field's description as its comment."""
    line = key if value is None else f"{key} = {_toml(value)}"
    return f"{line:<34} # {info.description}" if info.description else line


def _toml(value: object) -> str:
    match value:
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case float():
            return str(int(value)) if value.is_integer() else repr(value)
        case list():
            return "[" + ", ".join(_toml(item) for item in value) + "]"
        case _:  # strings, paths and enum members
            return json.dumps(str(value), ensure_ascii=False)


def provision(
    node_ids: list[str],
    out: Path,
    broker_host: str,
    port: int = 1883,
    key_id: str = "drill",
    mock: bool = False,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Provisioned:
    """Write keys/, broker/ and nodes/<id>/ under ``out``; existing keys and passwords are kept.

    ``groups``: each node's delivery groups (``FieldNodes.memberships``), in its node.toml and the ACL."""
    groups = groups or {}
    out.mkdir(parents=True, exist_ok=True)
    key_path, pub_path = out / "keys" / f"{key_id}.key", out / "keys" / f"{key_id}.pub"
    if not key_path.exists():
        key_path, pub_path = generate_key(out / "keys", key_id)
    public = Signer.from_file(key_path, key_id).public_key_text()
    credentials_path = out / "broker" / "credentials.json"
    known = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
    files = write_mosquitto_files(
        out / "broker", node_ids, port, bind="0.0.0.0", persistence=True, passwords=known, groups=groups
    )
    write_private(credentials_path, json.dumps(files.passwords, indent=2) + "\n")
    node_dirs = {}
    for node_id in node_ids:
        directory = out / "nodes" / node_id
        directory.mkdir(parents=True, exist_ok=True)
        write_private(directory / "password", files.passwords[node_id] + "\n")
        text = node_toml(node_id, f"mqtt://{broker_host}:{port}", key_id, public, mock, groups=groups.get(node_id, ()))
        (directory / "node.toml").write_text(text)
        node_dirs[node_id] = directory
    return Provisioned(key_path, pub_path, files.config, node_dirs, files.passwords[BRIDGE_USER])
