"""What a bridge run records: each delivery's timestamps, each field node's presence and clock offset,
the broker outages, and the options it ran with (turned into the report by ``hil.report``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lalert_sim.hil.protocol import Ack, Offset, Status
from lalert_sim.model.field_nodes import FieldNodes


@dataclass
class Delivery:
    """One alert to one field node: the simulated moment and every real timestamp (bridge clock, POSIX s)."""

    field_node: str
    sim_node: str
    alert_id: str
    msg_id: str
    sim_issue_s: float
    sim_arrival_s: float
    scheduled_at: float
    published_at: float = 0.0  # the start of the first publish the broker acknowledged (0: none yet)
    puback_at: float | None = None
    ack: Ack | None = None
    ack_at: float | None = None
    sim_emitted_s: float | None = None
    attempts: int = 0  # publishes tried (more than one after an outage or a node's reconnection)
    resent_at: float | None = None  # the start of the latest re-send the broker acknowledged
    refused: str | None = None  # why the bridge would not publish it at all (never sent)
    group: str | None = None  # the delivery group whose topic carried it (None: the node's own topic)

    def due_at(self, deadline_s: float, otherwise: float) -> float:
        """When its ack is due: ``deadline_s`` after its latest acknowledged publish (or after ``otherwise``)."""
        sent = self.resent_at or self.puback_at
        return (sent if sent is not None else otherwise) + deadline_s


@dataclass
class Outage:
    """The bridge's broker connection was lost at ``lost_at`` and back at ``back_at`` (None: never)."""

    lost_at: float
    reason: str
    back_at: float | None = None


@dataclass
class NodeState:
    """What the bridge knows of one field node."""

    node_id: str
    status: Status | None = None
    offset_before: Offset | None = None
    offset_after: Offset | None = None
    stale: bool = False  # the broker connection broke since the status was read: presence unknown

    @property
    def online(self) -> bool:
        """Its latest retained status, read since the bridge last (re)connected, says online."""
        return self.status is not None and self.status.state == "online" and not self.stale

    @property
    def presence(self) -> str:
        """online, offline, unknown (not re-read since the broker connection came back) or never seen."""
        if self.status is None:
            return "never seen"
        return "unknown" if self.stale else self.status.state

    @property
    def offset(self) -> Offset | None:
        """The estimate used for correction: before the run, else after it (a node that came late)."""
        return self.offset_before or self.offset_after


@dataclass
class BridgeOptions:
    """How the bridge runs (defaults from the scenario's ``field_nodes`` section)."""

    speed: float = 1.0
    until_s: float | None = None
    ack_deadline_s: float = 10.0
    validity_s: float = 600.0
    presence_wait_s: float = 10.0
    sync_samples: int = 8
    sync_timeout_s: float = 1.0
    reconnect_min_s: float = 0.25  # first delay before reconnecting to the broker; doubles each try ...
    reconnect_max_s: float = 4.0  # ... up to this (each drawn from its upper half)
    publish_timeout_s: float = 5.0  # a publish not acknowledged by the broker this long is tried again later

    @classmethod
    def of(cls, settings: FieldNodes, **overrides: object) -> BridgeOptions:
        """The scenario's settings, with the command line's overrides (None = keep)."""
        options = cls(
            speed=settings.speed,
            until_s=settings.until_s,
            ack_deadline_s=settings.ack_deadline_s,
            validity_s=settings.validity_s,
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(options, name, value)
        return options


@dataclass
class BridgeRun:
    """Everything one bridge run recorded (turned into the report by ``hil.report``)."""

    scenario: str
    broker: str
    started_at: float
    options: BridgeOptions
    nodes: dict[str, NodeState]
    bindings: dict[str, list[str]]
    deliveries: list[Delivery] = field(default_factory=list)
    stray_acks: list[tuple[float, Ack]] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    sim_until_s: float = 0.0
    interrupted: bool = False
    error: str | None = None  # the broker connection was down at the end: what came before is still reported
    ended_at: float = 0.0
    impairments: dict[str, str] = field(default_factory=dict)  # field node → its link conditions (relay), if any
