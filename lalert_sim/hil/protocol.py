"""The field-node protocol, one source of truth for the bridge and the node agent.

Topics (versioned, one subtree per field node; the node id is also its broker user name)::

    lalert/v1/node/<id>/alert      bridge → node   QoS 1   signed alert (SignedAlert)
    lalert/v1/node/<id>/ack        node → bridge   QoS 1   Ack: actuated, refused or rejected
    lalert/v1/node/<id>/status     node → all      QoS 1   retained Status; last will "offline"
    lalert/v1/node/<id>/time/ping  bridge → node   QoS 0   TimePing (t1)
    lalert/v1/node/<id>/time/pong  node → bridge   QoS 0   TimePong (t1, t2, t3)
    lalert/v1/group/<name>/alert   bridge → group  QoS 1   one signed alert for every member of a group

A group alert is signed once and published once; each member answers it on its own ack topic. A
node subscribes to the groups its node.toml lists (``groups``); the broker's ACL lets it read those
groups' topics only. Per-node topics stay: the bridge uses them for ``delivery: node`` and for a
member that has not announced the group in its status (an older node.toml).

Alerts are Ed25519-signed over the exact payload bytes (domain-separated), carry
the signing key's id, a unique message id, the issue time, an expiry and their addressing (the
node ids and groups they are for). A node acts only on an alert that is correctly signed by a key
it trusts, addressed to it (its id or one of its groups), not expired and not seen before; anything
else is a ``Rejected`` with a reason, which the node counts and reports in an ``Ack`` — except an
alert on a group topic that is addressed to other nodes: counted and logged, never answered (a
group's other members would otherwise flood the bridge with refusals of what was not for them).

Times are POSIX seconds (float) on the clock of whoever stamps them; the bridge
corrects node stamps with the four-timestamp offset estimate (``estimate_offset``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationError, model_validator

from lalert_sim.model.alerts import AlertMode
from lalert_sim.model.field_nodes import FIELD_NODE_ID, MAX_MESSAGE_BYTES
from lalert_sim.model.files import KIB, read_bounded

KEY_MAX_BYTES = 16 * KIB
"""A PEM Ed25519 key is a few hundred bytes."""
MAX_ADDRESSES = 100
"""Most node ids, and most groups, one alert may list (a larger audience is what groups are for)."""

VERSION: Literal[1] = 1
ROOT = f"lalert/v{VERSION}/node"
GROUP_ROOT = f"lalert/v{VERSION}/group"
_SIGNING_CONTEXT = f"lalert-sim/v{VERSION}/alert\n".encode()
_NODE_ID = re.compile(FIELD_NODE_ID)


class Topic(StrEnum):
    """The last levels of a node's MQTT topics: what kind of message travels on it."""

    ALERT = "alert"
    ACK = "ack"
    STATUS = "status"
    TIME_PING = "time/ping"
    TIME_PONG = "time/pong"


QOS: dict[Topic, int] = {Topic.ALERT: 1, Topic.ACK: 1, Topic.STATUS: 1, Topic.TIME_PING: 0, Topic.TIME_PONG: 0}
NODE_READS: tuple[Topic, ...] = (Topic.ALERT, Topic.TIME_PING)  # a node subscribes to these of its own ...
NODE_WRITES: tuple[Topic, ...] = (Topic.ACK, Topic.STATUS, Topic.TIME_PONG)  # ... and publishes only these


def topic(node_id: str, kind: Topic) -> str:
    """The topic of ``kind`` for one field node."""
    if not _NODE_ID.match(node_id):
        raise ValueError(f"field node id {node_id!r} must match {FIELD_NODE_ID}")
    return f"{ROOT}/{node_id}/{kind.value}"


def any_node(kind: Topic) -> str:
    """Subscription filter for ``kind`` of every node (the bridge's side)."""
    return f"{ROOT}/+/{kind.value}"


def group_topic(group: str) -> str:
    """The alert topic of one delivery group (a group has no other topics: answers go per node)."""
    if not _NODE_ID.match(group):
        raise ValueError(f"group {group!r} must match {FIELD_NODE_ID}")
    return f"{GROUP_ROOT}/{group}/{Topic.ALERT.value}"


def parse_group_topic(name: str) -> str | None:
    """The group of a group alert topic; None for anything else."""
    prefix = GROUP_ROOT + "/"
    if not name.startswith(prefix):
        return None
    group, _, rest = name[len(prefix) :].partition("/")
    return group if rest == Topic.ALERT.value and _NODE_ID.match(group) else None


def parse_topic(name: str) -> tuple[str, Topic] | None:
    """(node id, kind) of a protocol topic; None for anything else."""
    prefix = ROOT + "/"
    if not name.startswith(prefix):
        return None
    node_id, _, rest = name[len(prefix) :].partition("/")
    try:
        return node_id, Topic(rest)
    except ValueError:
        return None


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = VERSION


class AlertPayload(_Message):
    """What the node is told to do; signed as a whole."""

    msg_id: str = Field(min_length=8, max_length=64)
    nodes: tuple[Annotated[str, Field(pattern=FIELD_NODE_ID)], ...] = Field(
        default=(), max_length=MAX_ADDRESSES, description="Field node ids it is for."
    )
    groups: tuple[Annotated[str, Field(pattern=FIELD_NODE_ID)], ...] = Field(
        default=(), max_length=MAX_ADDRESSES, description="Delivery groups it is for (every member)."
    )
    alert_id: str
    category: str = Field(description="Alert category (selects the siren, light and buzzer pattern).")
    mode: AlertMode
    headline: str = ""
    issued_at: FiniteFloat
    expires_at: FiniteFloat
    sim_issue_s: float = Field(description="Simulated issue time of the alert (for the node's log).")

    @model_validator(mode="after")
    def _addressed(self) -> AlertPayload:
        if not self.nodes and not self.groups:
            raise ValueError("an alert must be addressed to at least one node or group")
        return self

    def addressed_to(self, node_id: str, groups: frozenset[str] = frozenset()) -> bool:
        """True when it is for ``node_id`` itself or for one of ``groups`` (that node's groups)."""
        return node_id in self.nodes or not groups.isdisjoint(self.groups)


class SignedAlert(_Message):
    """The wire form of an alert: the exact payload text, its signature and the key id."""

    key_id: str = Field(min_length=1, max_length=64)
    payload: str
    signature: str = Field(description="Base64 Ed25519 signature of context + payload bytes.")


class Outcome(StrEnum):
    """What a node did with an alert."""

    ACTUATED = "actuated"
    REFUSED = "refused"  # valid, but this node's safety settings forbid it (e.g. an actual alert on a test bench)
    REJECTED = "rejected"  # not trustworthy: see Reason


class Reason(StrEnum):
    """Why an alert was rejected or refused."""

    TOO_LARGE = "too_large"  # over MAX_MESSAGE_BYTES: refused before any parsing
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ADDRESS = "wrong_address"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    TOO_LONG_VALIDITY = "too_long_validity"
    REPLAYED = "replayed"
    MODE_REFUSED = "mode_refused"
    RATE_LIMITED = "rate_limited"


class Ack(_Message):
    """A node's answer to one alert message, with its own clock's stamps.

    ``duplicate``: the alert was handled before (a re-sent message id); this repeats the first
    answer, stamps included, and nothing was switched again.
    """

    node_id: str
    msg_id: str | None = None
    outcome: Outcome
    reason: Reason | None = None
    received_at: float
    actuated_at: float | None = None
    sent_at: float
    duplicate: bool = False


class Status(_Message):
    """A node's presence (retained): online with its counters, or offline (also its last will)."""

    node_id: str
    state: Literal["online", "offline"]
    since: float = Field(description="Online: when this connection began (the node's clock); offline: when it ended.")
    outputs: list[str] = Field(default_factory=list)
    rejected: dict[str, int] = Field(default_factory=dict)
    actuated: int = Field(
        default=0,
        description="Alerts actuated as of this status (re-sent after rejections, not after each actuation).",
    )
    groups: list[str] = Field(default_factory=list, description="The delivery groups it subscribes to.")


class TimePing(_Message):
    """Bridge → node: t1 is the bridge's send time."""

    seq: int
    t1: float


class TimePong(_Message):
    """Node → bridge: the ping's t1, the node's receive (t2) and send (t3) times."""

    seq: int
    t1: float
    t2: float
    t3: float


def offline_status(node_id: str, since: float = 0.0, groups: Iterable[str] = ()) -> bytes:
    """The last-will payload (with the node's groups: the broker keeps delivering their alerts to its
    persistent session, so the bridge need not send it a copy of its own)."""
    return Status(node_id=node_id, state="offline", since=since, groups=list(groups)).model_dump_json().encode()


# --- keys -------------------------------------------------------------------------------------------------------


def generate_key(directory: Path, key_id: str) -> tuple[Path, Path]:
    """Write ``<key_id>.key`` (private, PEM, mode 600) and ``<key_id>.pub`` (base64 raw public key)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", key_id):
        raise ValueError(f"key id {key_id!r}: use letters, digits, '.', '_' or '-'")
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    key_path, pub_path = directory / f"{key_id}.key", directory / f"{key_id}.pub"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    pub_path.write_text(public_key_text(private.public_key()) + "\n")
    return key_path, pub_path


def public_key_text(key: Ed25519PublicKey) -> str:
    """Base64 of the 32 raw public-key bytes (how node.toml lists trusted keys)."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The inverse of ``public_key_text``; ValueError when it is not a 32-byte base64 key."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


class Signer:
    """The bridge's signing key and its id."""

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        self.key = private_key
        self.key_id = key_id

    @classmethod
    def from_file(cls, path: Path, key_id: str | None = None) -> Signer:
        """A PEM private key; the key id defaults to the file's stem (``drill-2026.key`` → ``drill-2026``)."""
        key = serialization.load_pem_private_key(read_bounded(path, KEY_MAX_BYTES, "signing key"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return cls(key, key_id or path.stem)

    @classmethod
    def generate(cls, key_id: str) -> Signer:
        """A fresh in-memory key (demos and tests)."""
        return cls(Ed25519PrivateKey.generate(), key_id)

    def public_key_text(self) -> str:
        """What a node lists under [keys] to trust this signer."""
        return public_key_text(self.key.public_key())

    def sign(self, payload: AlertPayload) -> bytes:
        """The wire bytes of a signed alert."""
        text = payload.model_dump_json()
        signature = self.key.sign(_SIGNING_CONTEXT + text.encode())
        return (
            SignedAlert(key_id=self.key_id, payload=text, signature=base64.b64encode(signature).decode())
            .model_dump_json()
            .encode()
        )


def new_message_id() -> str:
    """A unique message id (random UUID, hex)."""
    return uuid.uuid4().hex


# --- verification (the node's side) --------------------------------------------------------------------------


class Rejected(Exception):
    """An alert the node must not act on."""

    def __init__(self, reason: Reason, msg_id: str | None = None, detail: str = "") -> None:
        super().__init__(f"{reason.value}{': ' + detail if detail else ''}")
        self.reason = reason
        self.msg_id = msg_id
        self.detail = detail


class ReplayGuard:
    """Message ids handled and not yet expired, each with the answer the node gave; optionally kept in
    an append-only journal (one JSON line per id, one write per alert, made before the broker is told)
    across restarts. The journal is compacted when opened (torn and repeated lines dropped, and those
    expired at ``now`` when given) and again whenever it holds far more lines than live ids."""

    def __init__(self, path: Path | None = None, now: float | None = None) -> None:
        self.path = path
        self._seen: dict[str, tuple[float, str]] = {}
        self._lines = 0
        self._journal: IO[str] | None = None
        if path is None:
            return
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                self._lines += 1
                try:  # a line cut by a crash, or damage, only weakens replay protection until entries expire
                    entry = json.loads(line)
                    self._seen[str(entry["id"])] = (float(entry["until"]), str(entry.get("answer", "")))
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue
        if now is not None:  # the node's clock: ids expired on it are rejected by the expiry check alone
            self._seen = {k: v for k, v in self._seen.items() if v[0] >= now}
        if self._lines != len(self._seen):
            self._compact()
        self._journal = path.open("a", encoding="utf-8")

    def __contains__(self, msg_id: str) -> bool:
        return msg_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    @property
    def lines(self) -> int:
        """Lines in the journal now (live ids plus those appended since the last compaction)."""
        return self._lines

    def answer(self, msg_id: str) -> str:
        """The answer recorded with ``msg_id`` ('' if none was)."""
        return self._seen.get(msg_id, (0.0, ""))[1]

    def answers(self) -> Iterator[tuple[str, str]]:
        """Every live message id with the answer recorded for it (in the order they were handled)."""
        for msg_id, (_until, answer) in self._seen.items():
            yield msg_id, answer

    def remember(self, msg_id: str, expires_at: float, now: float, answer: str = "") -> None:
        """Keep ``msg_id`` (and the answer given) until its expiry; after that the expiry check alone rejects it."""
        if len(self._seen) > 4096:
            self._seen = {k: v for k, v in self._seen.items() if v[0] >= now}
        self._seen[msg_id] = (expires_at, answer)
        if self.path is None:
            return
        if self._lines > 2 * len(self._seen) + 1024:  # mostly expired lines: rewrite the live ones
            self._compact()
            return
        assert self._journal is not None
        self._journal.write(_seen_line(msg_id, expires_at, answer))
        self._journal.flush()  # one write(2) per alert: on disk for the kernel before the Ack leaves
        self._lines += 1

    def _compact(self) -> None:
        assert self.path is not None
        if self._journal is not None:
            self._journal.close()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(_seen_line(k, *v) for k, v in self._seen.items()), encoding="utf-8")
        tmp.replace(self.path)
        self._lines = len(self._seen)
        if self._journal is not None:
            self._journal = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        """Close the journal (reopened by a new guard on the same path)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def _seen_line(msg_id: str, until: float, answer: str) -> str:
    return json.dumps({"id": msg_id, "until": until, "answer": answer}) + "\n"


@dataclass
class Verifier:
    """Checks a signed alert for one node: signature, address, validity window and replay."""

    node_id: str
    trusted: dict[str, Ed25519PublicKey]
    replay: ReplayGuard
    clock_tolerance_s: float = 30.0
    max_validity_s: float = 3600.0

    max_message_bytes: int = MAX_MESSAGE_BYTES
    groups: frozenset[str] = frozenset()
    """The node's delivery groups: an alert for one of them is addressed to it."""

    def check(self, raw: bytes, now: float) -> AlertPayload:
        """The payload when the node may act on it; raises Rejected otherwise (never anything else).

        Call ``remember`` once it has been acted on, so that the same message id is then a replay.
        """
        if len(raw) > self.max_message_bytes:
            raise Rejected(Reason.TOO_LARGE, detail=f"{len(raw)} bytes > {self.max_message_bytes}")
        try:
            signed = SignedAlert.model_validate_json(raw)
        except ValidationError as exc:
            raise Rejected(Reason.MALFORMED, detail=_first_error(exc)) from None
        key = self.trusted.get(signed.key_id)
        if key is None:
            raise Rejected(Reason.UNKNOWN_KEY, detail=signed.key_id)
        signed_bytes = _SIGNING_CONTEXT + signed.payload.encode()  # the one copy: the bytes signed
        try:
            key.verify(base64.b64decode(signed.signature, validate=True), signed_bytes)
        except (InvalidSignature, binascii.Error, ValueError):
            raise Rejected(Reason.BAD_SIGNATURE) from None
        try:  # the payload text parsed as it is (the signed string, not a re-encoded copy)
            payload = AlertPayload.model_validate_json(signed.payload)
        except ValidationError as exc:  # signed but not understood (e.g. a newer version)
            raise Rejected(Reason.MALFORMED, detail=_first_error(exc)) from None
        msg_id = payload.msg_id
        if not payload.addressed_to(self.node_id, self.groups):
            raise Rejected(Reason.WRONG_ADDRESS, msg_id, ", ".join((*payload.nodes, *payload.groups)))
        if payload.expires_at - payload.issued_at > self.max_validity_s:
            raise Rejected(Reason.TOO_LONG_VALIDITY, msg_id)
        if now > payload.expires_at + self.clock_tolerance_s:
            raise Rejected(Reason.EXPIRED, msg_id)
        if payload.issued_at > now + self.clock_tolerance_s:
            raise Rejected(Reason.NOT_YET_VALID, msg_id)
        if msg_id in self.replay:
            raise Rejected(Reason.REPLAYED, msg_id)
        return payload

    def remember(self, payload: AlertPayload, now: float, answer: str = "") -> None:
        """Record ``payload`` as handled (with the node's ``answer``): from now on its id is a replay."""
        self.replay.remember(payload.msg_id, payload.expires_at + self.clock_tolerance_s, now, answer)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


# --- clock offset -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offset:
    """Node clock − bridge clock, with the half round trip as its bound, from the best of ``samples``."""

    offset_s: float
    uncertainty_s: float
    round_trip_s: float
    samples: int

    def to_bridge(self, node_time: float | None) -> float | None:
        """A node stamp on the bridge's clock."""
        return None if node_time is None else node_time - self.offset_s


def estimate_offset(exchanges: Iterable[tuple[float, float, float, float]]) -> Offset | None:
    """NTP's estimate from (t1, t2, t3, t4) exchanges, taking the one with the shortest round trip.

    offset = ((t2 − t1) + (t3 − t4)) / 2 and round trip = (t4 − t1) − (t3 − t2); the true offset
    lies within ± round trip / 2 of the estimate whatever the asymmetry of the two directions.
    """
    best: tuple[float, float] | None = None
    count = 0
    for t1, t2, t3, t4 in exchanges:
        count += 1
        delay = max(0.0, (t4 - t1) - (t3 - t2))
        offset = ((t2 - t1) + (t3 - t4)) / 2
        if best is None or delay < best[0]:
            best = (delay, offset)
    if best is None:
        return None
    return Offset(best[1], best[0] / 2, best[0], count)


class Clock:
    """POSIX time, optionally skewed (to test the offset correction with a deliberately wrong clock)."""

    def __init__(self, skew_s: float = 0.0) -> None:
        self.skew_s = skew_s

    def now(self) -> float:
        """Seconds since the epoch on this (possibly skewed) clock."""
        return time.time() + self.skew_s
