"""MQTT brokers for the bridge: addresses, Mosquitto's generated credentials and ACL, a Mosquitto
process started and stopped by its PID, and an embedded amqtt broker for demos on a bare laptop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from lalert_sim.errors import BridgeError, BrokerUrlError
from lalert_sim.hil.protocol import GROUP_ROOT, NODE_READS, NODE_WRITES, ROOT, group_topic, topic
from lalert_sim.model.field_nodes import MAX_MESSAGE_BYTES

BRIDGE_USER = "bridge"
PBKDF2_ITERATIONS = 1000
TLS_PORT = 8883
"""MQTT over TLS's registered port: the default of an mqtts:// URL and of ``provision --tls``."""


class TlsFileError(BridgeError):
    """A TLS file that cannot be used; ``setting`` says which (``ca_file`` or ``cert_file``)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class ClientTls:
    """How a client checks the broker and proves who it is over TLS: the authority it trusts
    (None: the system's trust store) and, for mutual TLS, its own certificate and key."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def context(self) -> ssl.SSLContext:
        """An SSL context verifying the broker's certificate and host name (TLS 1.2 or later);
        TlsFileError names the file that could not be used."""
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsFileError("ca_file", f"{self.ca_file}: not a usable certificate authority: {exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert_file is not None:
            try:
                context.load_cert_chain(self.cert_file, self.key_file)
            except (OSError, ssl.SSLError) as exc:
                message = f"{self.cert_file} with key {self.key_file}: not a usable certificate and key: {exc}"
                raise TlsFileError("cert_file", message) from None
        return context


@dataclass(frozen=True)
class BrokerAddress:
    """Where a broker listens and who we are to it: ``mqtt://USER:PASSWORD@HOST:PORT``, or
    ``mqtts://`` (TLS, port 8883 unless given) with the ``tls`` settings."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: ClientTls | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """Read an mqtt:// or mqtts:// URL; BrokerUrlError (invalid input) names what is wrong with it."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts"):
            raise BrokerUrlError(f"broker {url!r}: only mqtt:// is supported (plain TCP), or mqtts:// (TLS)")
        tls = ClientTls() if parts.scheme == "mqtts" else None
        try:
            port = parts.port or (1883 if tls is None else TLS_PORT)
        except ValueError:
            raise BrokerUrlError(f"broker {url!r}: the port is not a number from 1 to 65535") from None
        if not parts.hostname or any(c.isspace() for c in parts.hostname):
            raise BrokerUrlError(f"broker {url!r}: no host" if not parts.hostname else f"broker {url!r}: bad host")
        return cls(
            parts.hostname,
            port,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
            tls,
        )

    def with_credentials(self, username: str, password: str | None) -> BrokerAddress:
        """The same broker as another user."""
        return BrokerAddress(self.host, self.port, username, password, self.tls)

    def with_tls(self, tls: ClientTls | None) -> BrokerAddress:
        """The same broker and user over TLS with these settings (None: plain TCP)."""
        return BrokerAddress(self.host, self.port, self.username, self.password, tls)

    def url(self, credentials: bool = False) -> str:
        """The mqtt:// or mqtts:// URL (without the password unless asked)."""
        user = ""
        if self.username:
            user = self.username + (f":{self.password}" if credentials and self.password else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"{'mqtt' if self.tls is None else 'mqtts'}://{user}{host}:{self.port}"


# --- Mosquitto's files ------------------------------------------------------------------------------------------


def password_hash(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """Mosquitto 2's password-file hash: ``$7$`` = PBKDF2-HMAC-SHA512 (as ``mosquitto_passwd`` writes)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def acl_text(
    node_ids: list[str], bridge_user: str = BRIDGE_USER, groups: Mapping[str, Sequence[str]] | None = None
) -> str:
    """Mosquitto ACL: the bridge may use every node's and group's topics; a node only reads its own
    alerts and pings and its ``groups``' alerts, and only writes its own acks, status and pongs."""
    lines = [
        f"# lalert-sim field-node ACL (protocol {ROOT})",
        f"user {bridge_user}",
        f"topic readwrite {ROOT}/#",
        f"topic readwrite {GROUP_ROOT}/#",
        "",
    ]
    for node_id in node_ids:
        lines.append(f"user {node_id}")
        lines += [f"topic read {topic}" for topic in node_reads(node_id, (groups or {}).get(node_id, ()))]
        lines += [f"topic write {topic(node_id, kind)}" for kind in NODE_WRITES]
        lines.append("")
    return "\n".join(lines)


def node_reads(node_id: str, groups: Sequence[str] = ()) -> list[str]:
    """The topics one node may read: its own alerts and pings, and its groups' alerts (one list for
    Mosquitto's ACL and the embedded broker's)."""
    return [topic(node_id, kind) for kind in NODE_READS] + [group_topic(group) for group in groups]


@dataclass(frozen=True)
class BrokerTls:
    """The broker's TLS listener: the authority its clients' certificates must come from, its own
    certificate and key, and whether a client must present a certificate (``mutual``). With
    ``mutual`` the certificate's common name is the client's user name (and client id) for the ACL,
    and no password is asked; without it clients log in with their passwords over the encrypted link."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    mutual: bool = False

    def listener_lines(self) -> list[str]:
        """The mosquitto.conf lines after ``listener PORT BIND``."""
        lines = [
            f"cafile {self.ca_file.resolve()}",
            f"certfile {self.cert_file.resolve()}",
            f"keyfile {self.key_file.resolve()}",
            "tls_version tlsv1.2",  # the oldest version accepted
        ]
        if self.mutual:
            lines += ["require_certificate true", "use_identity_as_username true"]
        return lines


@dataclass(frozen=True)
class BrokerFiles:
    """A generated Mosquitto configuration and the credentials it accepts."""

    config: Path
    passwords: dict[str, str] = field(repr=False)

    def address(self, host: str, port: int, user: str = BRIDGE_USER, tls: ClientTls | None = None) -> BrokerAddress:
        """How ``user`` reaches the broker (over TLS with ``tls``)."""
        return BrokerAddress(host, port, user, self.passwords[user], tls)


def write_mosquitto_files(
    directory: Path,
    node_ids: list[str],
    port: int,
    bind: str = "127.0.0.1",
    persistence: bool = False,
    passwords: dict[str, str] | None = None,
    tls: BrokerTls | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> BrokerFiles:
    """mosquitto.conf, a password file (a random password per node and for the bridge) and the ACL.

    ``persistence`` keeps queued alerts for offline nodes across a broker restart (production; saved
    every few seconds, so a crash loses at most those: the bridge re-sends what was not answered).
    Existing ``passwords`` are kept so a re-run does not lock nodes out; ``groups``: each node's
    delivery groups, whose alert topics the ACL lets it read. The client id is the user
    name, whatever a client claims (one node's password cannot take over another's session), and
    no message may exceed MAX_MESSAGE_BYTES. With ``tls`` the one listener speaks TLS only.
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    passwords = dict(passwords or {})
    for user in [BRIDGE_USER, *node_ids]:
        passwords.setdefault(user, secrets.token_urlsafe(18))
    write_private(directory / "passwords", "".join(f"{u}:{password_hash(p)}\n" for u, p in passwords.items()))
    write_private(directory / "acl", acl_text(node_ids, groups=groups))
    lines = [
        "# Generated by lalert-sim: field-node broker",
        "per_listener_settings false",
        f"listener {port} {bind}",
        *(tls.listener_lines() if tls is not None else []),
        "allow_anonymous false",
        f"password_file {directory / 'passwords'}",
        f"acl_file {directory / 'acl'}",
        "set_tcp_nodelay true",  # no Nagle delay on small alert and ack packets
        "use_username_as_clientid true",
        f"message_size_limit {MAX_MESSAGE_BYTES}",  # a larger payload is not forwarded
        f"max_packet_size {MAX_MESSAGE_BYTES + 4096}",  # a client sending a far larger packet is disconnected
        "max_queued_messages 10000",  # alerts kept per node with a persistent session, beyond those in flight
        "max_inflight_messages 100",  # unacknowledged alerts per node at once: bounds the node's own queue
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
    ]
    if persistence:
        lines += ["persistence true", f"persistence_location {directory}/", "autosave_interval 5"]
    else:
        lines.append("persistence false")
    if os.geteuid() == 0:
        lines.append("user root")  # Mosquitto started as root would otherwise switch to 'mosquitto' and lose the files
    config = directory / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    return BrokerFiles(config, passwords)


def write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only (mode 600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


# --- a Mosquitto process ---------------------------------------------------------------------------------------


def find_mosquitto() -> str | None:
    """The mosquitto executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """True once something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Mosquitto:
    """A Mosquitto broker on loopback with generated credentials and ACL, stopped by its PID.

    ``with Mosquitto(["pi-01", ...]) as broker: broker.address("pi-01")``.
    """

    def __init__(
        self,
        node_ids: list[str],
        directory: Path | None = None,
        port: int | None = None,
        executable: str | None = None,
        persistence: bool = False,
        tls: BrokerTls | None = None,
        files: BrokerFiles | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Generated files in ``directory`` (a temporary one by default) on ``port`` (a free one), or
        ``files`` already written (e.g. by `provision`) whose listener is on ``port``."""
        found = executable or find_mosquitto()
        if found is None:
            raise BridgeError(
                "mosquitto not found: install it (Debian/Ubuntu: apt install mosquitto) "
                "or leave --broker out to use the embedded broker"
            )
        self.executable = found
        self._tmp = None if directory is not None else tempfile.TemporaryDirectory(prefix="lalert-mosquitto-")
        self.directory = directory or Path(self._tmp.name)  # type: ignore[union-attr]
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.files = files or write_mosquitto_files(
            self.directory, node_ids, self.port, persistence=persistence, tls=tls, groups=groups
        )
        self.log_path = self.directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return None if self.process is None else self.process.pid

    def address(self, user: str = BRIDGE_USER) -> BrokerAddress:
        """How ``user`` (the bridge or a node id) reaches this broker."""
        return self.files.address(self.host, self.port, user)

    def start(self, timeout_s: float = 10.0) -> Mosquitto:
        """Start the broker and wait until it accepts connections."""
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [self.executable, "-c", str(self.files.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if not wait_for_port(self.host, self.port, timeout_s, lambda: self.process.poll() is None):  # type: ignore[union-attr]
            self.stop()
            raise BridgeError(f"mosquitto did not start on {self.host}:{self.port}: {self.log()[-500:]}")
        return self

    def log(self) -> str:
        """What the broker wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, timeout_s: float = 5.0) -> None:
        """SIGKILL the broker (a crash: nothing saved since the last autosave); ``start`` brings it back."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the broker by its PID: SIGTERM, then SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()

    def close(self) -> None:
        """Stop and remove the generated files (when they are temporary)."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Mosquitto:
        return self.start() if self.process is None else self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


# --- embedded broker ---------------------------------------------------------------------------------------------


class EmbeddedBroker:
    """An amqtt broker inside this process on loopback, with the same per-node credentials, ACL and
    client ids bound to user names as the generated Mosquitto configuration (for `lalert-sim demo-hil`
    where no broker is installed). amqtt has no message-size limit: the nodes' own check stands alone."""

    def __init__(
        self, node_ids: list[str], port: int | None = None, groups: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.node_ids = node_ids
        self.groups = groups or {}
        self.passwords = {user: secrets.token_urlsafe(12) for user in [BRIDGE_USER, *node_ids]}
        self._tmp = tempfile.TemporaryDirectory(prefix="lalert-amqtt-")
        self._broker: object | None = None

    def address(self, user: str = BRIDGE_USER) -> BrokerAddress:
        """How ``user`` reaches this broker."""
        return BrokerAddress(self.host, self.port, user, self.passwords[user])

    def _config(self) -> dict[str, object]:
        try:
            from pwdlib.hashers.argon2 import Argon2Hasher
        except ImportError as exc:  # pragma: no cover - amqtt depends on pwdlib
            raise BridgeError(f"the embedded broker needs amqtt (pip install 'lalert-sim[hil]'): {exc}") from None
        hasher = Argon2Hasher()
        password_file = Path(self._tmp.name) / "passwords"
        write_private(password_file, "".join(f"{u}:{hasher.hash(p)}\n" for u, p in self.passwords.items()))
        everything = [f"{ROOT}/#", f"{GROUP_ROOT}/#"]
        subscribe = {BRIDGE_USER: everything} | {n: node_reads(n, self.groups.get(n, ())) for n in self.node_ids}
        publish = {BRIDGE_USER: everything} | {n: [topic(n, kind) for kind in NODE_WRITES] for n in self.node_ids}
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False},
                "amqtt.plugins.authentication.FileAuthPlugin": {"password_file": str(password_file)},
                "lalert_sim.hil.amqtt_plugins.ClientIdIsUsername": {},
                "amqtt.plugins.topic_checking.TopicAccessControlListPlugin": {"acl": subscribe, "publish_acl": publish},
            },
        }

    async def __aenter__(self) -> EmbeddedBroker:
        try:
            from amqtt.broker import Broker
        except ImportError as exc:
            raise BridgeError(f"the embedded broker needs amqtt (pip install 'lalert-sim[hil]'): {exc}") from None
        logging.getLogger("amqtt").setLevel(logging.ERROR)  # its per-message notices would drown the report
        broker = Broker(self._config())
        await broker.start()
        self._broker = broker
        return self

    async def __aexit__(self, *_exc: object) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await asyncio.wait_for(broker.shutdown(), 10)  # type: ignore[attr-defined]
        self._tmp.cleanup()
