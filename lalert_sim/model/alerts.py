"""Alerts: what is sent, by which system, to which areas, and when."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from lalert_sim.model.areas import AreaCode
from lalert_sim.model.base import Frozen, Id, Ref, Seconds


class AlertSystem(StrEnum):
    """The national system that carries an alert."""

    J_ALERT = "j_alert"  # FDMA's instant national warning system
    L_ALERT = "l_alert"  # MIC's platform for local governments' information


class AlertCategory(StrEnum):
    """What the alert is about."""

    BALLISTIC_MISSILE = "ballistic_missile"
    EARTHQUAKE_EARLY_WARNING = "earthquake_early_warning"
    MAJOR_TSUNAMI_WARNING = "major_tsunami_warning"
    TSUNAMI_WARNING = "tsunami_warning"
    TSUNAMI_ADVISORY = "tsunami_advisory"  # JMA 津波注意報: up to 1 m; stay out of the sea and off the shore
    EVACUATION_ORDER = "evacuation_order"
    EMERGENCY_SAFETY_ASSURANCE = "emergency_safety_assurance"
    SHELTER_OPENING = "shelter_opening"
    TEST = "test"
    OTHER = "other"  # anything else (e.g. an imported CAP alert of another kind)


class AlertMode(StrEnum):
    """Real or drill (CAP status): a drill must never be mistaken for the real thing."""

    ACTUAL = "actual"
    EXERCISE = "exercise"
    TEST = "test"


class MessageKind(StrEnum):
    """What a message does to the earlier messages of its chain (JMA InfoType, CAP msgType)."""

    ISSUE = "issue"  # 発表 / CAP Alert: a new message (the first of its chain, or a new serial of it)
    UPDATE = "update"  # CAP Update, or a later 発表 of the same JMA EventID: replaces what is sounding
    CORRECTION = "correction"  # 訂正: replaces an earlier message's content, as an update does
    CANCEL = "cancel"  # 取消 / CAP Cancel: the earlier message was wrong; outputs still sounding stop
    LIFT = "lift"  # 解除: the hazard is over (e.g. a tsunami advisory lifted); outputs still sounding stop


class Chain(Frozen):
    """Where a message stands in its chain: the event it is about, its serial, and what it replaces."""

    event: str = Field(min_length=1, max_length=200)
    """The event the chain is about (JMA EventID, or the CAP identifier of the chain's first message)."""
    serial: int = Field(default=1, ge=0)
    """Its number in the chain (JMA Serial; CAP: position in the references); default 1."""
    kind: MessageKind = MessageKind.ISSUE
    """What it does to the messages before it: issue, update, correction, cancel or lift; default issue."""
    references: list[Ref] = Field(default_factory=list, max_length=200)
    """Ids of the earlier alerts of this scenario it updates, corrects, cancels or lifts; default none."""


class Alert(Frozen):
    """One message injected into the network at ``issue_s`` (seconds from the scenario epoch)."""

    id: Id
    """Unique alert id (letters, digits and ``_ . : / -``), used by objectives and result files."""
    system: AlertSystem
    """The national system that carries it, ``j_alert`` or ``l_alert``; its origin is that system's."""
    category: AlertCategory
    """What it is about (e.g. ``ballistic_missile``); sets its CAP category and the field nodes' siren pattern."""
    mode: AlertMode = AlertMode.EXERCISE
    """Real or drill: ``actual``, ``exercise`` (the default) or ``test``, written as the CAP status."""
    areas: list[AreaCode] = Field(
        default_factory=list,
        max_length=2_000,
        description="Local-government codes of the target areas (prefectures or municipalities); "
        "empty means nationwide.",
    )
    issue_s: Seconds = 0.0
    """When it is issued at its origin, in seconds from the scenario epoch; default 0."""
    size_bytes: int = Field(
        default=2_000,
        gt=0,
        le=1_000_000_000,
        description="Message size on the wire in bytes (sets the send time on links with a bandwidth); default 2,000.",
    )
    origin: Ref | None = Field(
        default=None,
        description="Node where the alert enters the network. Default: the J-Alert origin, "
        "or for L-Alert the entry step of the single target municipality.",
    )
    headline: str = ""
    """Short text of the message (CAP headline; field nodes may speak it); default none."""
    cap_info: CapInfo | None = Field(default=None, description="What a CAP source said beyond this model.")
    chain: Chain | None = Field(
        default=None, description="Its place in a chain of messages about one event (update, cancel, lift)."
    )
    jma_info: JmaInfo | None = Field(default=None, description="What a JMA XML source said beyond this model.")


from lalert_sim.model.cap import CapInfo  # noqa: E402  (CAP imports the alert model)
from lalert_sim.model.jma import JmaInfo  # noqa: E402  (JMA XML imports the alert model)

Alert.model_rebuild()
