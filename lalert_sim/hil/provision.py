"""Everything a field deployment needs from a scenario's bindings: the signing key, the broker's
configuration with per-node credentials and ACL, one node.toml per field node and, with TLS, a
certificate authority, the broker's certificate and (mutual TLS) a client certificate per node."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lalert_sim.hil.broker import (
    BRIDGE_USER,
    BrokerAddress,
    BrokerFiles,
    BrokerTls,
    ClientTls,
    Mosquitto,
    write_mosquitto_files,
    write_private,
)
from lalert_sim.hil.certificates import CertificateAuthority, host_name, write_pem
from lalert_sim.hil.node_config import TLS_FILES, BrokerSettings, NodeConfig, OutputPins, Safety, Speech
from lalert_sim.hil.protocol import Signer, generate_key


@dataclass(frozen=True)
class Provisioned:
    """Where provisioning put things."""

    key: Path
    public_key: Path
    broker_config: Path
    node_dirs: dict[str, Path]
    bridge_password: str
    broker_url: str
    """How the bridge reaches the broker: ``mqtt(s)://bridge@HOST:PORT``."""
    bridge_tls: ClientTls | None = None
    """With TLS: the files the bridge connects with (``--ca``, and ``--cert``/``--cert-key`` for mutual TLS)."""

    def mosquitto(self, node_ids: list[str]) -> Mosquitto:
        """A Mosquitto (not started) on the configuration written here, for ``node_ids``."""
        files = BrokerFiles(self.broker_config, {BRIDGE_USER: self.bridge_password})
        port = BrokerAddress.parse(self.broker_url).port
        return Mosquitto(node_ids, self.broker_config.parent, port, files=files)

    def bridge_address(self) -> BrokerAddress:
        """How the bridge connects: its certificate under mutual TLS, else its password (over TLS or not)."""
        mutual = self.bridge_tls is not None and self.bridge_tls.cert_file is not None
        address = BrokerAddress.parse(self.broker_url).with_tls(self.bridge_tls)
        return address.with_credentials(BRIDGE_USER, None if mutual else self.bridge_password)


def node_toml(
    node_id: str,
    broker_url: str,
    key_id: str,
    public_key: str,
    mock: bool = False,
    password_file: str | None = "password",
    state_dir: str = "state",
    tls_files: dict[str, str] | None = None,
    groups: Sequence[str] = (),
) -> str:
    """A node.toml with every setting and its default spelled out (read from ``NodeConfig``), ready to edit;
    ``tls_files``: the [broker] TLS settings (ca_file, cert_file, key_file) for an mqtts:// url."""
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
        "broker": BrokerSettings.model_validate(
            {"url": broker_url, "username": node_id, "password_file": password_file} | (tls_files or {})
        ),
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
    port: int | None = None,
    key_id: str = "drill",
    mock: bool = False,
    node_ports: Mapping[str, int] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    tls: bool = False,
    mutual: bool = False,
    tls_hosts: list[str] | None = None,
    bind: str = "0.0.0.0",
) -> Provisioned:
    """Write keys/, broker/, nodes/<id>/ (and with TLS tls/ and bridge/) under ``out``; existing keys,
    passwords and the authority are kept. ``port`` defaults to 1883, or 8883 with TLS; ``mutual``
    (implies ``tls``) gives each node and the bridge a client certificate instead of a password;
    ``tls_hosts``: more names the broker's certificate is valid for (besides ``broker_host`` and loopback).
    A node in ``node_ports`` connects to that port instead (its link's relay, hil/impair.py);
    ``groups``: each node's delivery groups (``FieldNodes.memberships``), in its node.toml and the ACL."""
    tls = tls or mutual
    port = port or (8883 if tls else 1883)
    broker_host = host_name(broker_host, "--broker-host")  # ValueError before anything is written
    tls_hosts = [host_name(host, "--tls-host") for host in tls_hosts or []]
    groups = groups or {}
    out.mkdir(parents=True, exist_ok=True)
    key_path, pub_path = out / "keys" / f"{key_id}.key", out / "keys" / f"{key_id}.pub"
    if not key_path.exists():
        key_path, pub_path = generate_key(out / "keys", key_id)
    public = Signer.from_file(key_path, key_id).public_key_text()
    authority = CertificateAuthority.load_or_create(out / "tls" / "ca.pem", out / "tls" / "ca.key") if tls else None
    listener = None
    if authority is not None:
        server = authority.issue_server(
            out / "broker" / "broker.crt", out / "broker" / "broker.key", [broker_host, *tls_hosts]
        )
        listener = BrokerTls(out / "tls" / "ca.pem", server.cert, server.key, mutual)
    credentials_path = out / "broker" / "credentials.json"
    known = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
    files = write_mosquitto_files(
        out / "broker", node_ids, port, bind=bind, persistence=True, passwords=known, tls=listener, groups=groups
    )
    write_private(credentials_path, json.dumps(files.passwords, indent=2) + "\n")
    netloc = f"[{broker_host}]" if ":" in broker_host else broker_host  # an IPv6 address
    scheme = "mqtts" if tls else "mqtt"
    url = f"{scheme}://{netloc}:{port}"
    ports = node_ports or {}
    node_dirs = {}
    for node_id in node_ids:
        directory = out / "nodes" / node_id
        directory.mkdir(parents=True, exist_ok=True)
        tls_files = None if authority is None else _client_files(authority, directory, node_id, mutual)
        password_file: str | None = None
        if not mutual:  # with mutual TLS the certificate is the node's identity
            write_private(directory / "password", files.passwords[node_id] + "\n")
            password_file = "password"
        node_url = f"{scheme}://{netloc}:{ports.get(node_id, port)}"  # an impaired node: its relay's port
        text = node_toml(
            node_id,
            node_url,
            key_id,
            public,
            mock,
            password_file=password_file,
            tls_files=tls_files,
            groups=groups.get(node_id, ()),
        )
        (directory / "node.toml").write_text(text)
        node_dirs[node_id] = directory
    bridge_tls = None
    if authority is not None:
        bridge_files = _client_files(authority, out / "bridge", BRIDGE_USER, mutual)
        bridge_tls = ClientTls(
            *(out / "bridge" / bridge_files[name] if name in bridge_files else None for name in TLS_FILES)
        )
    bridge_url = url.replace("://", f"://{BRIDGE_USER}@", 1)
    return Provisioned(
        key_path, pub_path, files.config, node_dirs, files.passwords[BRIDGE_USER], bridge_url, bridge_tls
    )


def _client_files(authority: CertificateAuthority, directory: Path, user: str, mutual: bool) -> dict[str, str]:
    """The authority's certificate in ``directory`` and, for mutual TLS, ``user``'s certificate and
    key beside it; the [broker] settings naming them (relative to the folder, which travels whole)."""
    write_pem(directory / "ca.pem", authority.cert_pem())
    if not mutual:
        return {"ca_file": "ca.pem"}
    authority.issue_client(directory / "client.crt", directory / "client.key", user)
    return {"ca_file": "ca.pem", "cert_file": "client.crt", "key_file": "client.key"}
