"""A field node's settings (node.toml): identity, broker, trusted keys, pins, safety limits."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lalert_sim.errors import NodeConfigError, ScenarioError
from lalert_sim.hil.broker import BrokerAddress, ClientTls, TlsFileError
from lalert_sim.model.alerts import AlertMode
from lalert_sim.model.field_nodes import FIELD_NODE_ID, MAX_MESSAGE_BYTES
from lalert_sim.model.files import KIB, read_bounded

NODE_CONFIG_MAX_BYTES = 64 * KIB
"""A node.toml is a few hundred bytes; anything this large is not one."""
TLS_FILES = ("ca_file", "cert_file", "key_file")
"""The [broker] settings naming TLS files (relative to node.toml, like password_file)."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BrokerSettings(_Section):
    """How the node reaches its broker."""

    url: str = Field(
        default="mqtt://127.0.0.1:1883", description="mqtt://HOST:PORT of the broker; mqtts://HOST:8883 for TLS."
    )
    username: str | None = Field(default=None, description="Default: the node id.")
    password: str | None = None
    password_file: Path | None = Field(
        default=None, description="File holding the password (mode 600, kept out of node.toml)."
    )
    keepalive_s: int = Field(default=10, ge=2, le=600, description="A dead node is declared offline after 1.5× this.")
    reconnect_min_s: float = Field(default=0.5, gt=0, description="First reconnection delay; doubles each try.")
    reconnect_max_s: float = Field(default=30.0, gt=0, description="Longest reconnection delay.")
    ca_file: Path | None = Field(
        default=None, description="mqtts: the authority the broker's certificate must come from (default: system's)."
    )
    cert_file: Path | None = Field(default=None, description="mqtts: this node's client certificate (mutual TLS).")
    key_file: Path | None = Field(default=None, description="mqtts: the client certificate's key (mode 600).")

    @field_validator("url")
    @classmethod
    def _url_parses(cls, url: str) -> str:
        BrokerAddress.parse(url)  # BrokerUrlError is a ValueError: reported as this field's problem
        return url

    @model_validator(mode="after")
    def _tls_consistent(self) -> Self:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (a client certificate and its key)")
        tls_files = [name for name in TLS_FILES if getattr(self, name) is not None]
        if tls_files and not self.url.startswith("mqtts://"):
            raise ValueError(f"{', '.join(tls_files)} need an mqtts:// url (TLS); url is {self.url!r}")
        return self

    def address(self, node_id: str, password: str | None) -> BrokerAddress:
        """How the node ``node_id`` reaches its broker (over TLS with these files for mqtts://)."""
        address = BrokerAddress.parse(self.url).with_credentials(self.username or node_id, password)
        if address.tls is None:
            return address
        return address.with_tls(ClientTls(self.ca_file, self.cert_file, self.key_file))


class OutputPins(_Section):
    """GPIO pins (BCM numbers) of the relay-driven siren, the light and the buzzer; None = not fitted."""

    mock: bool = Field(default=False, description="gpiozero's mock pins: a virtual node on any PC.")
    siren: int | None = Field(default=17, ge=0, le=27, description="Relay driving the siren.")
    light: int | None = Field(default=27, ge=0, le=27, description="LED or beacon.")
    buzzer: int | None = Field(default=22, ge=0, le=27, description="Piezo buzzer.")
    active_high: bool = Field(default=True, description="False for relay boards that switch on a low input.")


class Safety(_Section):
    """What this node will do at all, whatever it is told."""

    accept_modes: list[AlertMode] = Field(
        default_factory=lambda: list(AlertMode),
        description="Alert modes this node sounds for; e.g. leave out 'actual' on a test bench.",
    )
    max_actuation_s: float = Field(default=120.0, gt=0, description="Longest a pattern may run.")
    siren_max_on_s: float = Field(default=60.0, gt=0, description="Longest continuous siren (motor duty limit).")
    max_validity_s: float = Field(default=3600.0, gt=0, description="Longer claimed validity is rejected.")
    clock_tolerance_s: float = Field(default=30.0, ge=0, description="Allowed clock error in expiry checks.")
    max_message_bytes: int = Field(
        default=MAX_MESSAGE_BYTES, gt=0, description="Larger alerts are rejected (too_large) unread."
    )


class Speech(_Section):
    """Optional speech of the headline through espeak-ng."""

    enabled: bool = Field(default=False, description="Speak the headline when the command is installed.")
    voice: str = Field(default="ja", description="espeak-ng voice.")
    command: str = Field(default="espeak-ng", description="The speech program.")


class NodeConfig(_Section):
    """The root of node.toml."""

    node_id: str = Field(pattern=FIELD_NODE_ID)
    groups: list[Annotated[str, Field(pattern=FIELD_NODE_ID)]] = Field(
        default_factory=list,
        max_length=100,
        description="Delivery groups whose alert topics it subscribes to (provision lists the scenario's).",
    )
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    keys: dict[str, str] = Field(min_length=1, description="Trusted signing keys: key id = base64 public key.")
    outputs: OutputPins = Field(default_factory=OutputPins)
    safety: Safety = Field(default_factory=Safety)
    speech: Speech = Field(default_factory=Speech)
    state_dir: Path | None = Field(default=None, description="Replay cache and event log (events.jsonl).")
    pattern_scale: float = Field(default=1.0, gt=0, le=1, description="Shorten patterns (bench tests).")
    clock_skew_s: float = Field(default=0.0, description="Deliberate clock error, for testing the offset correction.")

    @field_validator("keys")
    @classmethod
    def _keys_parse(cls, keys: dict[str, str]) -> dict[str, str]:
        from lalert_sim.hil.protocol import parse_public_key

        for key_id, text in keys.items():
            try:
                parse_public_key(text)
            except ValueError as exc:
                raise ValueError(f"key {key_id!r}: {exc}") from None
        return keys

    def broker_address(self) -> BrokerAddress:
        """The broker, as this node, with its password and TLS files."""
        return self.broker.address(self.node_id, self.password())

    def password(self) -> str | None:
        """The broker password, from node.toml or its password file."""
        if self.broker.password_file is not None:
            return read_bounded(self.broker.password_file, KIB, "broker password file").decode(errors="replace").strip()
        return self.broker.password


def load_node_config(path: Path) -> NodeConfig:
    """Read node.toml; NodeConfigError (exit 2) names the file, the field and the problem for each mistake."""
    try:
        data = tomllib.loads(read_bounded(path, NODE_CONFIG_MAX_BYTES, "node config").decode("utf-8"))
    except ScenarioError as exc:
        raise NodeConfigError("\n".join(str(problem) for problem in exc.problems)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NodeConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise NodeConfigError(f"{path}: not valid TOML: arrays or tables nested too deep") from None
    try:
        config = NodeConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()]
        raise NodeConfigError("\n".join(lines)) from None
    base = path.parent
    updates: dict[str, object] = {}
    if config.state_dir is not None and not config.state_dir.is_absolute():
        updates["state_dir"] = base / config.state_dir
    broker = config.broker
    files = {name: getattr(broker, name) for name in ("password_file", *TLS_FILES)}
    relative = {name: base / file for name, file in files.items() if file is not None and not file.is_absolute()}
    if relative:
        broker = broker.model_copy(update=relative)
        updates["broker"] = broker
    for name in files:
        file = getattr(broker, name)
        if file is not None and not file.is_file():
            problem = "does not exist" if not file.exists() else "is not a file"
            raise NodeConfigError(f"{path}: broker.{name}: {file} {problem}")
    config = config.model_copy(update=updates) if updates else config
    tls = config.broker_address().tls
    if tls is not None:
        try:
            tls.context()  # a broken certificate is a mistake in this file, not a network outage
        except TlsFileError as exc:
            raise NodeConfigError(f"{path}: broker.{exc.setting}: {exc}") from None
    return config
